package dev.mtk.models.nn;

import dev.mtk.models.nn.autograd.Arena;
import dev.mtk.models.nn.autograd.Tensor;
import dev.mtk.models.nn.optim.AdamW;
import dev.mtk.models.nn.optim.GradientClipping;
import dev.mtk.models.nn.optim.Sgd;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mtk.core.parallel.WorkerPool;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** AdamW, SGD and clipping against their update rules written out in double precision. */
class OptimizerTest {

  static Arena arena(int n, long seed) {
    Arena a = new Arena("p");
    Tensor t = a.alloc("w", n);
    a.freeze();
    SplittableRandom rnd = new SplittableRandom(seed);
    for (int i = 0; i < n; i++) {
      t.data()[i] = (float) rnd.nextGaussian();
      t.grad()[i] = (float) rnd.nextGaussian();
    }
    return a;
  }

  @Test
  void adamWFollowsPyTorchsRule() {
    Arena a = arena(100, 1);
    double[] p = new double[100], m = new double[100], v = new double[100];
    for (int i = 0; i < 100; i++) {
      p[i] = a.data()[i];
    }
    AdamW opt = new AdamW(a, 0.9f, 0.999f, 1e-8f, 0.01f);
    try (WorkerPool pool = new WorkerPool(2)) {
      for (int t = 1; t <= 3; t++) {
        opt.step(pool, 1e-2f);
        for (int i = 0; i < 100; i++) {
          double g = a.grad()[i];
          p[i] *= 1 - 1e-2 * 0.01;
          m[i] = 0.9 * m[i] + 0.1 * g;
          v[i] = 0.999 * v[i] + 0.001 * g * g;
          p[i] -= 1e-2 * (m[i] / (1 - Math.pow(0.9, t))) / (Math.sqrt(v[i] / (1 - Math.pow(0.999, t))) + 1e-8);
          assertEquals(p[i], a.data()[i], 1e-5, "step " + t + " element " + i);
        }
      }
    }
  }

  @Test
  void sgdWithMomentumFollowsPyTorchsRule() {
    Arena a = arena(50, 2);
    double[] p = new double[50], buf = new double[50];
    for (int i = 0; i < 50; i++) {
      p[i] = a.data()[i];
    }
    Sgd opt = new Sgd(a, 0.9f, 0.001f);
    try (WorkerPool pool = new WorkerPool(2)) {
      for (int t = 1; t <= 3; t++) {
        opt.step(pool, 0.1f);
        for (int i = 0; i < 50; i++) {
          double d = a.grad()[i] + 0.001 * p[i];
          buf[i] = t == 1 ? d : 0.9 * buf[i] + d;
          p[i] -= 0.1 * buf[i];
          assertEquals(p[i], a.data()[i], 1e-5, "step " + t + " element " + i);
        }
      }
    }
  }

  @Test
  void clippingScalesToTheNormAndIsThreadIndependent() {
    Arena one = arena(100_003, 3), two = arena(100_003, 3);
    double norm = 0;
    for (float g : one.grad()) {
      norm += (double) g * g;
    }
    norm = Math.sqrt(norm);
    float got;
    try (WorkerPool p1 = new WorkerPool(1); WorkerPool p2 = new WorkerPool(2)) {
      got = GradientClipping.clip(one, 1f, p1);
      GradientClipping.clip(two, 1f, p2);
    }
    assertEquals(norm, got, 1e-3 * norm);
    assertArrayEquals(one.grad(), two.grad());
    double after = 0;
    for (float g : one.grad()) {
      after += (double) g * g;
    }
    assertEquals(1.0, Math.sqrt(after), 1e-4);
  }
}
