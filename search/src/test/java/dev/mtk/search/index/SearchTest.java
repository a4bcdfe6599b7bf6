package dev.mtk.search.index;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mtk.core.parallel.WorkerPool;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every search path against a brute-force double-precision reference. */
class SearchTest {

  static final WorkerPool ONE = new WorkerPool(1), TWO = new WorkerPool(2);

  @TempDir
  Path dir;

  @AfterAll
  static void close() {
    ONE.close();
    TWO.close();
  }

  static float[] gaussian(int n, int d, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] x = new float[n * d];
    for (int i = 0; i < x.length; i++) {
      // a Matryoshka-like spread: early dimensions carry more
      x[i] = (float) (nextGaussian(rnd) / Math.sqrt(1 + (i % d) / 8.0));
    }
    return x;
  }

  static double nextGaussian(SplittableRandom r) {
    double u = r.nextDouble(), v = r.nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
  }

  /** Reference score, "higher is better" for every metric (l2: minus the squared distance). */
  static double score(Metric metric, float[] q, int qOff, float[] x, int xOff, int m) {
    double dot = 0, qq = 0, xx = 0, l2 = 0;
    for (int j = 0; j < m; j++) {
      double a = q[qOff + j], b = x[xOff + j];
      dot += a * b;
      qq += a * a;
      xx += b * b;
      l2 += (a - b) * (a - b);
    }
    return switch (metric) {
      case IP -> dot;
      case COSINE -> qq == 0 || xx == 0 ? 0 : dot / Math.sqrt(qq * xx);
      case L2 -> -l2;
    };
  }

  record Ref(long id, double score) {}

  static List<Ref> brute(Metric metric, float[] q, int qOff, float[] x, long[] ids, int d, int m) {
    List<Ref> all = new ArrayList<>();
    for (int r = 0; r < ids.length; r++) {
      all.add(new Ref(ids[r], score(metric, q, qOff, x, r * d, m)));
    }
    all.sort(Comparator.comparingDouble((Ref a) -> -a.score).thenComparingLong(Ref::id));
    return all;
  }

  /** Ids must match the reference except where the reference itself has a near-tie. */
  static void assertMatches(Metric metric, List<Ref> ref, Hits h, int q, int k) {
    assertEquals(Math.min(k, ref.size()), h.found(q));
    for (int i = 0; i < h.found(q); i++) {
      double expected = metric == Metric.L2 ? -ref.get(i).score : ref.get(i).score;
      double tol = 2e-5 * Math.max(1, Math.abs(expected));
      assertEquals(expected, h.score(q, i), tol, "score at rank " + i);
      boolean nearTie = (i > 0 && Math.abs(ref.get(i).score - ref.get(i - 1).score) < tol)
          || (i + 1 < ref.size() && Math.abs(ref.get(i).score - ref.get(i + 1).score) < tol);
      if (!nearTie) {
        assertEquals(ref.get(i).id, h.id(q, i), "id at rank " + i + " of query " + q);
      }
    }
  }

  VectorIndex build(float[] x, int n, int d, long[] ids, Metric metric, Precision p) throws Exception {
    Path f = dir.resolve(metric + "-" + p + "-" + n + ".mtk");
    IndexFile.write(f, RowSource.of(x, n, d), ids, metric, p, null, IndexFile.Progress.NONE);
    return IndexFile.open(f);
  }

  @ParameterizedTest
  @EnumSource(Metric.class)
  void exactSearchEqualsBruteForceAtEveryPrefixSingleAndBatched(Metric metric) throws Exception {
    int n = 2000, d = 40, nq = 9, k = 7;
    float[] x = gaussian(n, d, 1), q = gaussian(nq, d, 2);
    long[] ids = new long[n];
    for (int i = 0; i < n; i++) {
      ids[i] = 5L * (n - i); // descending: ties must still go to the lower id
    }
    try (VectorIndex ix = build(x, n, d, ids, metric, Precision.F32)) {
      for (int m : new int[] {3, 8, 13, d}) {
        Hits one = ix.searcher(TWO).search(q, 1, d, k, m, null);
        assertMatches(metric, brute(metric, q, 0, x, ids, d, m), one, 0, k);
        Hits batch = ix.searcher(TWO).search(q, nq, d, k, m, null); // through GEMM
        for (int i = 0; i < nq; i++) {
          assertMatches(metric, brute(metric, q, i * d, x, ids, d, m), batch, i, k);
        }
      }
    }
  }

  @Test
  void oneQuerySpreadOverThreadsGivesTheSameBitsAsOneThread() throws Exception {
    int n = 3 * Searcher.CHUNK + 77, d = 16, k = 10;
    float[] x = gaussian(n, d, 3), q = gaussian(3, d, 4);
    for (Precision p : Precision.values()) {
      try (VectorIndex ix = build(x, n, d, null, Metric.COSINE, p)) {
        for (int i = 0; i < 3; i++) {
          float[] qi = java.util.Arrays.copyOfRange(q, i * d, i * d + d);
          Hits a = ix.searcher(ONE).search(qi, 1, d, k, d, null);
          Hits b = ix.searcher(TWO).search(qi, 1, d, k, d, null);
          assertArrayEquals(a.ids(), b.ids(), p.id());
          assertArrayEquals(a.scores(), b.scores(), p.id());
          Hits f1 = ix.searcher(ONE).search(qi, 1, d, k, d, Funnel.parse("4:500,8:50"));
          Hits f2 = ix.searcher(TWO).search(qi, 1, d, k, d, Funnel.parse("4:500,8:50"));
          assertArrayEquals(f1.ids(), f2.ids(), p.id());
          assertArrayEquals(f1.scores(), f2.scores(), p.id());
          if (p == Precision.F32) {
            assertMatches(Metric.COSINE, brute(Metric.COSINE, qi, 0, x, ix.ids(), d, d), b, 0, k);
          }
        }
      }
    }
  }

  @Test
  void tiesGoToTheLowerId() throws Exception {
    int n = 50, d = 8;
    float[] x = gaussian(n, d, 5);
    // rows 10, 20 and 30 are the same vector; ids are not in row order
    System.arraycopy(x, 10 * d, x, 20 * d, d);
    System.arraycopy(x, 10 * d, x, 30 * d, d);
    long[] ids = new long[n];
    for (int i = 0; i < n; i++) {
      ids[i] = 1000 - i * 7L % 97;
    }
    ids[10] = 900;
    ids[20] = 500;
    ids[30] = 700;
    float[] q = java.util.Arrays.copyOfRange(x, 10 * d, 11 * d);
    for (Metric metric : Metric.values()) {
      try (VectorIndex ix = build(x, n, d, ids, metric, Precision.F32)) {
        Hits h = ix.searcher(TWO).search(q, 1, d, 3, d, null);
        assertEquals(List.of(500L, 700L, 900L), List.of(h.id(0, 0), h.id(0, 1), h.id(0, 2)),
            metric.id());
        float[] q4 = new float[4 * d];
        for (int i = 0; i < 4; i++) {
          System.arraycopy(q, 0, q4, i * d, d);
        }
        Hits b = ix.searcher(TWO).search(q4, 4, d, 3, d, null);
        assertEquals(List.of(500L, 700L, 900L), List.of(b.id(3, 0), b.id(3, 1), b.id(3, 2)),
            metric.id() + " batched");
      }
    }
  }

  @Test
  void int8ScoresApproximateTheExactOnesAndKeepRecall() throws Exception {
    int n = 4000, d = 64, nq = 20, k = 10;
    float[] x = gaussian(n, d, 6), q = gaussian(nq, d, 7);
    try (VectorIndex ix = build(x, n, d, null, Metric.IP, Precision.INT8);
        VectorIndex exact = build(x, n, d, null, Metric.IP, Precision.F32)) {
      for (int m : new int[] {16, 64}) {
        Hits h = ix.searcher(TWO).search(q, nq, d, k, m, null);
        Hits e = exact.searcher(TWO).search(q, nq, d, k, m, null);
        int hit = 0;
        for (int i = 0; i < nq; i++) {
          for (int r = 0; r < k; r++) {
            long id = h.id(i, r);
            double truth = score(Metric.IP, q, i * d, x, (int) id * d, m);
            // the error of a sum of m products, each off by about half a quantisation step
            assertEquals(truth, h.score(i, r), 0.03 * Math.sqrt(m), "m=" + m);
            for (int s = 0; s < k; s++) {
              if (e.id(i, s) == id) {
                hit++;
              }
            }
          }
        }
        double recall = hit / (double) (nq * k);
        assertTrue(recall >= 0.9, "int8 recall@10 against exact at m=" + m + ": " + recall);
      }
    }
  }

  @Test
  void binaryScoresAreSignAgreements() throws Exception {
    int n = 300, d = 100, k = 5;
    float[] x = gaussian(n, d, 8), q = gaussian(1, d, 9);
    try (VectorIndex ix = build(x, n, d, null, Metric.COSINE, Precision.BINARY)) {
      for (int m : new int[] {7, 64, 70, 100}) {
        Hits h = ix.searcher(ONE).search(q, 1, d, k, m, null);
        List<Ref> ref = new ArrayList<>();
        for (int r = 0; r < n; r++) {
          int agree = 0;
          for (int j = 0; j < m; j++) {
            agree += (q[j] > 0) == (x[r * d + j] > 0) ? 1 : -1;
          }
          ref.add(new Ref(r, agree));
        }
        ref.sort(Comparator.comparingDouble((Ref a) -> -a.score).thenComparingLong(Ref::id));
        for (int i = 0; i < k; i++) {
          assertEquals(ref.get(i).id, h.id(0, i), "m=" + m);
          assertEquals(ref.get(i).score, h.score(0, i), "m=" + m);
        }
      }
    }
  }

  @Test
  void aFunnelWithWholeShortlistsIsExactAndNarrowOnesStayClose() throws Exception {
    int n = 3000, d = 32, nq = 6, k = 10;
    float[] x = gaussian(n, d, 10), q = gaussian(nq, d, 11);
    for (Precision p : Precision.values()) {
      try (VectorIndex ix = build(x, n, d, null, Metric.COSINE, p)) {
        Hits h = ix.searcher(TWO).search(q, nq, d, k, d, Funnel.parse("8:" + n + ",16:" + n));
        for (int i = 0; i < nq; i++) {
          assertMatches(Metric.COSINE, brute(Metric.COSINE, q, i * d, x, ix.ids(), d, d), h, i, k);
        }
      }
    }
  }

  @Test
  void costsFollowThePlan() {
    // 1,000 rows; int8 first stage at 16 dims keeping 100, then 64 dims keeping 20, final at 128
    Cost c = Cost.of(1000, 128, Metric.COSINE, Precision.INT8, Funnel.parse("16:100,64:20"));
    assertEquals(1000 + 100 + 20, c.vectorsScored());
    assertEquals(1000 * (16 + 4) + 100 * (4 * 64 + 4) + 20 * (4 * 128 + 4), c.bytesRead());
    assertEquals(2L * (1000 * 16 + 100 * 64 + 20 * 128), c.flops());
    Cost flat = Cost.of(1000, 256, Metric.IP, Precision.F32, null);
    assertEquals(1000L * 1024, flat.bytesRead());
  }

  @Test
  void badArgumentsSayWhatToDo() throws Exception {
    float[] x = gaussian(100, 16, 12);
    try (VectorIndex ix = build(x, 100, 16, null, Metric.IP, Precision.INT8)) {
      Searcher s = ix.searcher(ONE);
      float[] q = gaussian(1, 16, 13);
      assertTrue(assertThrows(IllegalArgumentException.class, () -> s.search(q, 1, 16, 10, 17, null))
          .getMessage().contains("1..16"));
      assertTrue(assertThrows(IllegalArgumentException.class,
          () -> s.search(q, 1, 16, 10, 16, Funnel.parse("8:5"))).getMessage().contains("fewer"));
      assertTrue(assertThrows(IllegalArgumentException.class,
          () -> s.search(q, 1, 16, 10, 16, Funnel.parse("8:50,4:20"))).getMessage().contains("grow"));
      assertTrue(assertThrows(IllegalArgumentException.class,
          () -> Funnel.parse("8-50")).getMessage().contains("dim:shortlist"));
      assertTrue(assertThrows(IllegalArgumentException.class,
          () -> Metric.parse("dot")).getMessage().contains("ip, cosine or l2"));
    }
  }
}
