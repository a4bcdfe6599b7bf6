package dev.mtk.search.index;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Picks a funnel for a recall target against exact search ({@code --funnel auto:0.99}): on
 * calibration queries, the first stage's ranking at its prefix is compared with the exact top k,
 * and two funnels with the same first stage are fitted — the shortest fixed shortlist that
 * reaches the target, and the adaptive stage (a bound and a margin below the k-th best score)
 * that reaches it with the fewest candidates rescored on average. Recall is counted, not
 * searched: a single-stage funnel rescores its candidates exactly at the query's prefix, so its
 * top k holds exactly the exact top k's members among them.
 */
public final class FunnelCalibration {

  /** First-stage candidates looked at per calibration query, at most. */
  static final int MAX_CANDIDATES = 4096;
  /** Database rows used as calibration queries when none are given. */
  public static final int SAMPLE = 1000;
  static final int BOUNDS = 48, BISECTIONS = 40;

  /**
   * @param adaptive the fitted adaptive funnel, with its recall and mean rescored on calibration
   * @param fixed the shortest fixed shortlist with the same first stage reaching the target
   */
  public record Result(double target, int k, int queries, String source, Funnel adaptive,
      double adaptiveRecall, double adaptiveReranked, Funnel fixed, double fixedRecall) {

    public String describe() {
      return String.format(Locale.ROOT, "%s (recall %.4f, %.0f rescored per query) against fixed %s "
          + "(recall %.4f) on %,d %s", adaptive, adaptiveRecall, adaptiveReranked, fixed, fixedRecall,
          queries, source);
    }
  }

  private FunnelCalibration() {}

  /** Parses {@code auto}, {@code auto:0.99}, {@code 32:auto} or {@code 32:auto:0.99}; null if not one. */
  public static double[] parseAuto(String spec) {
    String[] p = spec.trim().split(":");
    int at = p[0].equals("auto") ? 0 : p.length > 1 && p[1].equals("auto") ? 1 : -1;
    if (at < 0) {
      return null;
    }
    try {
      double dim = at == 1 ? Integer.parseInt(p[0]) : 0;
      double recall = p.length > at + 1 ? Double.parseDouble(p[at + 1]) : 0.99;
      if (p.length > at + 2 || !(recall > 0 && recall <= 1) || dim < 0) {
        throw new NumberFormatException();
      }
      return new double[] {dim, recall};
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--funnel " + spec + ": write auto, auto:RECALL (0 < RECALL ≤ 1), "
          + "DIM:auto or DIM:auto:RECALL");
    }
  }

  /** {@link #SAMPLE} database rows drawn with {@code seed}, as queries (each excludes itself). */
  public static Result onDatabase(Searcher s, VectorIndex ix, int k, int m, int firstDim, double recall,
      long seed) {
    int n = Math.min(SAMPLE, ix.count());
    int[] rows = new SplittableRandom(seed).ints(0, ix.count()).distinct().limit(n).toArray();
    Arrays.sort(rows);
    float[] q = new float[n * ix.dim()], row = new float[ix.dim()];
    long[] self = new long[n];
    for (int i = 0; i < n; i++) {
      ix.rows().row(rows[i], row);
      System.arraycopy(row, 0, q, i * ix.dim(), ix.dim());
      self[i] = ix.ids[rows[i]];
    }
    return calibrate(s, ix, q, n, ix.dim(), k, m, firstDim, recall, self, "database rows");
  }

  /**
   * Fits the funnels on {@code nq} queries ({@code stride} floats each) for top {@code k} at
   * prefix {@code m}; {@code firstDim} 0 tries each power of two below m and keeps the one whose
   * funnel answers the calibration queries fastest; {@code self} (or null): an id each query must not count.
   */
  public static Result calibrate(Searcher s, VectorIndex ix, float[] queries, int nq, int stride, int k,
      int m, int firstDim, double recall, long[] self, String source) {
    if (nq < 10) {
      throw new IllegalArgumentException("calibrating a funnel needs at least 10 queries, got " + nq);
    }
    if (k >= ix.count()) {
      throw new IllegalArgumentException("k = " + k + " covers the whole index: there is nothing to funnel");
    }
    List<Integer> dims = new ArrayList<>();
    if (firstDim > 0) {
      if (firstDim >= m) {
        throw new IllegalArgumentException("the first stage's dim " + firstDim + " must be below the search dim " + m);
      }
      dims.add(firstDim);
    } else {
      for (int d = 8; d < m; d *= 2) {
        dims.add(d);
      }
    }
    if (dims.isEmpty()) {
      throw new IllegalArgumentException("dim " + m + " leaves no shorter prefix for a first stage");
    }
    int extra = self == null ? 0 : 1;
    Hits exact = s.exact(queries, nq, stride, k + extra, m);
    Result best = null;
    double bestSeconds = Double.MAX_VALUE;
    IllegalArgumentException unreachable = null;
    for (int d : dims) {
      Result r;
      try {
        r = fit(s, ix, queries, nq, stride, k, m, d, recall, self, exact, source);
      } catch (IllegalArgumentException e) {
        unreachable = e;
        continue;
      }
      // which first prefix is cheapest is a matter of the machine (a rescored candidate is a
      // random read, a scanned code a sequential one): time each on the calibration queries
      double seconds = dims.size() == 1 ? 0 : timed(s, queries, nq, stride, k, m, r.adaptive());
      if (best == null || seconds < bestSeconds) {
        best = r;
        bestSeconds = seconds;
      }
    }
    if (best == null) {
      throw unreachable;
    }
    return best;
  }

  /** Seconds for the queries one at a time through {@code f}, the better of two passes. */
  private static double timed(Searcher s, float[] queries, int nq, int stride, int k, int m, Funnel f) {
    double best = Double.MAX_VALUE;
    for (int pass = 0; pass < 2; pass++) {
      long t0 = System.nanoTime();
      for (int q = 0; q < nq; q++) {
        s.search(Arrays.copyOfRange(queries, q * stride, (q + 1) * stride), 1, stride, k, m, f);
      }
      best = Math.min(best, (System.nanoTime() - t0) / 1e9);
    }
    return best;
  }

  private static Result fit(Searcher s, VectorIndex ix, float[] queries, int nq, int stride, int k, int m,
      int d, double recall, long[] self, Hits exact, String source) {
    int cand = Math.min(ix.count(), MAX_CANDIDATES);
    float[][] scores = new float[nq][];
    int[][] ranks = new int[nq][k];
    int[] rows = new int[cand + 1];
    float[] sc = new float[cand + 1];
    int extra = self == null ? 0 : 1;
    for (int q = 0; q < nq; q++) {
      int got = s.firstStage(queries, q, stride, d, Math.min(ix.count(), cand + extra), rows, sc);
      // the query's own row (database rows as queries) is dropped from both lists
      int w = 0;
      long[] ids = new long[got];
      float[] kept = new float[got];
      for (int i = 0; i < got; i++) {
        long id = ix.ids[rows[i]];
        if (self != null && id == self[q]) {
          continue;
        }
        ids[w] = id;
        kept[w++] = sc[i];
      }
      scores[q] = Arrays.copyOf(kept, Math.min(w, cand));
      int t = 0;
      for (int j = 0; j < exact.found(q) && t < k; j++) {
        long id = exact.id(q, j);
        if (self != null && id == self[q]) {
          continue;
        }
        int rank = cand; // beyond what was looked at: never recovered
        for (int i = 0; i < scores[q].length; i++) {
          if (ids[i] == id) {
            rank = i;
            break;
          }
        }
        ranks[q][t++] = rank;
      }
      while (t < k) {
        ranks[q][t++] = -1; // fewer than k rows exist: nothing to recover
      }
    }
    // fixed: recall(S) = share of exact members ranked below S
    long[] atRank = new long[cand + 1];
    long total = 0;
    for (int[] r : ranks) {
      for (int v : r) {
        if (v >= 0) {
          atRank[v]++;
          total++;
        }
      }
    }
    long need = (long) Math.ceil(recall * total - 1e-9), have = 0;
    int fixedS = -1;
    for (int S = 1; S <= cand; S++) {
      have += atRank[S - 1];
      if (S >= k && have >= need) {
        fixedS = S;
        break;
      }
    }
    if (fixedS < 0) {
      throw new IllegalArgumentException(String.format(Locale.ROOT, "recall %.4f needs more than %,d "
          + "candidates at dim %d: search a longer first prefix or ask for less", recall, cand, d));
    }
    double fixedRecall = (double) have / total;
    // adaptive: for bounds around the fixed shortlist, the least margin reaching the target
    double bestMean = Double.MAX_VALUE, bestRecall = 0;
    int bestBound = fixedS;
    float bestMargin = 0;
    int lo = Math.max(k, fixedS / 2), hi = Math.min(cand, 3 * fixedS);
    float widest = 0; // a margin that keeps every candidate of every query
    for (float[] list : scores) {
      if (list.length > k) {
        widest = Math.max(widest, list[k - 1] - list[list.length - 1]);
      }
    }
    // the fixed shortlist is among the bounds, so the adaptive stage never rescores more on average
    for (int b = -1; b < BOUNDS; b++) {
      int bound = b < 0 ? fixedS : lo + (int) ((long) (hi - lo) * b / Math.max(1, BOUNDS - 1));
      float mLo = 0, mHi = Math.nextUp(widest);
      if (recovered(ranks, scores, k, bound, mHi) < need) {
        continue;
      }
      for (int it = 0; it < BISECTIONS; it++) {
        float mid = (mLo + mHi) / 2;
        if (recovered(ranks, scores, k, bound, mid) >= need) {
          mHi = mid;
        } else {
          mLo = mid;
        }
      }
      double mean = meanKept(scores, k, bound, mHi);
      if (mean < bestMean) {
        bestMean = mean;
        bestBound = bound;
        bestMargin = mHi;
        bestRecall = (double) recovered(ranks, scores, k, bound, mHi) / total;
      }
    }
    Funnel adaptive = new Funnel(List.of(new Funnel.Stage(d, bestBound, bestMargin)));
    Funnel fixed = new Funnel(List.of(new Funnel.Stage(d, fixedS)));
    return new Result(recall, k, nq, source, adaptive, bestRecall, bestMean, fixed, fixedRecall);
  }

  /** Candidates query q passes on: its scores (best first) cut as {@link Searcher#cut} does, bounded. */
  static int kept(float[] scores, int k, int bound, float margin) {
    return Searcher.cut(scores, Math.min(bound, scores.length), k, margin);
  }

  private static long recovered(int[][] ranks, float[][] scores, int k, int bound, float margin) {
    long hit = 0;
    for (int q = 0; q < ranks.length; q++) {
      int c = kept(scores[q], k, bound, margin);
      for (int r : ranks[q]) {
        hit += r >= 0 && r < c ? 1 : 0;
      }
    }
    return hit;
  }

  private static double meanKept(float[][] scores, int k, int bound, float margin) {
    long s = 0;
    for (float[] sc : scores) {
      s += kept(sc, k, bound, margin);
    }
    return (double) s / scores.length;
  }
}
