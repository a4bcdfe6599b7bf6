package dev.mtk.search.index;

import dev.mtk.core.io.AtomicFile;
import dev.mtk.core.io.Npy;
import dev.mtk.core.parallel.WorkerPool;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Many queries searched in batches of a fixed size, timed after a warm-up (so the JIT has
 * compiled the search): what {@code mtk index search} runs and reports.
 */
public record BatchedSearch(List<Hits> parts, int queries, double seconds) {

  /** A timed run over the rows of a queries .npy, with what it reports. */
  public record Report(BatchedSearch run, int dim, Cost cost, Map<String, Object> summary,
      FunnelCalibration.Result calibration) {}

  /**
   * As {@link #run(VectorIndex, Path, int, int, Funnel, int, double, WorkerPool)} with a funnel
   * written as text: a ladder ({@code 16:1000,64:200}, {@code 32:1000~0.05}) or {@code auto[:RECALL]}
   * / {@code DIM:auto[:RECALL]}, fitted first by {@link FunnelCalibration} on the queries of
   * {@code calibration} (a .npy; null: {@link FunnelCalibration#SAMPLE} database rows).
   */
  public static Report run(VectorIndex index, Path queries, int dim, int k, String funnel,
      Path calibration, int batch, double warmupSeconds, WorkerPool pool) throws IOException {
    double[] auto = funnel == null ? null : FunnelCalibration.parseAuto(funnel);
    if (auto == null) {
      if (calibration != null) {
        throw new IllegalArgumentException("calibration queries are for --funnel auto[:RECALL]");
      }
      return run(index, queries, dim, k, funnel == null ? null : Funnel.parse(funnel), batch, warmupSeconds, pool);
    }
    int m = dim == 0 ? Math.min(index.dim(), columns(queries)) : dim;
    Searcher s = index.searcher(pool);
    FunnelCalibration.Result c;
    if (calibration == null) {
      c = FunnelCalibration.onDatabase(s, index, k, m, (int) auto[0], auto[1], 1L);
    } else {
      Rows cal = Rows.read(calibration);
      float[] q = cal.values();
      int cols = cal.cols();
      if (cols < m || cols > index.dim()) {
        throw new IllegalArgumentException(calibration + " has " + cols + " dimensions; the search needs "
            + m + " to " + index.dim());
      }
      c = FunnelCalibration.calibrate(s, index, q, q.length / cols, cols, k, m, (int) auto[0], auto[1], null,
          "queries of " + calibration.getFileName());
    }
    Report r = run(index, queries, dim, k, c.adaptive(), batch, warmupSeconds, pool);
    Map<String, Object> o = new LinkedHashMap<>(r.summary());
    o.put("funnel_asked", funnel);
    Map<String, Object> cal = new LinkedHashMap<>();
    cal.put("source", c.source());
    cal.put("queries", c.queries());
    cal.put("target_recall", c.target());
    cal.put("adaptive", c.adaptive().toString());
    cal.put("adaptive_recall", c.adaptiveRecall());
    cal.put("adaptive_reranked_per_query", c.adaptiveReranked());
    cal.put("fixed", c.fixed().toString());
    cal.put("fixed_recall", c.fixedRecall());
    cal.put("fixed_reranked_per_query", c.fixed().stages().get(0).shortlist());
    o.put("calibration", cal);
    return new Report(r.run(), r.dim(), r.cost(), o, c);
  }

  /** A float32 .npy read into memory, row after row. */
  private record Rows(float[] values, int cols) {
    static Rows read(Path npy) throws IOException {
      try (Arena a = Arena.ofConfined()) {
        Npy.Matrix m = Npy.map(npy, a);
        return new Rows(m.toArray(), m.cols());
      }
    }
  }

  private static int columns(Path npy) throws IOException {
    try (Arena a = Arena.ofConfined()) {
      return Npy.map(npy, a).cols();
    }
  }

  /**
   * Searches {@code index} with every row of {@code queries} (Q × d, or Q × m for a prefix m)
   * at prefix {@code dim} (0: the queries' width), {@code batch} queries a call, after
   * {@code warmupSeconds} of untimed batches.
   */
  public static Report run(VectorIndex index, Path queries, int dim, int k, Funnel funnel,
      int batch, double warmupSeconds, WorkerPool pool) throws IOException {
    Rows rows = Rows.read(queries);
    float[] q = rows.values();
    int cols = rows.cols();
    int nq = q.length / cols;
    int m = dim == 0 ? Math.min(index.dim(), cols) : dim;
    if (cols < m) {
      throw new IllegalArgumentException(queries + " has " + cols + " dimensions; searching at "
          + m + " needs at least that many");
    }
    if (cols > index.dim()) {
      throw new IllegalArgumentException(queries + " has " + cols + " dimensions, the index "
          + index.dim());
    }
    BatchedSearch run = run(index.searcher(pool), q, nq, cols, k, m, funnel, batch, warmupSeconds);
    Cost c = Cost.of(index.count(), m, index.metric(), index.precision(), funnel);
    Map<String, Object> o = summary(run, k, m, index.precision(), funnel, batch, pool.threads(), warmupSeconds, c);
    if (funnel != null || index.precision() != Precision.F32) {
      // what the approximation lost, against exact float search of the same queries (untimed)
      o.put("recall_vs_exact", run.recallAgainst(index.searcher(pool).exact(q, nq, cols, k, m)));
    }
    return new Report(run, m, c, o, null);
  }

  /** What a timed run reports, whatever searched it (one index or its shards). */
  static Map<String, Object> summary(BatchedSearch run, int k, int m, Precision precision, Funnel funnel,
      int batch, int threads, double warmupSeconds, Cost c) {
    int nq = run.queries();
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("qps", nq / run.seconds());
    o.put("queries", nq);
    o.put("seconds", run.seconds());
    o.put("k", k);
    o.put("dim", m);
    o.put("precision", precision.id());
    o.put("funnel", funnel == null ? null : funnel.toString());
    o.put("batch", batch);
    o.put("threads", threads);
    o.put("warmup_s", warmupSeconds);
    o.put("vectors_scored_per_query", c.vectorsScored());
    o.put("bytes_read_per_query", c.bytesRead());
    o.put("flops_per_query", c.flops());
    if (funnel != null) {
      double reranked = 0;
      for (Hits h : run.parts()) {
        reranked += h.meanReranked() * h.queries();
      }
      o.put("reranked_per_query", nq == 0 ? 0 : reranked / nq);
    }
    return o;
  }

  /**
   * {@code queries}: nq rows of {@code cols} floats; {@code warmupSeconds} of untimed batches
   * first (0: a cold start). The returned hits are those of the timed pass.
   */
  public static BatchedSearch run(Searcher s, float[] queries, int nq, int cols, int k, int m,
      Funnel f, int batch, double warmupSeconds) {
    if (batch < 1) {
      throw new IllegalArgumentException("batch must be at least 1, got " + batch);
    }
    int batches = (nq + batch - 1) / batch;
    long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
    for (int b = 0; warmupSeconds > 0 && batches > 0 && System.nanoTime() < warmEnd; b = (b + 1) % batches) {
      int q0 = b * batch, qn = Math.min(batch, nq - q0);
      s.search(Arrays.copyOfRange(queries, q0 * cols, (q0 + qn) * cols), qn, cols, k, m, f);
    }
    List<Hits> parts = new ArrayList<>(batches);
    long start = System.nanoTime();
    for (int b = 0; b < batches; b++) {
      int q0 = b * batch, qn = Math.min(batch, nq - q0);
      parts.add(s.search(Arrays.copyOfRange(queries, q0 * cols, (q0 + qn) * cols), qn, cols, k, m, f));
    }
    return new BatchedSearch(parts, nq, (System.nanoTime() - start) / 1e9);
  }

  /** The share of the reference's top k (per query) that these hits found, over all queries. */
  public double recallAgainst(Hits reference) {
    long hit = 0, total = 0;
    int q0 = 0;
    for (Hits h : parts) {
      for (int i = 0; i < h.queries(); i++) {
        int want = reference.found(q0 + i);
        total += want;
        for (int j = 0; j < h.found(i); j++) {
          long id = h.id(i, j);
          for (int r = 0; r < want; r++) {
            if (reference.id(q0 + i, r) == id) {
              hit++;
              break;
            }
          }
        }
      }
      q0 += h.queries();
    }
    return total == 0 ? 1 : (double) hit / total;
  }

  /**
   * JSON Lines in query order: {@code {"ids": […], "scores": […]}}, plus {@code "texts"} when
   * {@code index} keeps them (null: ids and scores only).
   */
  public void writeJsonl(Path out, VectorIndex index) throws IOException {
    writeJsonl(out, index == null || !index.hasTexts() ? null : id -> index.text(index.rowOf(id)));
  }

  /** As above, with the text of each hit's id from {@code textOf} (null: ids and scores only). */
  public void writeJsonl(Path out, java.util.function.LongFunction<String> textOf) throws IOException {
    boolean texts = textOf != null;
    AtomicFile.write(out, stream -> {
      BufferedWriter w = new BufferedWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8));
      for (Hits h : parts) {
        for (int i = 0; i < h.queries(); i++) {
          w.write("{\"ids\": [");
          for (int j = 0; j < h.found(i); j++) {
            w.write((j > 0 ? ", " : "") + h.id(i, j));
          }
          w.write("], \"scores\": [");
          for (int j = 0; j < h.found(i); j++) {
            w.write((j > 0 ? ", " : "") + h.score(i, j));
          }
          if (texts) {
            w.write("], \"texts\": [");
            for (int j = 0; j < h.found(i); j++) {
              w.write((j > 0 ? ", " : "") + jsonString(textOf.apply(h.id(i, j))));
            }
          }
          w.write("]}\n");
        }
      }
      w.flush();
    });
  }

  static String jsonString(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }
}
