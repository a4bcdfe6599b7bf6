package dev.mtk.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Top-k against a full sort: same ids, same order, ties to the lower id. */
class TopKTest {

  @Property(tries = 300)
  void equalsFullSort(@ForAll @Size(max = 300) float[] raw, @ForAll @IntRange(min = 0, max = 40) int k) {
    // few distinct values so that ties are common
    float[] scores = new float[raw.length];
    for (int i = 0; i < raw.length; i++) {
      scores[i] = Float.isNaN(raw[i]) ? Float.NaN : Math.round(raw[i] % 7f);
    }
    Integer[] order = IntStream.range(0, scores.length).filter(i -> !Float.isNaN(scores[i]))
        .boxed().toArray(Integer[]::new);
    Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -scores[i]).thenComparingInt(i -> i));
    int expectedCount = Math.min(k, order.length);
    int[] ids = new int[k];
    float[] top = new float[k];
    int got = TopK.select(scores, 0, scores.length, k, ids, top);
    assertEquals(expectedCount, got);
    for (int r = 0; r < got; r++) {
      assertEquals(order[r], ids[r], "rank " + r);
      assertEquals(scores[order[r]], top[r], 0f);
    }
  }

  @Property(tries = 50)
  void reusableAfterDrain(@ForAll @Size(min = 1, max = 100) float[] scores) {
    TopK top = new TopK(5);
    int[] ids1 = new int[5], ids2 = new int[5];
    float[] s1 = new float[5], s2 = new float[5];
    for (int i = 0; i < scores.length; i++) {
      top.offer(i, scores[i]);
    }
    int n1 = top.drainSorted(ids1, s1);
    for (int i = 0; i < scores.length; i++) {
      top.offer(i, scores[i]);
    }
    int n2 = top.drainSorted(ids2, s2);
    assertEquals(n1, n2);
    assertArrayEquals(ids1, ids2);
  }
}
