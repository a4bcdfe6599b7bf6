package dev.mtk.core.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mtk.core.kernel.Vectors;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {

  @Test
  void everyTaskRunsExactlyOnce() {
    for (int threads : new int[] {1, 2, 5}) {
      try (WorkerPool pool = new WorkerPool(threads)) {
        for (int tasks : new int[] {0, 1, 2, 3, 100}) {
          AtomicIntegerArray runs = new AtomicIntegerArray(Math.max(tasks, 1));
          pool.forEach(tasks, runs::incrementAndGet);
          for (int i = 0; i < tasks; i++) {
            assertEquals(1, runs.get(i), "task " + i + " with " + threads + " threads");
          }
        }
      }
    }
  }

  @Test
  void nestedForEachDoesNotDeadlock() {
    try (WorkerPool pool = new WorkerPool(2)) {
      AtomicIntegerArray runs = new AtomicIntegerArray(64);
      pool.forEach(8, outer -> pool.forEach(8, inner -> runs.incrementAndGet(outer * 8 + inner)));
      for (int i = 0; i < 64; i++) {
        assertEquals(1, runs.get(i));
      }
    }
  }

  @Test
  void taskFailureIsRethrown() {
    try (WorkerPool pool = new WorkerPool(3)) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.forEach(10, i -> {
        if (i == 7) {
          throw new IllegalStateException("task 7 failed");
        }
      }));
      assertEquals("task 7 failed", e.getMessage());
    }
  }

  @Test
  void reductionsAreBitIdenticalForAnyThreadCount() {
    SplittableRandom rnd = new SplittableRandom(3);
    float[] a = new float[1_000_003], b = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) rnd.nextGaussian();
      b[i] = (float) rnd.nextGaussian();
    }
    float sum1, dot1;
    try (WorkerPool one = new WorkerPool(1)) {
      sum1 = Vectors.sum(a, one);
      dot1 = Vectors.dot(a, b, one);
    }
    for (int threads : new int[] {2, 3, 8}) {
      try (WorkerPool pool = new WorkerPool(threads)) {
        assertEquals(Float.floatToRawIntBits(sum1), Float.floatToRawIntBits(Vectors.sum(a, pool)));
        assertEquals(Float.floatToRawIntBits(dot1), Float.floatToRawIntBits(Vectors.dot(a, b, pool)));
      }
    }
    double ref = 0;
    for (float v : a) {
      ref += v;
    }
    assertEquals(ref, sum1, 1e-2);
  }

  @Test
  void rejectsZeroThreads() {
    assertThrows(IllegalArgumentException.class, () -> new WorkerPool(0));
  }
}
