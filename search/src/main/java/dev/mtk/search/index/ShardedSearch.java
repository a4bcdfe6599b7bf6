package dev.mtk.search.index;

import dev.mtk.core.io.Npy;
import java.io.IOException;
import java.io.Serializable;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Search over the shards of a {@link ShardedIndex} that gives exactly the results of one index
 * holding the same rows. Each shard is searched on its own (in this process, or by a cluster's
 * executor: {@link Shards}), and the driver merges by the comparison key, ties to the lower id,
 * which is the order one index keeps. A funnel runs stage by stage: every shard sends its best
 * first-stage candidates, the driver keeps the global shortlist, and each later stage rescores
 * only those, on the shard that holds each, so no shard's local shortlist changes what survives.
 */
public final class ShardedSearch {

  private ShardedSearch() {}

  /**
   * Where the shards are searched: each call runs {@code work} once per shard, in shard order,
   * shard i with {@code inputs.get(i)} (one entry per shard, null where a step has none), so a
   * shard is sent only its own part of a step's input.
   */
  public interface Shards {
    ShardedIndex.Manifest manifest();

    <I extends Serializable, R extends Serializable> List<R> each(float[] queries, List<I> inputs,
        ShardWork<I, R> work);
  }

  /** One shard's part of a search step; serializable, to be shipped to where the shard is. */
  @FunctionalInterface
  public interface ShardWork<I, R> extends Serializable {
    R run(int shard, Searcher searcher, float[] queries, I input);
  }

  /**
   * One shard's answer to a step: for query q up to {@code width} entries at {@code [q·width, …)},
   * best first or in the order asked, {@code found[q]} of them; scores null where the step shows none.
   */
  public record Part(int width, long[] ids, float[] keys, float[] scores, int[] found) implements Serializable {

    /** Ragged per-query rows (scores may be null) laid out at a fixed width. */
    static Part of(int width, long[][] ids, float[][] keys, float[][] scores) {
      int nq = ids.length;
      long[] i2 = new long[nq * width];
      float[] k2 = new float[nq * width];
      float[] s2 = scores == null ? null : new float[nq * width];
      int[] found = new int[nq];
      for (int q = 0; q < nq; q++) {
        System.arraycopy(ids[q], 0, i2, q * width, ids[q].length);
        System.arraycopy(keys[q], 0, k2, q * width, keys[q].length);
        if (scores != null) {
          System.arraycopy(scores[q], 0, s2, q * width, scores[q].length);
        }
        found[q] = ids[q].length;
      }
      return new Part(width, i2, k2, s2, found);
    }

    /**
     * This part with each query's entries best first: key descending ({@link Float#compare}),
     * ties to the lower id, the order the driver's k-way merge needs. Entries already in that
     * order (a shard's top-k) are only checked; rescored ones are sorted on the shard's side.
     */
    Part bestFirst() {
      long[] packed = null;
      long[] tid = null;
      float[] tkey = null, tscore = null;
      for (int q = 0; q < found.length; q++) {
        int b = q * width, n = found[q];
        if (inOrder(b, n)) {
          continue;
        }
        if (packed == null) {
          packed = new long[width];
          tid = new long[width];
          tkey = new float[width];
          tscore = new float[width];
        }
        // the key's bits turned into an int that sorts descending, the entry's place below it
        for (int i = 0; i < n; i++) {
          int bits = Float.floatToIntBits(keys[b + i]);
          packed[i] = ((long) ~(bits ^ ((bits >> 31) & 0x7fffffff)) << 32) | i;
        }
        Arrays.sort(packed, 0, n);
        for (int i = 0; i < n; i++) {
          int from = b + (int) packed[i];
          tid[i] = ids[from];
          tkey[i] = keys[from];
          if (scores != null) {
            tscore[i] = scores[from];
          }
        }
        // equal keys came out in arrival order: put each such run in id order
        for (int i = 1; i < n; i++) {
          for (int j = i; j > 0 && Float.compare(tkey[j - 1], tkey[j]) == 0 && tid[j - 1] > tid[j]; j--) {
            long t = tid[j]; tid[j] = tid[j - 1]; tid[j - 1] = t;
            float u = tscore[j]; tscore[j] = tscore[j - 1]; tscore[j - 1] = u;
          }
        }
        System.arraycopy(tid, 0, ids, b, n);
        System.arraycopy(tkey, 0, keys, b, n);
        if (scores != null) {
          System.arraycopy(tscore, 0, scores, b, n);
        }
      }
      return this;
    }

    private boolean inOrder(int b, int n) {
      for (int i = b + 1; i < b + n; i++) {
        if (before(keys[i], ids[i], keys[i - 1], ids[i - 1])) {
          return false;
        }
      }
      return true;
    }
  }

  /** Whether entry (key a, id ia) comes before (key b, id ib): higher key first, ties to the lower id. */
  static boolean before(float a, long ia, float b, long ib) {
    int c = Float.compare(a, b);
    return c > 0 || (c == 0 && ia < ib);
  }

  /** The queries' rows, in batches of {@code batch} searched one after another, as one index would. */
  public static BatchedSearch search(Shards shards, float[] queries, int nq, int stride, int k, int m,
      Funnel funnel, int batch) {
    if (batch < 1) {
      throw new IllegalArgumentException("batch must be at least 1, got " + batch);
    }
    List<Hits> parts = new ArrayList<>();
    long start = System.nanoTime();
    for (int q0 = 0; q0 < nq; q0 += batch) {
      int qn = Math.min(batch, nq - q0);
      parts.add(search(shards, Arrays.copyOfRange(queries, q0 * stride, (q0 + qn) * stride), qn, stride,
          k, m, funnel, false));
    }
    return new BatchedSearch(parts, nq, (System.nanoTime() - start) / 1e9);
  }

  /**
   * One batch: as {@link Searcher#search} over one index of all the shards' rows, or, with
   * {@code exactFloats}, as {@link Searcher#exact} (the float vectors, whatever the precision).
   */
  public static Hits search(Shards shards, float[] queries, int nq, int stride, int kAsked, int m,
      Funnel funnel, boolean exactFloats) {
    ShardedIndex.Manifest man = shards.manifest();
    if (m < 1 || m > man.dim()) {
      throw new IllegalArgumentException("dim must be in 1.." + man.dim() + ", got " + m);
    }
    if (kAsked < 1) {
      throw new IllegalArgumentException("k must be at least 1, got " + kAsked);
    }
    if (stride < m || (long) nq * stride > queries.length) {
      throw new IllegalArgumentException("queries have " + stride + " dimensions, " + m + " needed");
    }
    for (int q = 0; q < nq; q++) {
      for (int j = 0; j < Math.min(stride, man.dim()); j++) {
        if (!Float.isFinite(queries[q * stride + j])) {
          throw new IllegalArgumentException("query " + q + " has a non-finite value ("
              + queries[q * stride + j] + ") at dimension " + j + ": it ranks nothing");
        }
      }
    }
    if (funnel != null) {
      funnel.check(man.dim(), m, kAsked);
    }
    int k = (int) Math.max(1, Math.min(kAsked, man.count()));
    if (funnel == null || exactFloats) {
      List<Part> parts = shards.each(queries, none(man), (i, s, q, in) -> {
        int kb = Math.max(1, Math.min(kAsked, s.index().count()));
        float[] keys = new float[nq * kb];
        Hits h = exactFloats ? s.exact(q, nq, stride, kAsked, m, keys) : s.search(q, nq, stride, kAsked, m, null, keys);
        return new Part(h.k(), h.ids(), keys, h.scores(), h.found()).bestFirst();
      });
      Merged top = merge(parts, nq, k);
      return top.hits(nq, k, new int[nq]);
    }
    Funnel.Stage first = funnel.stages().get(0);
    int keep0 = first.shortlist(), dim0 = first.dim();
    List<Part> parts = shards.each(queries, none(man), (i, s, q, in) -> {
      int w = Math.max(1, keep0);
      long[] ids = new long[nq * w];
      float[] keys = new float[nq * w];
      int[] found = new int[nq];
      s.firstStage(q, nq, stride, dim0, keep0, ids, keys, found);
      return new Part(w, ids, keys, null, found).bestFirst();
    });
    Merged cur = merge(parts, nq, keep0);
    int[] reranked = new int[nq];
    for (int q = 0; q < nq; q++) {
      if (first.adaptive()) {
        cur.found[q] = Searcher.cut(Arrays.copyOfRange(cur.keys, q * cur.width, q * cur.width + cur.found[q]),
            cur.found[q], k, first.margin());
      }
      reranked[q] = cur.found[q];
    }
    int stages = funnel.stages().size();
    for (int st = 1; st <= stages; st++) {
      boolean last = st == stages;
      int dim = last ? m : funnel.stages().get(st).dim();
      int keep = last ? k : funnel.stages().get(st).shortlist();
      List<long[][]> route = Arrays.asList(cur.route(nq, man.shards().size()));
      List<Part> rescored = shards.each(queries, route, (i, s, q, ids) -> {
        float[][] keys = new float[nq][];
        float[][] scores = last ? new float[nq][] : null;
        int w = 1;
        for (int x = 0; x < nq; x++) {
          keys[x] = new float[ids[x].length];
          if (last) {
            scores[x] = new float[ids[x].length];
          }
          w = Math.max(w, ids[x].length);
        }
        s.rescore(q, nq, stride, dim, ids, keys, scores);
        return Part.of(w, ids, keys, scores).bestFirst();
      });
      cur = merge(rescored, nq, keep);
    }
    return cur.hits(nq, k, reranked);
  }

  /** Rows searched and what the search reported, as {@link BatchedSearch#run} gives for one index. */
  public static BatchedSearch.Report run(Shards shards, Path queries, int dim, int k, Funnel funnel,
      int batch, double warmupSeconds, int threads) throws IOException {
    ShardedIndex.Manifest man = shards.manifest();
    float[] q;
    int cols;
    try (Arena a = Arena.ofConfined()) {
      Npy.Matrix mx = Npy.map(queries, a);
      q = mx.toArray();
      cols = mx.cols();
    }
    int nq = q.length / Math.max(1, cols);
    int m = dim == 0 ? Math.min(man.dim(), cols) : dim;
    if (cols < m) {
      throw new IllegalArgumentException(queries + " has " + cols + " dimensions; searching at " + m
          + " needs at least that many");
    }
    if (cols > man.dim()) {
      throw new IllegalArgumentException(queries + " has " + cols + " dimensions, the index " + man.dim());
    }
    long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
    while (warmupSeconds > 0 && nq > 0 && System.nanoTime() < warmEnd) {
      int qn = Math.min(batch, nq);
      search(shards, Arrays.copyOf(q, qn * cols), qn, cols, k, m, funnel, false);
    }
    BatchedSearch run = search(shards, q, nq, cols, k, m, funnel, batch);
    Cost c = Cost.of((int) Math.min(Integer.MAX_VALUE, man.count()), m, man.metric(), man.precision(), funnel);
    Map<String, Object> o = BatchedSearch.summary(run, k, m, man.precision(), funnel, batch, threads, warmupSeconds, c);
    o.put("shards", man.shards().size());
    if (funnel != null || man.precision() != Precision.F32) {
      o.put("recall_vs_exact", run.recallAgainst(search(shards, q, nq, cols, k, m, null, true)));
    }
    return new BatchedSearch.Report(run, m, c, o, null);
  }

  /** The merged best entries per query, with the shard each came from. */
  private record Merged(int width, long[] ids, float[] keys, float[] scores, int[] shard, int[] found) {

    Hits hits(int nq, int k, int[] reranked) {
      long[] ids = new long[nq * k];
      float[] scores = new float[nq * k];
      int[] found = new int[nq];
      Arrays.fill(ids, -1);
      Arrays.fill(scores, Float.NaN);
      for (int q = 0; q < nq; q++) {
        int n = Math.min(k, this.found[q]);
        System.arraycopy(this.ids, q * width, ids, q * k, n);
        System.arraycopy(this.scores, q * width, scores, q * k, n);
        found[q] = n;
      }
      return new Hits(nq, k, ids, scores, found, reranked);
    }

    /** For each shard and query, the ids of the query's entries that the shard holds. */
    long[][][] route(int nq, int shards) {
      long[][][] r = new long[shards][nq][];
      int[] count = new int[shards];
      for (int q = 0; q < nq; q++) {
        Arrays.fill(count, 0);
        for (int i = 0; i < found[q]; i++) {
          count[shard[q * width + i]]++;
        }
        for (int s = 0; s < shards; s++) {
          r[s][q] = new long[count[s]];
        }
        Arrays.fill(count, 0);
        for (int i = 0; i < found[q]; i++) {
          int s = shard[q * width + i];
          r[s][q][count[s]++] = ids[q * width + i];
        }
      }
      return r;
    }
  }

  /** A step's inputs when it has none: one null per shard. */
  private static List<Serializable> none(ShardedIndex.Manifest man) {
    return Collections.nCopies(man.shards().size(), null);
  }

  /**
   * Per query, the best {@code keep} entries of all parts by key (higher first), ties to the
   * lower id: the order {@link Shortlist} and {@link dev.mtk.core.kernel.TopK} keep in one index.
   * Each part is best first already ({@link Part#bestFirst}), so this is a k-way merge of their
   * heads, {@code keep × parts} comparisons per query.
   */
  private static Merged merge(List<Part> parts, int nq, int keep) {
    int width = Math.max(1, keep);
    long[] ids = new long[nq * width];
    float[] keys = new float[nq * width];
    float[] scores = new float[nq * width];
    int[] shard = new int[nq * width];
    int[] found = new int[nq];
    int np = parts.size();
    int[] head = new int[np];
    for (int q = 0; q < nq; q++) {
      Arrays.fill(head, 0);
      int f = 0;
      for (; f < keep; f++) {
        int best = -1;
        float bk = 0;
        long bi = 0;
        for (int s = 0; s < np; s++) {
          Part p = parts.get(s);
          if (head[s] < p.found()[q]) {
            int at = q * p.width() + head[s];
            if (best < 0 || before(p.keys()[at], p.ids()[at], bk, bi)) {
              best = s;
              bk = p.keys()[at];
              bi = p.ids()[at];
            }
          }
        }
        if (best < 0) {
          break;
        }
        Part p = parts.get(best);
        int at = q * p.width() + head[best]++;
        ids[q * width + f] = bi;
        keys[q * width + f] = bk;
        scores[q * width + f] = p.scores() == null ? Float.NaN : p.scores()[at];
        shard[q * width + f] = best;
      }
      found[q] = f;
    }
    return new Merged(width, ids, keys, scores, shard, found);
  }
}
