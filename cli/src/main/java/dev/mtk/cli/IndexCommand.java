package dev.mtk.cli;

import dev.mtk.core.console.ProgressBar;
import dev.mtk.core.io.Npy;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.search.index.Cost;
import dev.mtk.search.index.Funnel;
import dev.mtk.search.index.Hits;
import dev.mtk.search.index.IndexFile;
import dev.mtk.search.index.Metric;
import dev.mtk.search.index.Precision;
import dev.mtk.search.index.RowSource;
import dev.mtk.search.index.Searcher;
import dev.mtk.search.index.VectorIndex;
import java.io.BufferedWriter;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Build, extend, inspect and query a vector index. */
@Command(name = "index", mixinStandardHelpOptions = true,
    description = "Vector indexes over Matryoshka embeddings: exact, int8 or binary scans at any "
        + "prefix, and funnels (short prefix first, exact rescoring after). Format: docs/SEARCH.md.",
    subcommands = {IndexCommand.Build.class, IndexCommand.Add.class, IndexCommand.Search.class,
        IndexCommand.Info.class})
final class IndexCommand implements Runnable {

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Ids from a text file, one integer per line, or null for row numbers. */
  static long[] readIds(Path file, long rows) throws IOException {
    if (file == null) {
      return null;
    }
    Inputs.mustExist(List.of(file));
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    if (lines.size() != rows) {
      throw new IllegalArgumentException(file + ": " + lines.size() + " ids for " + rows
          + " vectors (one id per line)");
    }
    long[] ids = new long[lines.size()];
    Set<Long> seen = new HashSet<>();
    for (int i = 0; i < ids.length; i++) {
      try {
        ids[i] = Long.parseLong(lines.get(i).trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(file + ":" + (i + 1) + ": '" + lines.get(i)
            + "' is not a whole number (ids are 64-bit integers)");
      }
      if (!seen.add(ids[i])) {
        throw new IllegalArgumentException(file + ":" + (i + 1) + ": id " + ids[i]
            + " appears twice");
      }
    }
    return ids;
  }

  static RowSource source(Npy.Matrix m) {
    return new RowSource() {
      @Override
      public long rows() {
        return m.rows();
      }

      @Override
      public int dim() {
        return m.cols();
      }

      @Override
      public void row(long r, float[] out) {
        m.row(r, out, 0);
      }
    };
  }

  static IndexFile.Progress bar(ProgressBar bar, String phase) {
    return (done, total) -> bar.update(phase, done, total);
  }

  @Command(name = "build", mixinStandardHelpOptions = true,
      description = "Build an index from a float32 .npy of N × d vectors.")
  static final class Build implements Callable<Integer> {
    @Option(names = "--vectors", required = true, description = "N × d float32 .npy.")
    Path vectors;

    @Option(names = "--ids", description = "Text file, one 64-bit integer id per line "
        + "(default: row numbers 0..N-1).")
    Path ids;

    @Option(names = "--metric", defaultValue = "cosine",
        description = "ip, cosine or l2 (default ${DEFAULT-VALUE}).")
    String metric;

    @Option(names = "--precision", defaultValue = "f32", description = "What scans read: f32, "
        + "int8 or binary (default ${DEFAULT-VALUE}); floats are kept for exact rescoring.")
    String precision;

    @Option(names = "--output", required = true, description = "Index directory to write.")
    Path output;

    @Override
    public Integer call() throws Exception {
      Metric met = Metric.parse(metric);
      Precision prec = Precision.parse(precision);
      try (Arena arena = Arena.ofConfined()) {
        Npy.Matrix m = Npy.map(vectors, arena);
        long[] idList = readIds(ids, m.rows());
        ProgressBar bar = new ProgressBar("rows");
        long start = System.nanoTime();
        IndexFile.write(output.resolve(IndexFile.FILE_NAME), source(m), idList, met, prec, null,
            bar(bar, "indexing"));
        double s = (System.nanoTime() - start) / 1e9;
        bar.finish(String.format(Locale.ROOT, "indexed %,d × %d (%s, %s) in %.1f s → %s",
            m.rows(), m.cols(), met.id(), prec.id(), s, output));
      }
      return 0;
    }
  }

  @Command(name = "add", mixinStandardHelpOptions = true,
      description = {"Append vectors (with ids) to an index. The index file is rewritten "
          + "atomically; int8 ranges stay as calibrated at build time (rebuild to recalibrate)."})
  static final class Add implements Callable<Integer> {
    @Option(names = "--index", required = true, description = "Index directory.")
    Path index;

    @Option(names = "--vectors", required = true, description = "M × d float32 .npy to append.")
    Path vectors;

    @Option(names = "--ids", description = "Their ids, one per line (default: continuing after "
        + "the largest id).")
    Path ids;

    @Override
    public Integer call() throws Exception {
      try (VectorIndex ix = IndexFile.open(index); Arena arena = Arena.ofConfined()) {
        Npy.Matrix more = Npy.map(vectors, arena);
        if (more.cols() != ix.dim()) {
          throw new IllegalArgumentException(vectors + " has " + more.cols()
              + " dimensions, the index " + ix.dim());
        }
        long[] old = ix.ids();
        long[] added = readIds(ids, more.rows());
        long[] all = new long[Math.toIntExact(old.length + more.rows())];
        System.arraycopy(old, 0, all, 0, old.length);
        long next = 0;
        for (long id : old) {
          next = Math.max(next, id + 1);
        }
        Set<Long> seen = new HashSet<>();
        for (long id : old) {
          seen.add(id);
        }
        for (int i = 0; i < more.rows(); i++) {
          all[old.length + i] = added == null ? next + i : added[i];
          if (!seen.add(all[old.length + i])) {
            throw new IllegalArgumentException("id " + all[old.length + i]
                + " is already in the index");
          }
        }
        ProgressBar bar = new ProgressBar("rows");
        // written beside the mapped file and renamed over it: the open mapping stays valid
        IndexFile.write(ix.file(), ix.rows().concat(source(more)), all, ix.metric(),
            ix.precision(), ix.int8(), bar(bar, "rewriting"));
        bar.finish(String.format(Locale.ROOT, "appended %,d vectors: %,d in %s", more.rows(),
            all.length, index));
      }
      return 0;
    }
  }

  @Command(name = "info", mixinStandardHelpOptions = true,
      description = "Verify an index's checksums and print what it holds.")
  static final class Info implements Callable<Integer> {
    @Option(names = "--index", required = true, description = "Index directory.")
    Path index;

    @Override
    public Integer call() throws Exception {
      try (VectorIndex ix = IndexFile.open(index)) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("file", ix.file().toString());
        o.put("count", ix.count());
        o.put("dim", ix.dim());
        o.put("metric", ix.metric().id());
        o.put("precision", ix.precision().id());
        o.put("bytes", Files.size(ix.file()));
        o.put("scan_bytes_per_vector", ix.precision().bytesPerVector(ix.dim()));
        o.put("checksums", "ok");
        System.out.println(Inputs.JSON.writeValueAsString(o));
      }
      return 0;
    }
  }

  @Command(name = "search", mixinStandardHelpOptions = true,
      description = {"Top-k for every row of a queries .npy, written as JSON Lines "
          + "{\"ids\": [...], \"scores\": [...]} in query order.",
          "Scores: ip and cosine higher is better; l2 is the squared distance (lower is better)."
              + " Without --funnel an int8 or binary index returns its approximate scores."})
  static final class Search implements Callable<Integer> {
    @Option(names = "--index", required = true, description = "Index directory.")
    Path index;

    @Option(names = "--queries", required = true, description = "Q × d (or Q × m) float32 .npy.")
    Path queries;

    @Option(names = "--k", defaultValue = "10", description = "Results per query (default ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--dim", description = "Matryoshka prefix m ≤ d to search at (default: d).")
    Integer dim;

    @Option(names = "--funnel", description = "dim:shortlist stages, e.g. 16:1000,64:200: the first"
        + " scans the index's codes at that prefix, the rest rescore with exact floats.")
    String funnel;

    @Option(names = "--batch", defaultValue = "1000", description = "Queries per call (default "
        + "${DEFAULT-VALUE}); 1 measures single-query latency.")
    int batch;

    @Option(names = "--threads", description = "Threads (default: all cores).")
    Integer threads;

    @Option(names = "--output", required = true, description = "results.jsonl to write.")
    Path output;

    @Option(names = "--json", description = "Print a JSON summary as the last line of stdout.")
    boolean json;

    @Option(names = "--warmup", defaultValue = "3", description = "Seconds of untimed queries "
        + "first, so that the JIT has compiled the search (default ${DEFAULT-VALUE}; 0 times a cold "
        + "start). The results file is written from the timed pass.")
    double warmup;

    @Override
    public Integer call() throws Exception {
      if (batch < 1) {
        throw new IllegalArgumentException("--batch must be at least 1");
      }
      try (VectorIndex ix = IndexFile.open(index);
          WorkerPool pool = new WorkerPool(TokenizerCommand.threads(threads))) {
        float[] q;
        int cols;
        try (Arena a = Arena.ofConfined()) {
          Npy.Matrix qm = Npy.map(queries, a);
          cols = qm.cols();
          q = qm.toArray();
        }
        int nq = q.length / cols;
        int m = dim == null ? Math.min(ix.dim(), cols) : dim;
        if (cols < m) {
          throw new IllegalArgumentException(queries + " has " + cols + " dimensions; searching at "
              + m + " needs at least that many");
        }
        if (cols > ix.dim()) {
          throw new IllegalArgumentException(queries + " has " + cols + " dimensions, the index "
              + ix.dim());
        }
        Funnel f = funnel == null ? null : Funnel.parse(funnel);
        Searcher s = ix.searcher(pool);
        Hits[] parts = new Hits[(nq + batch - 1) / batch];
        long warmEnd = System.nanoTime() + (long) (warmup * 1e9);
        for (int b = 0; warmup > 0 && System.nanoTime() < warmEnd; b = (b + 1) % parts.length) {
          int q0 = b * batch, qn = Math.min(batch, nq - q0);
          s.search(java.util.Arrays.copyOfRange(q, q0 * cols, (q0 + qn) * cols), qn, cols, k, m, f);
        }
        long start = System.nanoTime();
        for (int b = 0; b < parts.length; b++) {
          int q0 = b * batch, qn = Math.min(batch, nq - q0);
          float[] slice = java.util.Arrays.copyOfRange(q, q0 * cols, (q0 + qn) * cols);
          parts[b] = s.search(slice, qn, cols, k, m, f);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        dev.mtk.core.io.AtomicFile.write(output, out -> {
          BufferedWriter w = new BufferedWriter(new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8));
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
              w.write("]}\n");
            }
          }
          w.flush();
        });
        Cost c = Cost.of(ix.count(), m, ix.metric(), ix.precision(), f);
        double qps = nq / seconds;
        System.err.printf(Locale.ROOT, "%,d queries in %.3f s: %.1f QPS (%d threads, batch %d); "
            + "per query %,d vectors scored, %,d bytes read%n", nq, seconds, qps, pool.threads(),
            batch, c.vectorsScored(), c.bytesRead());
        if (json) {
          Map<String, Object> o = new LinkedHashMap<>();
          o.put("qps", qps);
          o.put("queries", nq);
          o.put("seconds", seconds);
          o.put("k", k);
          o.put("dim", m);
          o.put("precision", ix.precision().id());
          o.put("funnel", f == null ? null : f.toString());
          o.put("batch", batch);
          o.put("threads", pool.threads());
          o.put("warmup_s", warmup);
          o.put("vectors_scored_per_query", c.vectorsScored());
          o.put("bytes_read_per_query", c.bytesRead());
          o.put("flops_per_query", c.flops());
          System.out.println(Inputs.JSON.writeValueAsString(o));
        }
      }
      return 0;
    }
  }
}
