package dev.mtk.search.index;

import dev.mtk.core.kernel.Gemm;
import dev.mtk.core.kernel.TopK;
import dev.mtk.core.kernel.Vectors;
import dev.mtk.core.parallel.WorkerPool;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Runs queries against a {@link VectorIndex}; not for concurrent use (one searcher per thread
 * that queries; each spreads its own work over the pool). One query at a time is spread over the pool by
 * ranges of rows; a batch is spread by queries, and an exact float batch goes through GEMM (many
 * queries × a block of the database, as FAISS does), reading the database once per batch.
 *
 * <p>Scores are compared as "higher is better" keys (for l2, 2·q·x − |x|², which orders rows as
 * the distance does) and ties go to the lower id, so the top k is one well-defined set however
 * the rows were split between threads: results are identical for any thread count.
 */
public final class Searcher {

  private static final WorkerPool ONE = new WorkerPool(1);
  /** Rows per task when one query is spread over the pool (a multiple of the code block). */
  static final int CHUNK = 16_384;
  /** Hits one call may return (ids and scores: 12 bytes each). */
  static final long MAX_HITS = 1L << 26;
  /** Blocks of int8 codes scored per kernel call. */
  private static final int CODE_CHUNK = 64;
  /** Database rows per GEMM block, and queries per GEMM block, in batched exact search. */
  private static final int GEMM_ROWS = 512, GEMM_QUERIES = 1024;
  /** From this many queries on, exact float search goes through GEMM. */
  static final int GEMM_MIN_QUERIES = 4;

  private final VectorIndex ix;
  private final WorkerPool pool;
  private final ThreadLocal<Scratch> scratch;

  Searcher(VectorIndex ix, WorkerPool pool) {
    this.ix = ix;
    this.pool = pool;
    this.scratch = ThreadLocal.withInitial(() -> new Scratch(ix.dim));
  }

  /** Per-thread buffers, so that the scan loops allocate nothing. */
  private static final class Scratch {
    final float[] q;
    final int[] qc;
    final long[] qbits;
    final float[] tb = new float[2];
    final int[] block = new int[CODE_CHUNK * 16];
    final float[] blockKeys = new float[CODE_CHUNK * 16];
    final int[] found = new int[CODE_CHUNK * 16];
    final java.util.HashMap<Integer, Shortlist> lists = new java.util.HashMap<>();
    int[] keys = new int[0], keys2 = new int[0];
    float[] scores = new float[0];

    Scratch(int d) {
      q = new float[d];
      qc = new int[d];
      qbits = new long[(d + 63) / 64];
    }

    /** An empty shortlist of k (one kept per k, so alternating sizes allocate nothing). */
    Shortlist list(int k) {
      Shortlist l = lists.computeIfAbsent(k, Shortlist::new);
      l.clear();
      return l;
    }

    void room(int n) {
      if (keys.length < n) {
        keys = new int[n];
        keys2 = new int[n];
        scores = new float[n];
      }
    }
  }

  /** How a query's first m dimensions are compared, prepared once per query and stage. */
  private final class Prepared {
    final Scratch s;
    int m;
    float[] norm; // per row: 1/|x_m| (cosine), |x_m|² (l2), or null (ip)
    float qq;     // |q_m|², for reporting l2 distances
    float t, bias; // int8: q·x ≈ t·Σ qc·c + bias

    Prepared(Scratch s) {
      this.s = s;
    }

    /** Copies the query's prefix (renormalised for cosine) into scratch. */
    void set(float[] queries, int qOff, int m) {
      this.m = m;
      double ss = 0;
      for (int j = 0; j < m; j++) {
        float v = queries[qOff + j];
        s.q[j] = v;
        ss += (double) v * v;
      }
      qq = (float) ss;
      if (ix.metric == Metric.COSINE && ss > 0) {
        float inv = (float) (1 / Math.sqrt(ss));
        for (int j = 0; j < m; j++) {
          s.q[j] *= inv;
        }
      }
      norm = ix.norms(m, pool);
    }

    float adjust(float dot, int row) {
      return switch (ix.metric) {
        case IP -> dot;
        case COSINE -> dot * norm[row];
        case L2 -> 2 * dot - norm[row];
      };
    }

    /** The score shown for a key: the distance for l2, Hamming distance for l2 on sign bits. */
    float report(float key, boolean bits) {
      if (ix.metric != Metric.L2) {
        return key;
      }
      return bits ? (m - key) / 2 : Math.max(0f, qq - key);
    }
  }

  /**
   * Top k for each of {@code nq} queries stored row-major in {@code queries} (each of the index's
   * dimension d, or at least m), at the prefix m ≤ d, through a funnel or not (null).
   */
  public Hits search(float[] queries, int nq, int stride, int kAsked, int m, Funnel funnel) {
    return search(queries, nq, stride, kAsked, m, funnel, null);
  }

  /**
   * As above; {@code keys} (null, or room for nq·k) also receives each hit's comparison key, by
   * which hits of several shards merge into the order one index would give.
   */
  Hits search(float[] queries, int nq, int stride, int kAsked, int m, Funnel funnel, float[] keys) {
    if (m < 1 || m > ix.dim) {
      throw new IllegalArgumentException("dim must be in 1.." + ix.dim + ", got " + m);
    }
    if (kAsked < 1) {
      throw new IllegalArgumentException("k must be at least 1, got " + kAsked);
    }
    if (stride < m || (long) nq * stride > queries.length) {
      throw new IllegalArgumentException("queries have " + stride + " dimensions, " + m
          + " needed");
    }
    for (int q = 0; q < nq; q++) {
      for (int j = 0; j < Math.min(stride, ix.dim); j++) {
        if (!Float.isFinite(queries[q * stride + j])) {
          throw new IllegalArgumentException("query " + q + " has a non-finite value ("
              + queries[q * stride + j] + ") at dimension " + j + ": it ranks nothing");
        }
      }
    }
    if (funnel != null) {
      funnel.check(ix.dim, m, kAsked);
    }
    // no more hits than rows; and the hits must fit in memory
    int k = Math.max(1, Math.min(kAsked, ix.count));
    if ((long) nq * k > MAX_HITS) {
      throw new IllegalArgumentException(nq + " queries × k = " + k + " are more hits than one "
          + "call returns (" + MAX_HITS + "): search fewer queries at a time, or a smaller k");
    }
    long[] ids = new long[nq * k];
    float[] scores = new float[nq * k];
    int[] found = new int[nq];
    Arrays.fill(ids, -1);
    Arrays.fill(scores, Float.NaN);
    Hits hits = new Hits(nq, k, ids, scores, found);
    if (ix.count == 0) {
      return hits;
    }
    if (funnel == null && ix.precision == Precision.F32 && nq >= GEMM_MIN_QUERIES) {
      exactBatch(queries, nq, stride, k, m, hits, keys);
    } else if (nq < pool.threads()) {
      for (int q = 0; q < nq; q++) {
        one(queries, q, stride, k, m, funnel, hits, true, keys);
      }
    } else {
      pool.forEach(nq, q -> one(queries, q, stride, k, m, funnel, hits, false, keys));
    }
    return hits;
  }

  private void one(float[] queries, int qi, int stride, int k, int m, Funnel funnel, Hits hits,
      boolean spread, float[] keysOut) {
    Scratch s = scratch.get();
    Prepared p = new Prepared(s);
    int first = funnel == null ? k : funnel.stages().get(0).shortlist();
    int firstDim = funnel == null ? m : funnel.stages().get(0).dim();
    p.set(queries, qi * stride, firstDim);
    int kept = scan(p, first, spread, s);
    if (funnel != null && funnel.stages().get(0).adaptive()) {
      kept = cut(s.scores, kept, k, funnel.stages().get(0).margin());
    }
    if (funnel != null) {
      hits.reranked()[qi] = kept;
    }
    // later stages: exact floats at a longer prefix, over the shortlist only
    if (funnel != null) {
      for (int st = 1; st <= funnel.stages().size(); st++) {
        boolean last = st == funnel.stages().size();
        int dim = last ? m : funnel.stages().get(st).dim();
        int keep = last ? k : funnel.stages().get(st).shortlist();
        p.set(queries, qi * stride, dim);
        System.arraycopy(s.keys, 0, s.keys2, 0, kept);
        Shortlist top = s.list(keep);
        for (int i = 0; i < kept; i++) {
          int row = ix.row(s.keys2[i]);
          top.add(s.keys2[i], p.adjust(Vectors.dot(s.q, 0, ix.vectors, (long) row * ix.dim * 4, dim), row));
        }
        kept = top.drain(s.keys, s.scores);
      }
    }
    int n = Math.min(kept, k);
    for (int i = 0; i < n; i++) {
      hits.ids()[qi * k + i] = ix.ids[ix.row(s.keys[i])];
      hits.scores()[qi * k + i] = p.report(s.scores[i],
          funnel == null && ix.precision == Precision.BINARY);
      if (keysOut != null) {
        keysOut[qi * k + i] = s.scores[i];
      }
    }
    hits.found()[qi] = n;
  }

  /**
   * How many of a first stage's {@code kept} keys (best first) an adaptive stage passes on: those
   * within {@code margin} of the k-th best, at least k.
   */
  static int cut(float[] scores, int kept, int k, float margin) {
    if (kept <= k) {
      return kept;
    }
    float bar = scores[k - 1] - margin;
    // the first position from k on below the bar (the scores fall): a binary search
    int lo = k, hi = kept;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (scores[mid] >= bar) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /**
   * The first stage of a funnel alone, for calibration: query {@code qi}'s best {@code keep} rows
   * at prefix {@code dim} on the index's codes, best first, into {@code rows} and {@code scores};
   * returns their number.
   */
  int firstStage(float[] queries, int qi, int stride, int dim, int keep, int[] rows, float[] scores) {
    Scratch s = scratch.get();
    Prepared p = new Prepared(s);
    p.set(queries, qi * stride, dim);
    int kept = scan(p, keep, false, s);
    for (int i = 0; i < kept; i++) {
      rows[i] = ix.row(s.keys[i]);
      scores[i] = s.scores[i];
    }
    return kept;
  }

  /**
   * A funnel's first stage for a batch, as {@link #search} runs it: for query q the best
   * {@code keep} rows on the index's codes at prefix {@code dim}, best first, their ids and keys
   * at {@code [q·keep, …)} and their number in {@code found[q]}.
   */
  void firstStage(float[] queries, int nq, int stride, int dim, int keep, long[] ids, float[] keys,
      int[] found) {
    pool.forEach(nq, q -> {
      Scratch s = scratch.get();
      Prepared p = new Prepared(s);
      p.set(queries, q * stride, dim);
      int kept = scan(p, keep, false, s);
      for (int i = 0; i < kept; i++) {
        ids[q * keep + i] = ix.ids[ix.row(s.keys[i])];
        keys[q * keep + i] = s.scores[i];
      }
      found[q] = kept;
    });
  }

  /**
   * A funnel's later stage for a batch: the exact float key at prefix {@code dim} of each row
   * named by id in {@code ids[q]} (rows of this index), into {@code keys[q]}, and, when
   * {@code scores} is not null (the last stage), the score shown for it into {@code scores[q]}.
   */
  void rescore(float[] queries, int nq, int stride, int dim, long[][] ids, float[][] keys, float[][] scores) {
    pool.forEach(nq, q -> {
      Scratch s = scratch.get();
      Prepared p = new Prepared(s);
      p.set(queries, q * stride, dim);
      for (int i = 0; i < ids[q].length; i++) {
        int row = ix.rowOf(ids[q][i]);
        if (row < 0) {
          throw new IllegalStateException(ix.file() + " has no row with id " + ids[q][i]);
        }
        float key = p.adjust(Vectors.dot(s.q, 0, ix.vectors, (long) row * ix.dim * 4, dim), row);
        keys[q][i] = key;
        if (scores != null) {
          scores[q][i] = p.report(key, false);
        }
      }
    });
  }

  /**
   * Exact search with the floats at prefix m, whatever the index's precision (the float vectors
   * are always in the file): the reference funnels and code scans are measured against.
   */
  public Hits exact(float[] queries, int nq, int stride, int kAsked, int m) {
    return exact(queries, nq, stride, kAsked, m, null);
  }

  /** As above, with each hit's key into {@code keys} (null: not wanted), as {@link #search} does. */
  Hits exact(float[] queries, int nq, int stride, int kAsked, int m, float[] keys) {
    if (m < 1 || m > ix.dim || stride < m || (long) nq * stride > queries.length || kAsked < 1) {
      throw new IllegalArgumentException("exact search needs 1 ≤ m ≤ " + ix.dim + " ≤ stride, k ≥ 1");
    }
    int k = Math.max(1, Math.min(kAsked, ix.count));
    long[] ids = new long[nq * k];
    float[] scores = new float[nq * k];
    Arrays.fill(ids, -1);
    Arrays.fill(scores, Float.NaN);
    Hits hits = new Hits(nq, k, ids, scores, new int[nq]);
    if (ix.count > 0 && nq > 0) {
      exactBatch(queries, nq, stride, k, m, hits, keys);
    }
    return hits;
  }

  /** The index searched. */
  VectorIndex index() {
    return ix;
  }

  /** The first stage over every row; leaves the best {@code keep} keys, best first, in s.keys. */
  private int scan(Prepared p, int keep, boolean spread, Scratch s) {
    s.room(keep);
    int n = ix.count;
    if (ix.precision == Precision.INT8 && p.m > 0) {
      ix.int8.quantizeQuery(s.q, p.m, s.qc, s.tb);
      p.t = s.tb[0];
      p.bias = s.tb[1];
    } else if (ix.precision == Precision.BINARY) {
      Arrays.fill(s.qbits, 0L);
      for (int j = 0; j < p.m; j++) {
        if (s.q[j] > 0f) {
          s.qbits[j >>> 6] |= 1L << (j & 63);
        }
      }
    }
    if (!spread || n <= CHUNK || pool.threads() == 1) {
      Shortlist top = s.list(keep);
      scanRange(p, s, 0, n, top);
      return top.drain(s.keys, s.scores);
    }
    // one query over the pool: ranges of rows, each with its own heap, merged in range order
    // one range per thread: each range fills a heap of its own, which costs with long shortlists
    int tasks = Math.min((n + CHUNK - 1) / CHUNK, pool.threads());
    int chunk = ((n + tasks - 1) / tasks + 15) / 16 * 16;
    if (mergeKeys.length < tasks * keep) {
      mergeKeys = new int[tasks * keep];
      mergeScores = new float[tasks * keep];
      mergeCount = new int[tasks];
    } else if (mergeCount.length < tasks) {
      mergeCount = new int[tasks];
    }
    pool.forEach(tasks, t -> {
      Scratch own = scratch.get();
      own.room(keep);
      Shortlist top = own.list(keep);
      scanRange(p, own, Math.min(n, t * chunk), Math.min(n, (t + 1) * chunk), top);
      int c = top.drainUnsorted(own.keys, own.scores);
      System.arraycopy(own.keys, 0, mergeKeys, t * keep, c);
      System.arraycopy(own.scores, 0, mergeScores, t * keep, c);
      mergeCount[t] = c;
    });
    Shortlist top = s.list(keep);
    for (int t = 0; t < tasks; t++) {
      for (int i = 0; i < mergeCount[t]; i++) {
        top.add(mergeKeys[t * keep + i], mergeScores[t * keep + i]);
      }
    }
    return top.drain(s.keys, s.scores);
  }

  // the per-range results of one spread query (the searcher runs one spread query at a time)
  private int[] mergeKeys = new int[0];
  private float[] mergeScores = new float[0];
  private int[] mergeCount = new int[0];

  /**
   * Scores rows [r0, r1) into the shortlist. Most rows lose to the bar, so each loop compares
   * with it first (many lanes at a time for codes) and touches the list only for the few above.
   */
  private void scanRange(Prepared p, Scratch s, int r0, int r1, Shortlist top) {
    switch (ix.precision) {
      case F32 -> {
        long stride = (long) ix.dim * 4;
        float[] q = p.s.q;
        float[] norm = p.norm;
        Metric metric = ix.metric;
        int m = p.m;
        MemorySegment vec = ix.vectors;
        float bar = skipBar(top);
        for (int r = r0; r < r1; r++) {
          float dot = Vectors.dot(q, 0, vec, r * stride, m);
          float key = metric == Metric.IP ? dot : metric == Metric.COSINE ? dot * norm[r] : 2 * dot - norm[r];
          if (key > bar) {
            top.add(ix.key(r), key);
            bar = skipBar(top);
          }
        }
      }
      case INT8 -> {
        int[] block = s.block;
        float[] keys = s.blockKeys;
        int[] edges = ix.bandEdges;
        long blocksTotal = (ix.count + 15) / 16;
        for (int b0 = r0 / 16; b0 * 16 < r1; b0 += CODE_CHUNK) {
          int blocks = Math.min(CODE_CHUNK, (r1 - b0 * 16 + 15) / 16);
          // one contiguous run per Matryoshka band below m (see IndexFile)
          for (int k = 0; k + 1 < edges.length && edges[k] < p.m; k++) {
            long width = edges[k + 1] - edges[k];
            long bandStart = blocksTotal * 16 * edges[k];
            Vectors.dotInt8Blocks(p.s.qc, edges[k], Math.min(p.m, edges[k + 1]) - edges[k], ix.codes,
                bandStart + b0 * 16 * width, 16 * width, blocks, block, 0, k > 0);
          }
          int first = Math.max(r0, b0 * 16), end = Math.min(r1, (b0 + blocks) * 16);
          Vectors.keys(block, first - b0 * 16, p.t, p.bias, keyMode(), p.norm, first, keys, 0, end - first);
          addAbove(keys, end - first, first, top, s.found);
        }
      }
      case BINARY -> {
        // word-major sign bits: word w of row r at (w·n + r)·8 (see IndexFile)
        int[] h = s.block;
        float[] keys = s.blockKeys;
        long[] qb = p.s.qbits;
        int m = p.m, words = (m + 63) / 64;
        for (int c0 = r0; c0 < r1; c0 += h.length) {
          int rows = Math.min(h.length, r1 - c0);
          Arrays.fill(h, 0, rows, 0);
          for (int w = 0; w < words; w++) {
            long mask = w < m / 64 ? -1L : (1L << (m % 64)) - 1;
            Vectors.hammingWords(qb[w], mask, ix.signBits, 8L * ((long) w * ix.count + c0), rows, h, 0);
          }
          // m − 2·Hamming: the dot product of the ±1 sign vectors
          Vectors.keys(h, 0, -2f, m, Vectors.KEY_PLAIN, null, 0, keys, 0, rows);
          addAbove(keys, rows, c0, top, s.found);
        }
      }
    }
  }

  /**
   * What a key must exceed to be worth adding. When ids ascend with rows, a row that only ties
   * with the bar has the higher id and loses, so ties are skipped too (binary keys are small
   * integers and tie by the thousand); otherwise ties must go in, to be decided by id.
   */
  private float skipBar(Shortlist top) {
    return ix.rankOfRow == null ? top.bar() : Math.nextDown(top.bar());
  }

  /**
   * Adds rows first, first + 1, … whose key is above the bar. The bar may rise while they are
   * added; the shortlist drops those that fell below it.
   */
  private void addAbove(float[] keys, int n, int first, Shortlist top, int[] found) {
    int c = Vectors.collectAbove(keys, 0, n, skipBar(top), found);
    for (int j = 0; j < c; j++) {
      top.add(ix.key(first + found[j]), keys[found[j]]);
    }
  }

  private int keyMode() {
    return switch (ix.metric) {
      case IP -> Vectors.KEY_PLAIN;
      case COSINE -> Vectors.KEY_SCALED;
      case L2 -> Vectors.KEY_L2;
    };
  }

  /**
   * Exact float search for a batch: the rows are split into one range per thread; each range is
   * read once, a block of {@value #GEMM_ROWS} rows at a time, and scored against every query by
   * GEMM; each query keeps one heap per range, merged at the end.
   */
  private void exactBatch(float[] queries, int nq, int stride, int k, int m, Hits hits, float[] keysOut) {
    int n = ix.count;
    // Every metric becomes a plain product of the GEMM: cosine scales the copied rows by 1/|x_m|,
    // l2 appends a column (1 for queries, −|x_m|²/2 for rows), so that C = q·x − |x|²/2, half
    // the l2 key. The top-k pass is then one vector compare per 16 products.
    int w = ix.metric == Metric.L2 ? m + 1 : m;
    float[] q = new float[nq * w];
    float[] qq = new float[nq];
    for (int i = 0; i < nq; i++) {
      double ss = 0;
      for (int j = 0; j < m; j++) {
        float v = queries[i * stride + j];
        q[i * w + j] = v;
        ss += (double) v * v;
      }
      qq[i] = (float) ss;
      if (ix.metric == Metric.COSINE && ss > 0) {
        float inv = (float) (1 / Math.sqrt(ss));
        for (int j = 0; j < m; j++) {
          q[i * w + j] *= inv;
        }
      }
      if (ix.metric == Metric.L2) {
        q[i * w + m] = 1f;
      }
    }
    float[] norm = ix.norms(m, pool);
    int ranges = Math.max(1, Math.min(pool.threads(), (n + GEMM_ROWS - 1) / GEMM_ROWS));
    int per = (n + ranges - 1) / ranges;
    TopK[][] tops = new TopK[ranges][nq];
    boolean ordered = ix.rankOfRow == null;
    pool.forEach(ranges, t -> {
      TopK[] top = tops[t];
      for (int i = 0; i < nq; i++) {
        top[i] = new TopK(k);
      }
      float[] x = new float[GEMM_ROWS * w];
      int qb = Math.min(nq, GEMM_QUERIES);
      float[] c = new float[qb * GEMM_ROWS];
      int[] found = new int[GEMM_ROWS];
      int end = Math.min(n, (t + 1) * per);
      for (int r0 = t * per; r0 < end; r0 += GEMM_ROWS) {
        int rows = Math.min(GEMM_ROWS, end - r0);
        for (int r = 0; r < rows; r++) {
          MemorySegment.copy(ix.vectors, IndexFile.LE_FLOAT, (long) (r0 + r) * ix.dim * 4, x, r * w, m);
          if (ix.metric == Metric.COSINE) {
            Vectors.scale(norm[r0 + r], x, r * w, m);
          } else if (ix.metric == Metric.L2) {
            x[r * w + m] = -0.5f * norm[r0 + r];
          }
        }
        for (int q0 = 0; q0 < nq; q0 += qb) {
          int qn = Math.min(qb, nq - q0);
          Gemm.sgemm(ONE, false, true, qn, rows, w, 1f, q, q0 * w, w, x, 0, w, 0f, c, 0, rows);
          for (int i = 0; i < qn; i++) {
            TopK heap = top[q0 + i];
            float bar = heap.threshold();
            // most rows lose to the k-th best so far: find the few that do not, 16 at a time
            int cnt = Vectors.collectAbove(c, i * rows, rows, ordered ? bar : Math.nextDown(bar), found);
            for (int j = 0; j < cnt; j++) {
              heap.offer(ix.key(r0 + found[j]), c[i * rows + found[j]]);
            }
          }
        }
      }
    });
    int[] keys = new int[k];
    float[] scores = new float[k];
    TopK merged = new TopK(k);
    for (int i = 0; i < nq; i++) {
      for (int t = 0; t < ranges; t++) {
        int c = tops[t][i].drainSorted(keys, scores);
        for (int j = 0; j < c; j++) {
          merged.offer(keys[j], scores[j]);
        }
      }
      int c = merged.drainSorted(keys, scores);
      for (int j = 0; j < c; j++) {
        hits.ids()[i * k + j] = ix.ids[ix.row(keys[j])];
        hits.scores()[i * k + j] = ix.metric == Metric.L2 ? Math.max(0f, qq[i] - 2 * scores[j]) : scores[j];
        if (keysOut != null) {
          keysOut[i * k + j] = scores[j];
        }
      }
      hits.found()[i] = c;
    }
  }
}
