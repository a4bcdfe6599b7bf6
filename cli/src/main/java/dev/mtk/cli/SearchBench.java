package dev.mtk.cli;

import dev.mtk.core.io.AtomicFile;
import dev.mtk.core.io.Npy;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.encoder.Encoder;
import dev.mtk.models.io.ModelDirectory;
import dev.mtk.search.index.Cost;
import dev.mtk.search.index.Funnel;
import dev.mtk.search.index.Hits;
import dev.mtk.search.index.IndexFile;
import dev.mtk.search.index.Metric;
import dev.mtk.search.index.Precision;
import dev.mtk.search.index.RowSource;
import dev.mtk.search.index.Searcher;
import dev.mtk.search.index.VectorIndex;
import dev.mtk.tokenizers.text.HuggingFaceJson;
import dev.mtk.tokenizers.text.Tokenizer;
import dev.mtk.training.eval.Embedder;
import dev.mtk.training.task.ReverseDictionary;
import dev.mtk.training.train.Trainer;
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
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The trade-off the project exists for, measured on search: for each prefix size, precision and
 * funnel, recall@k against exact full-dimension search, single-query QPS, bytes per vector and
 * build time; the Pareto front marked and plotted.
 */
@Command(name = "search", mixinStandardHelpOptions = true,
    description = {"Search quality against speed and memory, per (dim, precision, funnel).",
        "Vectors come from --vectors/--queries (.npy), or from --model: a trained model embeds every "
            + "WordNet gloss (the database) and the word sets of test synsets (the queries).",
        "Writes DIR/search.md, DIR/search.json and DIR/search.svg; the JSON summary is the last line "
            + "of stdout with --json."})
final class SearchBench implements Callable<Integer> {

  @Option(names = "--model", description = "A trained model directory (e.g. RUN/model).")
  Path model;

  @Option(names = "--vectors", description = "Database, N × d float32 .npy.")
  Path vectors;

  @Option(names = "--queries", description = "Queries, Q × d float32 .npy.")
  Path queries;

  @Option(names = "--max-queries", defaultValue = "1000", description = "Queries used at most "
      + "(default ${DEFAULT-VALUE}).")
  int maxQueries;

  @Option(names = "--metric", defaultValue = "cosine", description = "ip, cosine or l2 (default ${DEFAULT-VALUE}).")
  String metric;

  @Option(names = "--k", defaultValue = "10", description = "Top k (default ${DEFAULT-VALUE}).")
  int k;

  @Option(names = "--dims", split = ",", description = "Prefixes for flat scans (default: 16, 32, … d).")
  int[] dims;

  @Option(names = "--precisions", split = ",", defaultValue = "f32,int8,binary",
      description = "Precisions (default ${DEFAULT-VALUE}).")
  String[] precisions;

  @Option(names = "--funnels", split = ";", description = "Ladders separated by ';' (default: "
      + "16:60;16:100,64:30;16:200,64:50;32:100;16:1000,64:200, cut to d).")
  String[] funnels;

  @Option(names = "--seconds", defaultValue = "2", description = "Timing per configuration, after "
      + "a warm-up of a quarter of it (default ${DEFAULT-VALUE}).")
  double seconds;

  @Option(names = "--threads", description = "Threads (default: all cores).")
  Integer threads;

  @Option(names = "--output", defaultValue = "search-bench", description = "Directory for the "
      + "vectors, indexes, table and plot (default ${DEFAULT-VALUE}).")
  Path output;

  @Option(names = "--json", description = "Print a JSON summary as the last line of stdout.")
  boolean json;

  record Row(String name, Precision precision, int dim, String funnel, double recall,
      Double taskRecall, double qps, long scanBytesPerVector, Cost cost, boolean[] pareto) {}

  @Override
  public Integer call() throws Exception {
    if ((model == null) == (vectors == null) || (vectors != null) != (queries != null)) {
      throw new IllegalArgumentException("give either --model DIR, or --vectors and --queries");
    }
    Metric met = Metric.parse(metric);
    Files.createDirectories(output);
    try (WorkerPool pool = new WorkerPool(TokenizerCommand.threads(threads))) {
      Path base = vectors, qs = queries;
      int[][] relevant = null;
      if (model != null) {
        base = output.resolve("base.npy");
        qs = output.resolve("queries.npy");
        relevant = embedWordNet(pool, base, qs);
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
      int nq = Math.min(maxQueries, q.length / d);
      q = Arrays.copyOf(q, nq * d);
      int[] ladder = dims != null ? dims : defaultDims(d);
      List<Funnel> ladders = new ArrayList<>();
      for (String f : funnels != null ? funnels : defaultFunnels(d, n)) {
        ladders.add(Funnel.parse(f));
      }

      Map<Precision, VectorIndex> indexes = new LinkedHashMap<>();
      Map<Precision, Double> buildSeconds = new LinkedHashMap<>();
      List<Precision> precs = new ArrayList<>(List.of(Precision.F32));
      for (String p : precisions) {
        Precision pr = Precision.parse(p);
        if (!precs.contains(pr)) {
          precs.add(pr);
        }
      }
      try (var arena = java.lang.foreign.Arena.ofConfined()) {
        RowSource src = IndexCommand.source(Npy.map(base, arena));
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
        if (json) {
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
          System.out.println(Inputs.JSON.writeValueAsString(o));
        }
      } finally {
        indexes.values().forEach(VectorIndex::close);
      }
    }
    return 0;
  }

  static int[] defaultDims(int d) {
    List<Integer> out = new ArrayList<>();
    for (int m = 16; m < d; m *= 2) {
      out.add(m);
    }
    out.add(d);
    return out.stream().mapToInt(Integer::intValue).toArray();
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
    double hit = overlap(truth, all);
    Double task = relevant == null ? null : taskRecall(all, relevant);
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

  /** Ids that {@code got} shares with {@code truth}, summed over queries. */
  static long overlap(Hits truth, Hits got) {
    long hit = 0;
    for (int i = 0; i < truth.queries(); i++) {
      Set<Long> t = new HashSet<>();
      for (int j = 0; j < truth.found(i); j++) {
        t.add(truth.id(i, j));
      }
      for (int j = 0; j < got.found(i); j++) {
        hit += t.contains(got.id(i, j)) ? 1 : 0;
      }
    }
    return hit;
  }

  static double taskRecall(Hits h, int[][] relevant) {
    int hit = 0;
    for (int i = 0; i < h.queries(); i++) {
      Set<Long> rel = new HashSet<>();
      for (int r : relevant[i]) {
        rel.add((long) r);
      }
      for (int j = 0; j < h.found(i); j++) {
        if (rel.contains(h.id(i, j))) {
          hit++;
          break;
        }
      }
    }
    return hit / (double) h.queries();
  }

  /** A row is on the front when no other is at least as good in recall, QPS and bytes, and better in one. */
  static void markPareto(List<Row> rows) {
    for (Row a : rows) {
      boolean dominated = false;
      for (Row b : rows) {
        if (b != a && b.recall >= a.recall && b.qps >= a.qps && b.scanBytesPerVector <= a.scanBytesPerVector
            && (b.recall > a.recall || b.qps > a.qps || b.scanBytesPerVector < a.scanBytesPerVector)) {
          dominated = true;
          break;
        }
      }
      a.pareto[0] = !dominated;
    }
  }

  /** Embeds every WordNet gloss (database) and the word sets of test synsets (queries). */
  private int[][] embedWordNet(WorkerPool pool, Path base, Path qs) throws Exception {
    Encoder enc = ModelDirectory.load(model);
    Tokenizer tok = HuggingFaceJson.load(model.resolve(ModelDirectory.TOKENIZER));
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
      if (words.size() == maxQueries) {
        break;
      }
      if (seen.add(e.document())) {
        words.add(data.documents().get(e.document()));
        relevant.add(glossesOfDoc.get(e.document()).stream().mapToInt(Integer::intValue).toArray());
      }
    }
    int seq = enc.config().maxSeqLen(), width = enc.config().embeddingSize();
    System.err.printf("embedding %,d WordNet glosses and %,d queries with %s…%n", glosses.size(),
        words.size(), model);
    float[] g = Embedder.embed(enc, pool, Trainer.tokenize(tok, glosses, seq, pool), 256);
    float[] w = Embedder.embed(enc, pool, Trainer.tokenize(tok, words, seq, pool), 256);
    Npy.writeFloat32(base, g, glosses.size(), width);
    Npy.writeFloat32(qs, w, words.size(), width);
    return relevant.toArray(int[][]::new);
  }

  private void write(List<Row> rows, int n, int d, int nq, Metric met, Map<Precision, Double> build,
      boolean task) throws Exception {
    Row exact = rows.get(0);
    StringBuilder md = new StringBuilder();
    md.append(String.format(Locale.ROOT, "Search trade-off: %,d × %d (%s), %,d queries, k = %d, "
        + "single-query QPS on %d threads. Recall is against exact search at %d dims.%n%n",
        n, d, met.id(), nq, k, threads == null ? WorkerPool.defaultThreads() : threads, d));
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
        Inputs.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(top));
    AtomicFile.write(output.resolve("search.svg"), plot(rows).getBytes(StandardCharsets.UTF_8));
    System.err.println("wrote " + output.resolve("search.md") + ", search.json and search.svg");
  }

  /** Recall against QPS (log scale), one colour per precision; the Pareto front joined. */
  static String plot(List<Row> rows) {
    int w = 720, h = 420, left = 60, right = 150, top = 20, bottom = 50;
    int pw = w - left - right, ph = h - top - bottom;
    double lo = Double.MAX_VALUE, hi = 0, rmin = 1;
    for (Row r : rows) {
      lo = Math.min(lo, r.qps);
      hi = Math.max(hi, r.qps);
      rmin = Math.min(rmin, r.recall);
    }
    double x0 = Math.floor(Math.log10(lo)), x1 = Math.ceil(Math.log10(hi));
    if (x1 <= x0) {
      x1 = x0 + 1;
    }
    double y0 = Math.floor(rmin * 10) / 10;
    String[] colors = {"#1f77b4", "#d62728", "#2ca02c"};
    StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-size=\"12\">", w, h));
    s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
        + "fill=\"none\" stroke=\"#888\"/>", left, top, pw, ph));
    for (int i = 0; i <= 4; i++) {
      double v = y0 + (1 - y0) * i / 4, y = top + ph - ph * (v - y0) / (1 - y0);
      s.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
          + "stroke=\"#eee\"/><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.3f</text>", left,
          left + pw, y, y, left - 5, y + 4, v));
    }
    for (double e = x0; e <= x1; e++) {
      double x = left + pw * (e - x0) / (x1 - x0);
      s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>",
          x, top + ph + 16, e < 0 ? String.format(Locale.ROOT, "%.2f", Math.pow(10, e))
              : String.format(Locale.ROOT, "%,d", (long) Math.pow(10, e))));
    }
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">queries per "
        + "second, one at a time (log scale); y: recall@k against exact search</text>",
        left + pw / 2, h - 8));
    List<double[]> front = new ArrayList<>();
    for (Row r : rows) {
      double x = left + pw * (Math.log10(r.qps) - x0) / (x1 - x0);
      double y = top + ph - ph * (r.recall - y0) / (1 - y0);
      String c = colors[r.precision.ordinal()];
      if (r.funnel == null) {
        s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\">"
            + "<title>%s</title></circle>", x, y, c, r.name));
      } else {
        s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"8\" height=\"8\" "
            + "fill=\"none\" stroke=\"%s\" stroke-width=\"2\"><title>%s</title></rect>", x - 4, y - 4,
            c, r.name));
      }
      // the line is the front in the plot's own two dimensions (recall, QPS); the table's
      // Pareto column also counts bytes per vector
      boolean dominated = false;
      for (Row o : rows) {
        if (o != r && o.recall >= r.recall && o.qps >= r.qps && (o.recall > r.recall || o.qps > r.qps)) {
          dominated = true;
          break;
        }
      }
      if (!dominated) {
        front.add(new double[] {x, y});
      }
    }
    front.sort((a, b) -> Double.compare(a[0], b[0]));
    StringBuilder pts = new StringBuilder();
    for (double[] p : front) {
      pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", p[0], p[1]));
    }
    s.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"#999\" "
        + "stroke-dasharray=\"4 3\"/>", pts.toString().trim()));
    String[] labels = {"f32", "int8", "binary"};
    for (int i = 0; i < 3; i++) {
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text>",
          left + pw + 10, top + 14 + 16 * i, colors[i], labels[i]));
    }
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">● flat scan</text><text x=\"%d\" "
        + "y=\"%d\">□ funnel</text><text x=\"%d\" y=\"%d\" fill=\"#999\">- - best recall per QPS</text>",
        left + pw + 10, top + 70, left + pw + 10, top + 86, left + pw + 10, top + 102));
    return s.append("</svg>").toString();
  }
}
