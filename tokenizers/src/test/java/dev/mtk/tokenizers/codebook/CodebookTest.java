package dev.mtk.tokenizers.codebook;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.tokenizers.FloatTokens;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CodebookTest {

  /** n points around c well-separated centres (spacing 10, noise 0.1). */
  static FloatTokens clusters(int n, int c, int d, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[n * d];
    for (int i = 0; i < n; i++) {
      int k = i % c;
      for (int j = 0; j < d; j++) {
        v[i * d + j] = (j == k % d ? 10f * (1 + k / d) : 0f) + (float) r.nextDouble(-0.1, 0.1);
      }
    }
    return new FloatTokens(v, n, d);
  }

  @Test
  void findsSeparatedClustersAndIsTheSameForAnyThreadCount() {
    FloatTokens x = clusters(9000, 6, 4, 1);
    try (WorkerPool one = new WorkerPool(1); WorkerPool two = new WorkerPool(2)) {
      Codebook a = Codebook.train(x, 6, 10, 42, one, Codebook.Progress.NONE);
      Codebook b = Codebook.train(x, 6, 10, 42, two, Codebook.Progress.NONE);
      assertArrayEquals(a.centroids(), b.centroids(), "bit-identical for 1 and 2 threads");
      int[] ids = new int[x.count()];
      double mse = a.assign(x, ids, two);
      // noise uniform in ±0.1 has variance 0.01/3 per value
      assertTrue(mse < 0.0034 + 1e-3, "mse " + mse);
      for (int i = 6; i < x.count(); i++) {
        assertEquals(ids[i % 6], ids[i], "points of one cluster share an id");
      }
      Codebook c = Codebook.train(x, 6, 10, 43, two, Codebook.Progress.NONE);
      assertTrue(c.assign(x, new int[x.count()], two) < 0.005, "another seed finds them too");
    }
  }

  @Test
  void assignsTheNearestCentroidByBruteForce() {
    FloatTokens x = clusters(500, 7, 5, 2);
    try (WorkerPool pool = new WorkerPool(2)) {
      Codebook book = Codebook.train(x, 7, 3, 1, pool, Codebook.Progress.NONE);
      int[] ids = new int[500];
      book.assign(x, ids, pool);
      float[] c = book.centroids();
      for (int i = 0; i < 500; i++) {
        int best = 0;
        double bestD = Double.MAX_VALUE;
        for (int k = 0; k < 7; k++) {
          double d = 0;
          for (int j = 0; j < 5; j++) {
            double t = x.values()[i * 5 + j] - c[k * 5 + j];
            d += t * t;
          }
          if (d < bestD - 1e-9) {
            bestD = d;
            best = k;
          }
        }
        assertEquals(best, ids[i]);
      }
      assertThrows(IllegalArgumentException.class,
          () -> Codebook.train(x, 501, 1, 1, pool, Codebook.Progress.NONE));
    }
  }
}
