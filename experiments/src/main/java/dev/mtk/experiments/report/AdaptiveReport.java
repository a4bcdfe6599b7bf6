package dev.mtk.experiments.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The {@code adaptive} section of results.json ({@code mtk eval --adaptive}) as a person reads
 * it: quality against expected dims, against expected layers and against measured milliseconds
 * per input, adaptive points beside the fixed sizes, then the numbers. Drawn from the JSON alone,
 * so a report can be redrawn from a results.json.
 */
public final class AdaptiveReport {

  /** Where the section sits in report.html, so that a later run replaces it. */
  public static final String BEGIN = "<!-- mtk eval --adaptive -->", END = "<!-- /mtk eval --adaptive -->";

  private static final List<String> KINDS = List.of("prefix", "layer", "width", "depth", "depth+width");
  private static final List<String> NAMES = List.of("fixed prefix, full depth", "fixed depth, full width",
      "cascade over prefixes", "early exit over layers", "early exit + cascade");

  private AdaptiveReport() {}

  /** The section, between {@link #BEGIN} and {@link #END}. */
  public static String html(JsonNode a) {
    String metric = a.path("metric").asText();
    List<Scatter.Point> byDims = new ArrayList<>(), byLayers = new ArrayList<>(), byTime = new ArrayList<>();
    for (String part : List.of("fixed", "points")) {
      boolean fixed = part.equals("fixed");
      for (JsonNode p : a.path(part)) {
        String kind = p.path("kind").asText();
        int series = KINDS.indexOf(kind);
        double y = p.path(metric).asDouble(), dims = p.path("expected_dims").asDouble(),
            layers = p.path("expected_layers").asDouble(), ms = p.path("ms_per_input").asDouble();
        String label = String.format(Locale.ROOT, "%s%s: %s %.4f, %.1f dims, %.2f layers, %.4f ms",
            NAMES.get(series), fixed ? "" : " (max loss " + p.path("max_loss").asDouble() + ")", metric, y,
            dims, layers, ms);
        if (!kind.equals("layer") && !kind.equals("depth")) {
          byDims.add(new Scatter.Point(label, series, fixed, dims, y));
        }
        if (kind.equals("layer") || kind.startsWith("depth")) {
          byLayers.add(new Scatter.Point(label, series, fixed, layers, y));
        }
        byTime.add(new Scatter.Point(label, series, fixed, ms, y));
      }
    }
    StringBuilder s = new StringBuilder(BEGIN).append("<h2>Dynamic adjustment (mtk eval --adaptive)</h2><p>")
        .append(Scatter.escape(a.path("task").asText())).append(", ").append(Scatter.escape(a.path("split").asText()))
        .append(" split, ").append(a.path("inputs").asInt()).append(" inputs, ").append(a.path("threads").asInt())
        .append(" threads. Adaptive points (circles) are calibrated on the dev split to lose at most "
            + "their max loss (")
        .append(metric.equals("top1") ? "points of top-1" : "percent of recall@10")
        .append("); fixed sizes are squares. Time: ").append(Scatter.escape(a.path("timing").asText())).append(".</p>");
    List<String> notes = List.of("□ fixed", "● adaptive");
    java.util.function.Function<List<Scatter.Point>, List<String>> legend = ps -> {
      List<String> names = new ArrayList<>();
      for (int i = 0; i < NAMES.size(); i++) {
        int k = i;
        names.add(ps.stream().anyMatch(p -> p.series() == k) ? NAMES.get(i) : "");
      }
      return names;
    };
    if (!byDims.isEmpty()) {
      s.append("<h3>").append(metric).append(" against expected dims</h3>").append(Scatter.svg(byDims, legend.apply(byDims),
          notes, "expected dims per input", metric, Scatter.XAxis.LOG_COST));
    }
    if (!byLayers.isEmpty()) {
      s.append("<h3>").append(metric).append(" against expected layers</h3>").append(Scatter.svg(byLayers, legend.apply(byLayers),
          notes, "expected layers per input", metric, Scatter.XAxis.LINEAR_COST));
    }
    s.append("<h3>").append(metric).append(" against measured time</h3>").append(Scatter.svg(byTime, legend.apply(byTime),
        notes, "milliseconds per input", metric, Scatter.XAxis.LOG_COST));
    return s.append("<pre>").append(Scatter.escape(table(a))).append("</pre>").append(END).toString();
  }

  /** The section's points as a plain-text table, fixed sizes first. */
  public static String table(JsonNode a) {
    String metric = a.path("metric").asText();
    StringBuilder t = new StringBuilder(String.format(Locale.ROOT, "%-12s %8s  %-30s %9s %9s %7s %9s%n",
        "kind", "max loss", "threshold", metric, "exp dims", "layers", "ms/input"));
    for (String part : List.of("fixed", "points")) {
      boolean fixed = part.equals("fixed");
      for (JsonNode p : a.path(part)) {
        t.append(String.format(Locale.ROOT, "%-12s %8s  %-30s %9.4f %9.1f %7.2f %9.4f%n", p.path("kind").asText(),
            fixed ? "" : p.path("max_loss").asText(), fixed ? "" : abbreviate(p.path("threshold").toString()),
            p.path(metric).asDouble(), p.path("expected_dims").asDouble(), p.path("expected_layers").asDouble(),
            p.path("ms_per_input").asDouble()));
      }
    }
    return t.toString();
  }

  /**
   * {@code page} with its adaptive section replaced by {@code section} (or added before the end
   * of the body); a whole page around the section when there is no page yet.
   */
  public static String into(String page, String section) {
    if (page == null) {
      return "<!doctype html><html><head><meta charset=\"utf-8\"><title>mtk eval --adaptive</title>"
          + "<style>body{font-family:sans-serif;max-width:960px;margin:2em auto}</style></head><body>"
          + section + "</body></html>";
    }
    int b = page.indexOf(BEGIN), e = page.indexOf(END);
    if (b >= 0 && e > b) {
      return page.substring(0, b) + section + page.substring(e + END.length());
    }
    int body = page.lastIndexOf("</body>");
    return body < 0 ? page + section : page.substring(0, body) + section + page.substring(body);
  }

  private static String abbreviate(String s) {
    return s.length() <= 30 ? s : s.substring(0, 29) + "…";
  }

}
