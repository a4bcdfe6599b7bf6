package dev.mtk.experiments.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtk.core.io.AtomicFile;
import dev.mtk.core.io.Npy;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.experiments.report.Scatter;
import dev.mtk.models.inference.EmbedOptions;
import dev.mtk.models.inference.EmbeddingModel;
import dev.mtk.search.index.Cost;
import dev.mtk.search.index.Funnel;
import dev.mtk.search.index.Hits;
import dev.mtk.search.index.IndexFile;
import dev.mtk.search.index.Metric;
import dev.mtk.search.index.Precision;
import dev.mtk.search.index.RowSource;
import dev.mtk.search.index.Searcher;
import dev.mtk.search.index.VectorIndex;
import dev.mtk.training.task.ReverseDictionary;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The trade-off the project exists for, measured on search ({@code mtk bench search}): for each
 * prefix size, precision and funnel, recall@k against exact full-dimension search, single-query
 * QPS, bytes per vector and build time; the Pareto front marked and plotted. Writes
 * DIR/search.md, DIR/search.json and DIR/search.svg.
 */
public final class SearchTradeoff {

  /**
   * What to measure. Vectors come from {@code vectors}/{@code queries} (.npy), or from
   * {@code model}: a trained model embeds every WordNet gloss (the database) and the word sets of
   * test synsets (the queries). Null {@code dims} and {@code funnels} take the defaults.
   */
  public record Settings(Path model, Path vectors, Path queries, int maxQueries, String metric,
      int k, int[] dims, List<String> precisions, List<String> funnels, double seconds, Path output) {
    public Settings {
      if ((model == null) == (vectors == null) || (vectors != null) != (queries != null)) {
        throw new IllegalArgumentException("give either a model, or vectors and queries");
      }
      if (k < 1 || maxQueries < 1 || !(seconds > 0)) {
        throw new IllegalArgumentException("k and max queries must be at least 1, seconds above 0");
      }
    }
  }

  record Row(String name, Precision precision, int dim, String funnel, double recall,
      Double taskRecall, double qps, long scanBytesPerVector, Cost cost, boolean[] pareto) {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private final Settings settings;
  private final WorkerPool pool;
  private final int k;
  private final double seconds;
  private final Path output;

  private SearchTradeoff(Settings settings, WorkerPool pool) {
    this.settings = settings;
    this.pool = pool;
    this.k = settings.k();
    this.seconds = settings.seconds();
    this.output = settings.output();
  }

  /** Measures every configuration; returns the summary (exact and best-funnel speed and recall). */
  public static Map<String, Object> run(Settings settings, WorkerPool pool) throws IOException {
    return new SearchTradeoff(settings, pool).run();
  }

  private Map<String, Object> run() throws IOException {
    Metric met = Metric.parse(settings.metric());
    Files.createDirectories(output);
    {
      Path base = settings.vectors(), qs = settings.queries();
      int[][] relevant = null;
      if (settings.model() != null) {
        base = output.resolve("base.npy");
        qs = output.resolve("queries.npy");
        relevant = embedWordNet(base, qs);
      }
      float[] q;
      int d, n;
      try (var a = java.lang.foreign.Arena.ofConfined()) {
        Npy.Matrix b = Npy.map(base, a), qm = Npy.map(qs, a);
        d = b.cols();
        n = Math.toIntExact(b.rows());
        if (qm.cols() != d) {
          throw new IllegalArgumentException(qs + " and " + base + " differ in dimension");
        }
        q = qm.toArray();
      }
      int nq = Math.min(settings.maxQueries(), q.length / d);
      q = Arrays.copyOf(q, nq * d);
      int[] ladder = settings.dims() != null ? settings.dims() : defaultDims(d);
      List<Funnel> ladders = new ArrayList<>();
      for (String f : settings.funnels() != null ? settings.funnels() : List.of(defaultFunnels(d, n))) {
        ladders.add(Funnel.parse(f));
      }

      Map<Precision, VectorIndex> indexes = new LinkedHashMap<>();
      Map<Precision, Double> buildSeconds = new LinkedHashMap<>();
      List<Precision> precs = new ArrayList<>(List.of(Precision.F32));
      for (String p : settings.precisions()) {
        Precision pr = Precision.parse(p);
        if (!precs.contains(pr)) {
          precs.add(pr);
        }
      }
      try (var arena = java.lang.foreign.Arena.ofConfined()) {
        RowSource src = RowSource.of(Npy.map(base, arena));
        for (Precision p : precs) {
          Path f = output.resolve("index-" + p.id()).resolve(IndexFile.FILE_NAME);
          System.err.printf("building the %s index of %,d × %d…%n", p.id(), n, d);
          long t0 = System.nanoTime();
          IndexFile.write(f, src, null, met, p, null, IndexFile.Progress.NONE);
          buildSeconds.put(p, (System.nanoTime() - t0) / 1e9);
          indexes.put(p, IndexFile.open(f));
        }
      }
      try {
        Searcher exact = indexes.get(Precision.F32).searcher(pool);
        Hits truth = exact.search(q, nq, d, k, d, null);
        List<Row> rows = new ArrayList<>();
        rows.add(measure("exact", indexes.get(Precision.F32), pool, q, nq, d, d, null, truth, relevant));
        for (Precision p : precs) {
          for (int m : ladder) {
            if (p == Precision.F32 && m == d) {
              continue;
            }
            rows.add(measure("flat", indexes.get(p), pool, q, nq, d, m, null, truth, relevant));
          }
        }
        for (Funnel f : ladders) {
          for (Precision p : precs) {
            rows.add(measure("funnel", indexes.get(p), pool, q, nq, d, d, f, truth, relevant));
          }
        }
        markPareto(rows);
        write(rows, n, d, nq, met, buildSeconds, relevant != null);
        Row ex = rows.get(0);
        Row best = null;
        for (Row r : rows) {
          if (r.funnel != null && r.recall >= 0.99 && (best == null || r.qps > best.qps)) {
            best = r;
          }
        }
        {
          Map<String, Object> o = new LinkedHashMap<>();
          o.put("bench", "search");
          o.put("n", n);
          o.put("dim", d);
          o.put("queries", nq);
          o.put("exact_qps", ex.qps);
          o.put("exact_task_recall", ex.taskRecall);
          if (best != null) {
            o.put("best_funnel", best.name);
            o.put("best_funnel_qps", best.qps);
            o.put("best_funnel_speedup", best.qps / ex.qps);
            o.put("best_funnel_recall", best.recall);
            o.put("best_funnel_task_recall", best.taskRecall);
          }
          o.put("table", output.resolve("search.md").toString());
          return o;
        }
      } finally {
        indexes.values().forEach(VectorIndex::close);
      }
    }
  }

  static int[] defaultDims(int d) {
    return dev.mtk.core.matryoshka.Ladder.doubling(16, d);
  }


  static String[] defaultFunnels(int d, int n) {
    int a = Math.min(d, 16), b = Math.min(d, 32), c = Math.min(d, 64);
    List<String> out = new ArrayList<>();
    for (int[] ladder : new int[][] {{a, 60}, {a, 100, c, 30}, {a, 200, c, 50}, {b, 100},
        {a, 1000, c, 200}}) {
      StringBuilder f = new StringBuilder();
      for (int i = 0; i < ladder.length; i += 2) {
        if (i > 0 && ladder[i] <= ladder[i - 2]) {
          break; // d too small for the next rung
        }
        f.append(i > 0 ? "," : "").append(ladder[i]).append(':').append(Math.min(n, ladder[i + 1]));
      }
      out.add(f.toString());
    }
    return out.stream().distinct().toArray(String[]::new);
  }

  private Row measure(String kind, VectorIndex ix, WorkerPool pool, float[] q, int nq, int d, int m,
      Funnel f, Hits truth, int[][] relevant) {
    Searcher s = ix.searcher(pool);
    Hits all = s.search(q, nq, d, k, m, f);
    double hit = SearchQuality.overlap(truth, all);
    Double task = relevant == null ? null : SearchQuality.taskRecall(all, relevant);
    // single-query timing: one query at a time over both cores, cycling through the queries
    float[] one = new float[d];
    int[] next = {0};
    double qps = Timing.rate(seconds, () -> {
      System.arraycopy(q, (next[0]++ % nq) * d, one, 0, d);
      s.search(one, 1, d, k, m, f);
    });
    String name = ix.precision().id() + (f == null ? "@" + m : " funnel " + f);
    if (kind.equals("exact")) {
      name = "exact f32@" + d;
    }
    Cost c = Cost.of(ix.count(), m, ix.metric(), ix.precision(), f);
    Row r = new Row(name, ix.precision(), m, f == null ? null : f.toString(),
        hit / ((double) nq * k), task, qps,
        f == null ? ix.precision().bytesPerVector(m) : ix.precision().bytesPerVector(f.stages().get(0).dim()),
        c, new boolean[1]);
    System.err.printf(Locale.ROOT, "%-34s recall@%d %.4f%s  %9.1f QPS%n", name, k, r.recall,
        task == null ? "" : String.format(Locale.ROOT, "  task hit@%d %.4f", k, task), qps);
    return r;
  }

  /** A row is on the front when no other is at least as good in recall, QPS and bytes, and better in one. */
  static void markPareto(List<Row> rows) {
    boolean[] front = SearchQuality.paretoFront(rows, Row::recall, Row::qps, r -> -r.scanBytesPerVector());
    for (int i = 0; i < rows.size(); i++) {
      rows.get(i).pareto()[0] = front[i];
    }
  }

  /** Embeds every WordNet gloss (database) and the word sets of test synsets (queries). */
  private int[][] embedWordNet(Path base, Path qs) throws IOException {
    EmbeddingModel model = EmbeddingModel.load(settings.model(), pool);
    ReverseDictionary data = ReverseDictionary.load();
    List<String> glosses = new ArrayList<>();
    Map<Integer, List<Integer>> glossesOfDoc = new LinkedHashMap<>();
    for (ReverseDictionary.Split s : ReverseDictionary.Split.values()) {
      for (ReverseDictionary.Example e : data.examples(s)) {
        glossesOfDoc.computeIfAbsent(e.document(), x -> new ArrayList<>()).add(glosses.size());
        glosses.add(e.query());
      }
    }
    List<String> words = new ArrayList<>();
    List<int[]> relevant = new ArrayList<>();
    Set<Integer> seen = new HashSet<>();
    for (ReverseDictionary.Example e : data.examples(ReverseDictionary.Split.TEST)) {
      if (words.size() == settings.maxQueries()) {
        break;
      }
      if (seen.add(e.document())) {
        words.add(data.documents().get(e.document()));
        relevant.add(glossesOfDoc.get(e.document()).stream().mapToInt(Integer::intValue).toArray());
      }
    }
    int width = model.width();
    System.err.printf("embedding %,d WordNet glosses and %,d queries with %s…%n", glosses.size(),
        words.size(), settings.model());
    float[] g = model.embedTexts(glosses, EmbedOptions.EVALUATION).vectors();
    float[] w = model.embedTexts(words, EmbedOptions.EVALUATION).vectors();
    Npy.writeFloat32(base, g, glosses.size(), width);
    Npy.writeFloat32(qs, w, words.size(), width);
    return relevant.toArray(int[][]::new);
  }

  private void write(List<Row> rows, int n, int d, int nq, Metric met, Map<Precision, Double> build,
      boolean task) throws IOException {
    Row exact = rows.get(0);
    StringBuilder md = new StringBuilder();
    md.append(String.format(Locale.ROOT, "Search trade-off: %,d × %d (%s), %,d queries, k = %d, "
        + "single-query QPS on %d threads. Recall is against exact search at %d dims.%n%n",
        n, d, met.id(), nq, k, pool.threads(), d));
    md.append("| configuration | recall@").append(k).append(task ? " | task hit@" + k : "")
        .append(" | QPS | × exact | scan bytes/vector | bytes read/query | Pareto |\n");
    md.append("|---|---:|").append(task ? "---:|" : "").append("---:|---:|---:|---:|:-:|\n");
    for (Row r : rows) {
      md.append(String.format(Locale.ROOT, "| %s | %.4f |%s %.1f | %.2f | %d | %,d | %s |%n", r.name,
          r.recall, task ? String.format(Locale.ROOT, " %.4f |", r.taskRecall) : "", r.qps,
          r.qps / exact.qps, r.scanBytesPerVector, r.cost.bytesRead(), r.pareto[0] ? "●" : ""));
    }
    md.append("\nBuild time: ");
    build.forEach((p, s) -> md.append(String.format(Locale.ROOT, "%s %.1f s; ", p.id(), s)));
    md.append("\n");
    AtomicFile.write(output.resolve("search.md"), md.toString().getBytes(StandardCharsets.UTF_8));
    List<Map<String, Object>> list = new ArrayList<>();
    for (Row r : rows) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("configuration", r.name);
      o.put("precision", r.precision.id());
      o.put("dim", r.dim);
      o.put("funnel", r.funnel);
      o.put("recall_vs_exact", r.recall);
      o.put("task_hit", r.taskRecall);
      o.put("qps", r.qps);
      o.put("scan_bytes_per_vector", r.scanBytesPerVector);
      o.put("bytes_read_per_query", r.cost.bytesRead());
      o.put("vectors_scored_per_query", r.cost.vectorsScored());
      o.put("flops_per_query", r.cost.flops());
      o.put("pareto", r.pareto[0]);
      list.add(o);
    }
    Map<String, Object> top = new LinkedHashMap<>();
    top.put("n", n);
    top.put("dim", d);
    top.put("metric", met.id());
    top.put("k", k);
    top.put("queries", nq);
    Map<String, Double> b = new LinkedHashMap<>();
    build.forEach((p, s) -> b.put(p.id(), s));
    top.put("build_seconds", b);
    top.put("rows", list);
    AtomicFile.write(output.resolve("search.json"),
        JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(top));
    AtomicFile.write(output.resolve("search.svg"), plot(rows).getBytes(StandardCharsets.UTF_8));
    System.err.println("wrote " + output.resolve("search.md") + ", search.json and search.svg");
  }

  /** Recall against QPS (log scale), one colour per precision, funnels as squares; the front joined. */
  static String plot(List<Row> rows) {
    List<Scatter.Point> points = new ArrayList<>();
    for (Row r : rows) {
      points.add(new Scatter.Point(r.name(), r.precision().ordinal(), r.funnel() != null, r.qps(), r.recall()));
    }
    return Scatter.svg(points, List.of("f32", "int8", "binary"), List.of("● flat scan", "□ funnel"),
        "queries per second, one at a time", "recall@k against exact search");
  }
}
