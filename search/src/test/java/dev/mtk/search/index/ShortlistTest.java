package dev.mtk.search.index;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** The shortlist against a full sort by (key descending, id ascending). */
class ShortlistTest {

  @Property(tries = 300)
  void keepsExactlyTheBestKInOrder(@ForAll @IntRange(min = 1, max = 300) int k,
      @ForAll @IntRange(min = 0, max = 3000) int n, @ForAll @IntRange(min = 1, max = 50) int distinct,
      @ForAll long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    // few distinct keys make many ties; ids arrive in random order
    int[] ids = new int[n];
    for (int i = 0; i < n; i++) {
      ids[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = ids[i];
      ids[i] = ids[j];
      ids[j] = t;
    }
    float[] keys = new float[n];
    for (int i = 0; i < n; i++) {
      keys[i] = rnd.nextInt(distinct) - distinct / 2f;
      if (rnd.nextInt(100) == 0) {
        keys[i] = Float.NaN;
      }
    }
    Shortlist list = new Shortlist(k);
    for (int round = 0; round < 2; round++) { // drained lists are reusable
      List<int[]> ref = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        list.add(ids[i], keys[i]);
        if (!Float.isNaN(keys[i])) {
          ref.add(new int[] {ids[i], i});
        }
      }
      ref.sort(Comparator.comparingDouble((int[] a) -> -keys[a[1]]).thenComparingInt(a -> a[0]));
      int expectedCount = Math.min(k, ref.size());
      int[] outIds = new int[k];
      float[] outKeys = new float[k];
      assertEquals(expectedCount, list.drain(outIds, outKeys));
      int[] refIds = new int[k];
      float[] refKeys = new float[k];
      for (int i = 0; i < expectedCount; i++) {
        refIds[i] = ref.get(i)[0];
        refKeys[i] = keys[ref.get(i)[1]];
      }
      assertArrayEquals(java.util.Arrays.copyOf(refIds, expectedCount),
          java.util.Arrays.copyOf(outIds, expectedCount));
      assertArrayEquals(java.util.Arrays.copyOf(refKeys, expectedCount),
          java.util.Arrays.copyOf(outKeys, expectedCount));
    }
  }
}
