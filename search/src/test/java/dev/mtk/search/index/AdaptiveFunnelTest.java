package dev.mtk.search.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mtk.core.parallel.WorkerPool;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The adaptive first stage against a brute-force reference in double precision, and the
 * calibration's counted recall against the recall of real searches.
 */
class AdaptiveFunnelTest {

  static final WorkerPool TWO = new WorkerPool(2);

  @TempDir
  Path dir;

  @AfterAll
  static void close() {
    TWO.close();
  }

  VectorIndex build(float[] x, int n, int d, Precision p) throws Exception {
    Path f = dir.resolve(p + "-" + n + ".mtk");
    IndexFile.write(f, RowSource.of(x, n, d), null, Metric.COSINE, p, null, IndexFile.Progress.NONE);
    return IndexFile.open(f);
  }

  @Test
  void anAdaptiveStageWritesAndParsesAndOnlyComesFirst() {
    Funnel f = Funnel.parse("32:1000~0.05");
    assertTrue(f.stages().get(0).adaptive());
    assertEquals(0.05f, f.stages().get(0).margin());
    assertEquals(f, Funnel.parse(f.toString()));
    assertTrue(!Funnel.parse("32:1000").stages().get(0).adaptive());
    assertThrows(IllegalArgumentException.class, () -> Funnel.parse("32:1000~-1"));
    assertThrows(IllegalArgumentException.class, () -> Funnel.parse("32:1000~x"));
    var e = assertThrows(IllegalArgumentException.class, () -> Funnel.parse("16:1000,32:100~0.1").check(64, 64, 10));
    assertTrue(e.getMessage().contains("only the first"), e.getMessage());
    assertEquals(0.99, FunnelCalibration.parseAuto("auto")[1]);
    assertEquals(32, FunnelCalibration.parseAuto("32:auto:0.9")[0]);
    assertEquals(0.9, FunnelCalibration.parseAuto("32:auto:0.9")[1]);
    assertNull(FunnelCalibration.parseAuto("32:100"));
    assertThrows(IllegalArgumentException.class, () -> FunnelCalibration.parseAuto("auto:2"));
  }

  record Ref(int row, double score) {}

  static List<Ref> ranked(float[] q, int qOff, float[] x, int n, int d, int m) {
    List<Ref> all = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      all.add(new Ref(r, SearchTest.score(Metric.COSINE, q, qOff, x, r * d, m)));
    }
    all.sort(Comparator.comparingDouble((Ref a) -> -a.score).thenComparingInt(Ref::row));
    return all;
  }

  @Test
  void theStagePassesOnTheCandidatesWithinTheMarginOfTheKthBest() throws Exception {
    int n = 4000, d = 32, nq = 40, k = 10, d1 = 8, bound = 300;
    float margin = 0.04f;
    float[] x = SearchTest.gaussian(n, d, 1), q = SearchTest.gaussian(nq, d, 2);
    try (VectorIndex ix = build(x, n, d, Precision.F32)) {
      Hits h = ix.searcher(TWO).search(q, nq, d, k, d, Funnel.parse(d1 + ":" + bound + "~" + margin));
      int checked = 0;
      for (int i = 0; i < nq; i++) {
        List<Ref> first = ranked(q, i * d, x, n, d, d1).subList(0, bound);
        double bar = first.get(k - 1).score - margin;
        List<Ref> pass = new ArrayList<>();
        boolean nearBar = false;
        for (Ref r : first) {
          nearBar |= Math.abs(r.score - bar) < 1e-5;
          if (r.score >= bar) {
            pass.add(r);
          }
        }
        if (nearBar) {
          continue; // float keys may fall either side of a bar this close
        }
        checked++;
        assertEquals(pass.size(), h.reranked()[i], "candidates passed on by query " + i);
        // the answer: the passed candidates ranked at full width
        List<Ref> full = new ArrayList<>();
        for (Ref r : pass) {
          full.add(new Ref(r.row, SearchTest.score(Metric.COSINE, q, i * d, x, r.row * d, d)));
        }
        full.sort(Comparator.comparingDouble((Ref a) -> -a.score).thenComparingInt(Ref::row));
        for (int j = 0; j < k; j++) {
          assertEquals(full.get(j).score, h.score(i, j), 2e-5);
        }
      }
      assertTrue(checked > 30, checked + " queries checked");
      int min = Integer.MAX_VALUE, max = 0;
      for (int r : h.reranked()) {
        min = Math.min(min, r);
        max = Math.max(max, r);
      }
      assertTrue(min >= k && max <= bound && min < max, "the count varies per query: " + min + " … " + max);
    }
  }

  @Test
  void calibratedRecallIsTheRecallOfRealSearches() throws Exception {
    int n = 6000, d = 64, nq = 200, k = 10;
    float[] x = SearchTest.gaussian(n, d, 3), q = SearchTest.gaussian(nq, d, 4);
    try (VectorIndex ix = build(x, n, d, Precision.INT8)) {
      Searcher s = ix.searcher(TWO);
      Hits exact = s.exact(q, nq, d, k, d);
      for (double target : new double[] {0.9, 0.99}) {
        var c = FunnelCalibration.calibrate(s, ix, q, nq, d, k, d, 16, target, null, "test queries");
        BatchedSearch fixed = BatchedSearch.run(s, q, nq, d, k, d, c.fixed(), 50, 0);
        BatchedSearch adaptive = BatchedSearch.run(s, q, nq, d, k, d, c.adaptive(), 50, 0);
        assertEquals(c.fixedRecall(), fixed.recallAgainst(exact), 1e-12, "fixed " + c.fixed());
        assertEquals(c.adaptiveRecall(), adaptive.recallAgainst(exact), 1e-12, "adaptive " + c.adaptive());
        assertTrue(c.fixedRecall() >= target && c.adaptiveRecall() >= target);
        double reranked = 0;
        for (Hits h : adaptive.parts()) {
          reranked += h.meanReranked() * h.queries();
        }
        assertEquals(c.adaptiveReranked(), reranked / nq, 1e-9);
        assertTrue(c.adaptiveReranked() <= c.fixed().stages().get(0).shortlist(), c.describe());
        // one shorter fixed shortlist misses the target
        int shorter = c.fixed().stages().get(0).shortlist() - 1;
        if (shorter >= k) {
          double r = BatchedSearch.run(s, q, nq, d, k, d, Funnel.parse("16:" + shorter), 50, 0).recallAgainst(exact);
          assertTrue(r < target, "16:" + shorter + " reaches " + r);
        }
      }
      // database rows as queries, each not counting itself: the fitted funnel keeps its recall there
      var own = FunnelCalibration.onDatabase(s, ix, k, d, 0, 0.95, 7);
      assertEquals(1000, own.queries());
      assertTrue(own.adaptiveRecall() >= 0.95, own.describe());
    }
  }
}
