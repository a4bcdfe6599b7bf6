package dev.mtk.experiments.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Results as a person reads them: Markdown tables (one per metric, methods by dimension) and an
 * HTML report with the same tables and a line chart per metric — quality against dimensions, the
 * dimensions on a log scale (also bytes per float32 vector: 4 × dim) — plus quality against cost
 * for adaptive retrieval (recall against queries per second). Charts are drawn by XChart
 * ({@link Plots}) into PNGs inlined in the page; where AWT cannot draw (a headless machine
 * without fonts), by the few lines of SVG geometry below instead, so the report never fails.
 */
public final class Report {

  public static final List<String> METRICS = List.of("recall@1", "recall@10", "mrr@10", "ndcg@10");
  /** The WordNet-levels metrics (see {@link Hierarchy#evaluate}). */
  public static final List<String> LEVEL_METRICS = List.of("knn_lexfile", "knn_hypernym5", "probe_lexfile");
  /** False draws every chart as SVG here (the fallback, and for tests of it). */
  static volatile boolean plotLibrary = true;
  private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};

  private Report() {}

  /** method → metric → dim → value, the retrieval metrics. */
  public static String markdown(Map<String, Map<String, Map<String, Double>>> methods, int[] dims) {
    return markdown(methods, dims, METRICS);
  }

  /** One table per metric: methods by dimension ("—" where a method has no value). */
  public static String markdown(Map<String, Map<String, Map<String, Double>>> methods, int[] dims,
      List<String> metrics) {
    StringBuilder sb = new StringBuilder();
    for (String metric : metrics) {
      sb.append("\n**").append(metric).append("**\n\n| method |");
      for (int m : dims) {
        sb.append(' ').append(m).append(" |");
      }
      sb.append("\n|---|");
      for (int m : dims) {
        sb.append("---|");
      }
      for (var e : methods.entrySet()) {
        sb.append("\n| ").append(e.getKey()).append(" |");
        Map<String, Double> byDim = e.getValue().get(metric);
        for (int m : dims) {
          Double v = byDim == null ? null : byDim.get(String.valueOf(m));
          sb.append(v == null ? " — |" : String.format(Locale.ROOT, " %.4f |", v));
        }
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  /** The adaptive-retrieval rows as a Markdown table. */
  public static String funnelTable(List<Map<String, Object>> rows) {
    StringBuilder sb = new StringBuilder("| search | recall@10 (task) | agreement with exact | queries/s | bytes/vector scanned |\n|---|---|---|---|---|\n");
    for (Map<String, Object> r : rows) {
      sb.append(String.format(Locale.ROOT, "| %s | %.4f | %.4f | %.0f | %d |%n", r.get("search"),
          ((Number) r.get("recall@10")).doubleValue(), ((Number) r.get("agreement@10")).doubleValue(),
          ((Number) r.get("qps")).doubleValue(), ((Number) r.get("bytes_per_vector")).intValue()));
    }
    return sb.toString();
  }

  public static String html(Map<String, Map<String, Map<String, Double>>> methods, int[] dims,
      int queries, int candidates, int steps) {
    return html(methods, Map.of(), Map.of(), List.of(), dims, queries, candidates, steps);
  }

  /**
   * The quickstart's report: retrieval charts, WordNet-level charts (with the majority-class
   * rate for scale), adaptive retrieval (quality against speed), and every table.
   */
  public static String html(Map<String, Map<String, Map<String, Double>>> methods,
      Map<String, Map<String, Map<String, Double>>> levels, Map<String, Double> majority,
      List<Map<String, Object>> funnels, int[] dims, int queries, int candidates, int steps) {
    StringBuilder sb = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\">"
        + "<title>mtk quickstart: Matryoshka embeddings on the WordNet reverse dictionary</title>"
        + "<style>body{font-family:sans-serif;max-width:960px;margin:2em auto}table{border-collapse:"
        + "collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}</style></head><body>");
    sb.append("<h1>Matryoshka embeddings: quality against size</h1>");
    sb.append(String.format(Locale.ROOT, "<p>WordNet reverse dictionary, test split: %d definitions, "
        + "each to be matched to its word among %d held-out answers, by exact cosine search. Every "
        + "model trained %d steps of 64 pairs with the same settings and seed. <b>mrl</b>: one "
        + "Matryoshka model, its first m dimensions; <b>ff</b>: a model trained for m dimensions "
        + "alone; <b>standard_truncated</b>: the first m dimensions of a model trained at full "
        + "width only; <b>pca</b> and <b>random_projection</b>: that standard model's embeddings "
        + "reduced to m.</p>", queries, candidates, steps));
    for (String metric : METRICS) {
      sb.append("<h2>").append(metric).append("</h2>").append(chart(methods, dims, metric));
    }
    if (!levels.isEmpty()) {
      sb.append("<h1>Does coarse meaning survive in short prefixes?</h1><p>Test-split definitions "
          + "classified by the WordNet level of their synset: the lexicographer file (45 coarse "
          + "classes such as noun.animal) and the hypernym 5 levels below the root (hundreds of "
          + "classes), by a vote of the 10 nearest training definitions (kNN) or a linear probe "
          + "trained on the training definitions' embeddings.");
      majority.forEach((level, acc) -> sb.append(String.format(Locale.ROOT,
          " Always answering the most frequent %s scores %.3f.", level, acc)));
      sb.append("</p>");
      for (String metric : LEVEL_METRICS) {
        sb.append("<h2>").append(metric).append("</h2>").append(chart(levels, dims, metric));
      }
    }
    if (!funnels.isEmpty()) {
      sb.append("<h1>Adaptive retrieval: quality against cost</h1><p>The Matryoshka model's test "
          + "split through mtk's search: shortlist with a short prefix (float32 or int8 codes), "
          + "rerank the shortlist at full width. One query at a time, both cores.</p>")
          .append(scatter(funnels)).append("<pre>").append(funnelTable(funnels)).append("</pre>");
    }
    sb.append("<h2>Tables</h2><pre>").append(markdown(methods, dims));
    if (!levels.isEmpty()) {
      sb.append(markdown(levels, dims, LEVEL_METRICS));
    }
    sb.append("</pre></body></html>");
    return sb.toString();
  }

  /** recall@10 against queries per second (log scale): XChart's PNG, or the SVG fallback. */
  static String scatter(List<Map<String, Object>> rows) {
    byte[] png = plotLibrary ? Plots.byCost(rows) : null;
    return png != null ? image(png, "adaptive retrieval") : svgScatter(rows);
  }

  static String svgScatter(List<Map<String, Object>> rows) {
    List<Scatter.Point> points = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (Map<String, Object> r : rows) {
      names.add(String.valueOf(r.get("search")));
      points.add(new Scatter.Point(names.getLast(), points.size(), false,
          ((Number) r.get("qps")).doubleValue(), ((Number) r.get("recall@10")).doubleValue()));
    }
    return Scatter.svg(points, names, List.of(), "queries per second, one at a time",
        "recall@10 of the task");
  }

  /**
   * The report of a run compared with its baselines ({@code baselines:}): a chart per metric,
   * every method against dimensions, then {@code extraHtml} (the image grid) and the tables.
   */
  public static String comparisonHtml(String task, String description,
      Map<String, Map<String, Map<String, Double>>> methods, int[] dims, List<String> metrics,
      String extraHtml) {
    StringBuilder sb = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\">"
        + "<title>mtk train: " + task + " against its baselines</title><style>body{font-family:"
        + "sans-serif;max-width:960px;margin:2em auto}</style></head><body><h1>" + task
        + ": quality against size</h1><p>" + description + "</p>");
    for (String metric : metrics) {
      sb.append("<h2>").append(metric).append("</h2>").append(chart(methods, dims, metric));
    }
    sb.append(extraHtml).append("<h2>Tables</h2><pre>").append(markdown(methods, dims, metrics))
        .append("</pre></body></html>");
    return sb.toString();
  }

  /** The report of one training run: its scores per prefix size, a chart and a table per metric. */
  public static String runHtml(String task, String split, Map<String, Map<String, Double>> results,
      int[] dims) {
    return runHtml(task, split, results, dims, "");
  }

  /** As above, with {@code extraHtml} (confusion matrices, say) before the table. */
  public static String runHtml(String task, String split, Map<String, Map<String, Double>> results,
      int[] dims, String extraHtml) {
    Map<String, Map<String, Map<String, Double>>> one = Map.of("model", results);
    StringBuilder sb = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\">"
        + "<title>mtk train: " + task + "</title><style>body{font-family:sans-serif;max-width:960px;"
        + "margin:2em auto}</style></head><body><h1>" + task + ": quality against size</h1><p>The "
        + "trained model on the " + split + " split, its first m dimensions (renormalised).</p>");
    for (String metric : results.keySet()) {
      sb.append("<h2>").append(metric).append("</h2>").append(chart(one, dims, metric));
    }
    sb.append(extraHtml).append("<h2>Table</h2><pre>").append(markdown(one, dims, List.copyOf(results.keySet())))
        .append("</pre></body></html>");
    return sb.toString();
  }

  /** A chart of one metric against dimensions: XChart's PNG, or the SVG fallback. */
  static String chart(Map<String, Map<String, Map<String, Double>>> methods, int[] dims, String metric) {
    return chart(methods, null, dims, metric);
  }

  /** As above with ± spread bars on the PNG (the SVG fallback draws the means only). */
  static String chart(Map<String, Map<String, Map<String, Double>>> methods,
      Map<String, Map<String, Map<String, Double>>> spread, int[] dims, String metric) {
    byte[] png = plotLibrary ? Plots.byDim(methods, spread, dims, metric) : null;
    return png != null ? image(png, metric) : svgChart(methods, dims, metric);
  }

  /**
   * A sweep's report: per metric, every series' mean against dimensions with ± one standard
   * deviation across its runs as bars, then the sweep's tables ({@code tables}, Markdown).
   */
  public static String sweepHtml(String title, String description,
      Map<String, Map<String, Map<String, Double>>> means, Map<String, Map<String, Map<String, Double>>> sds,
      int[] dims, List<String> metrics, String tables) {
    StringBuilder sb = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>"
        + escape(title) + "</title><style>body{font-family:sans-serif;max-width:960px;margin:2em auto}"
        + "</style></head><body><h1>" + escape(title) + "</h1><p>" + escape(description) + "</p>");
    for (String metric : metrics) {
      sb.append("<h2>").append(escape(metric)).append("</h2>").append(chart(means, sds, dims, metric));
    }
    sb.append("<h2>Tables</h2><pre>").append(escape(tables)).append("</pre></body></html>");
    return sb.toString();
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  private static String image(byte[] png, String alt) {
    return "<img alt=\"" + alt + "\" width=\"" + Plots.WIDTH + "\" height=\"" + Plots.HEIGHT
        + "\" src=\"data:image/png;base64," + java.util.Base64.getEncoder().encodeToString(png) + "\">";
  }

  static String svgChart(Map<String, Map<String, Map<String, Double>>> methods, int[] dims, String metric) {
    int w = 640, h = 360, left = 60, right = 170, top = 20, bottom = 50;
    double max = 1e-9;
    for (var e : methods.values()) {
      for (double v : e.getOrDefault(metric, Map.of()).values()) {
        max = Math.max(max, v);
      }
    }
    max = niceCeil(max);
    double lo = Math.log(dims[0]), hi = Math.log(dims[dims.length - 1]);
    StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-size=\"12\">", w, h));
    int pw = w - left - right, ph = h - top - bottom;
    s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>", left, top, pw, ph));
    for (int i = 0; i <= 4; i++) {
      double v = max * i / 4, y = top + ph - ph * v / max;
      String label = new java.math.BigDecimal(String.format(Locale.ROOT, "%.4g", v)).stripTrailingZeros().toPlainString();
      s.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
          + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>", left, left + pw, y, y, left - 5, y + 4, label));
    }
    for (int m : dims) {
      double x = left + pw * (Math.log(m) - lo) / (hi - lo);
      s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>", x, top + ph + 16, m));
    }
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">dimensions (log scale; bytes per vector = 4 × dim)</text>", left + pw / 2, h - 8));
    int k = 0;
    for (var e : methods.entrySet()) {
      Map<String, Double> byDim = e.getValue().get(metric);
      if (byDim == null) {
        continue;
      }
      String color = COLORS[k % COLORS.length];
      StringBuilder pts = new StringBuilder();
      for (int m : dims) {
        Double v = byDim.get(String.valueOf(m));
        if (v == null) {
          continue;
        }
        double x = left + pw * (Math.log(m) - lo) / (hi - lo), y = top + ph - ph * v / max;
        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
        s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>", x, y, color));
      }
      s.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>", pts.toString().trim(), color));
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text>", left + pw + 10, top + 14 + 16 * k, color, e.getKey()));
      k++;
    }
    return s.append("</svg>").toString();
  }

  private static double niceCeil(double v) {
    double p = Math.pow(10, Math.floor(Math.log10(v)));
    for (double f : new double[] {1, 2, 2.5, 5, 10}) {
      if (f * p >= v) {
        return f * p;
      }
    }
    return 10 * p;
  }

  /** A Markdown table: one row per dim, one column per metric. */
  /**
   * {@link dev.mtk.experiments.run.Evaluation}'s results as a table by dimension, then a line for
   * each "majority/LEVEL" baseline.
   */
  public static String evaluation(String method, Map<String, Map<String, Double>> results) {
    Map<String, Map<String, Double>> table = new java.util.LinkedHashMap<>();
    StringBuilder majority = new StringBuilder();
    results.forEach((metric, byDim) -> {
      if (metric.startsWith("majority/")) {
        majority.append(String.format(Locale.ROOT, "%nmajority class, %s: %.4f", metric.substring(9),
            byDim.get("all")));
      } else {
        table.put(metric, byDim);
      }
    });
    return byDim(method, table) + majority;
  }

  public static String byDim(String method, Map<String, Map<String, Double>> byMetric) {
    StringBuilder sb = new StringBuilder();
    sb.append("| ").append(method).append(" dim |");
    byMetric.keySet().forEach(m -> sb.append(' ').append(m).append(" |"));
    sb.append("\n|---|");
    byMetric.keySet().forEach(m -> sb.append("---|"));
    for (String dim : byMetric.values().iterator().next().keySet()) {
      sb.append("\n| ").append(dim).append(" |");
      for (Map<String, Double> v : byMetric.values()) {
        sb.append(String.format(Locale.ROOT, " %.4f |", v.get(dim)));
      }
    }
    return sb.toString();
  }
}
