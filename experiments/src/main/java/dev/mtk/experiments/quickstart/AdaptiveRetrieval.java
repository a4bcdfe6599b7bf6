package dev.mtk.experiments.quickstart;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.search.index.Funnel;
import dev.mtk.search.index.Hits;
import dev.mtk.search.index.IndexFile;
import dev.mtk.search.index.Metric;
import dev.mtk.search.index.Precision;
import dev.mtk.search.index.RowSource;
import dev.mtk.search.index.Searcher;
import dev.mtk.search.index.VectorIndex;
import dev.mtk.experiments.bench.SearchQuality;
import dev.mtk.experiments.bench.Timing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The quickstart's adaptive-retrieval section, measured with the search module: the Matryoshka
 * model's test answers indexed (float32 and int8, cosine), then exact search, a short prefix alone,
 * and funnels — a short-prefix shortlist reranked at full width — each scored by the task's
 * recall@10, by agreement with exact search, and by single-query speed.
 */
public final class AdaptiveRetrieval {

  static final int K = 10;
  private final WorkerPool pool;
  /** Seconds of single-query timing per row (after a quarter of that to warm up). */
  private final double seconds;

  public AdaptiveRetrieval(WorkerPool pool, double seconds) {
    this.pool = pool;
    this.seconds = seconds;
  }

  /**
   * Each row is a name and its measures: recall@10 of the task, agreement with exact search,
   * queries per second, bytes per vector scanned first.
   */
  public List<Map<String, Object>> measure(float[] queries, int nq, float[] docs, int nd, int width,
      int[] relevant, Path dir) throws IOException {
    Files.createDirectories(dir);
    RowSource src = RowSource.of(docs, nd, width);
    int[][] rel = new int[nq][];
    for (int i = 0; i < nq; i++) {
      rel[i] = new int[] {relevant[i]};
    }
    Map<Precision, VectorIndex> ix = new LinkedHashMap<>();
    try {
      for (Precision p : List.of(Precision.F32, Precision.INT8)) {
        Path f = dir.resolve("index-" + p.id()).resolve(IndexFile.FILE_NAME);
        IndexFile.write(f, src, null, Metric.COSINE, p, null, IndexFile.Progress.NONE);
        ix.put(p, IndexFile.open(f));
      }
      Hits exact = ix.get(Precision.F32).searcher(pool).search(queries, nq, width, K, width, null);
      int s = Math.min(16, width), m = Math.min(32, width), l = Math.min(64, width);
      List<Map<String, Object>> rows = new ArrayList<>();
      rows.add(row("exact f32@" + width, ix.get(Precision.F32), queries, nq, width, width, null, exact, rel));
      rows.add(row("f32@" + s + " alone", ix.get(Precision.F32), queries, nq, width, s, null, exact, rel));
      rows.add(row("f32 " + s + ":100 → " + width, ix.get(Precision.F32), queries, nq, width, width,
          Funnel.parse(s + ":100"), exact, rel));
      rows.add(row("int8 " + m + ":100 → " + width, ix.get(Precision.INT8), queries, nq, width, width,
          Funnel.parse(m + ":100"), exact, rel));
      if (l > s) {
        rows.add(row("int8 " + s + ":200," + l + ":50 → " + width, ix.get(Precision.INT8), queries, nq,
            width, width, Funnel.parse(s + ":200," + l + ":50"), exact, rel));
      }
      return rows;
    } finally {
      ix.values().forEach(VectorIndex::close);
    }
  }

  private Map<String, Object> row(String name, VectorIndex index, float[] q, int nq, int d, int m,
      Funnel f, Hits exact, int[][] relevant) {
    Searcher searcher = index.searcher(pool);
    Hits h = searcher.search(q, nq, d, K, m, f);
    long agree = SearchQuality.overlap(exact, h);
    float[] one = new float[d];
    int[] next = {0};
    double qps = Timing.rate(seconds, () -> {
      System.arraycopy(q, (next[0]++ % nq) * d, one, 0, d);
      searcher.search(one, 1, d, K, m, f);
    });
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("search", name);
    r.put("recall@10", SearchQuality.taskRecall(h, relevant));
    r.put("agreement@10", agree / ((double) nq * K));
    r.put("qps", qps);
    r.put("bytes_per_vector", index.precision().bytesPerVector(f == null ? m : f.stages().get(0).dim()));
    System.err.printf(java.util.Locale.ROOT, "%-28s recall@10 %.4f  agreement %.4f  %,.0f queries/s%n",
        name, (double) r.get("recall@10"), (double) r.get("agreement@10"), qps);
    return r;
  }
}
