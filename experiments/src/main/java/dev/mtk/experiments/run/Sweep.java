package dev.mtk.experiments.run;

import dev.mtk.experiments.report.Report;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtk.core.io.AtomicFile;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.experiments.report.Report;
import dev.mtk.training.train.RunDirectory;
import dev.mtk.training.train.TrainConfig;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * An experiment grid: one training run per point of {@code "seed=1,2,3;loss.matryoshka.weights=[1,1],[1,4]"}
 * (axes split by ';', values by ',' outside brackets), each a run directory of its own, then one
 * table over all of them: per variant (the settings other than the seed), method, metric and
 * dimension, the mean and sample standard deviation over seeds. Where the runs happen is the
 * caller's choice ({@code mtk spark sweep}: one Spark task per point); each run is exactly
 * {@code mtk train --config base --set …} of its settings.
 */
public final class Sweep {

  private Sweep() {}

  /** One grid point: its position, run directory name and settings (dotted keys to YAML values). */
  public record Point(int index, String name, Map<String, String> settings) implements Serializable {
    public Point {
      settings = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(settings));
    }

    /** The settings other than the seed: what the seeds of one variant share. */
    public String variant() {
      StringBuilder sb = new StringBuilder();
      for (var e : settings.entrySet()) {
        if (!e.getKey().equals("seed")) {
          sb.append(sb.length() == 0 ? "" : ", ").append(e.getKey()).append('=').append(e.getValue());
        }
      }
      return sb.length() == 0 ? "base" : sb.toString();
    }
  }

  /** The grid's points, the last axis varying fastest. */
  public static List<Point> grid(String grid) {
    List<String> keys = new ArrayList<>();
    List<List<String>> values = new ArrayList<>();
    for (String axis : grid.split(";")) {
      if (axis.isBlank()) {
        continue;
      }
      int eq = axis.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--grid: '" + axis.strip() + "' is not KEY=V1,V2,…");
      }
      String key = axis.substring(0, eq).strip();
      if (keys.contains(key)) {
        throw new IllegalArgumentException("--grid: " + key + " is given twice");
      }
      List<String> vs = splitTopLevel(axis.substring(eq + 1));
      if (vs.isEmpty() || vs.stream().anyMatch(String::isEmpty)) {
        throw new IllegalArgumentException("--grid: " + key + " has an empty value");
      }
      keys.add(key);
      values.add(vs);
    }
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("--grid is empty: give e.g. seed=1,2,3");
    }
    List<Point> points = new ArrayList<>();
    int[] at = new int[keys.size()];
    while (true) {
      Map<String, String> s = new LinkedHashMap<>();
      StringBuilder name = new StringBuilder(String.format(Locale.ROOT, "%03d", points.size()));
      for (int a = 0; a < keys.size(); a++) {
        String v = values.get(a).get(at[a]);
        s.put(keys.get(a), v);
        String shortKey = keys.get(a).substring(keys.get(a).lastIndexOf('.') + 1);
        name.append('-').append(shortKey).append('=').append(v.replaceAll("[^A-Za-z0-9._-]+", "_"));
      }
      String n = name.length() > 100 ? name.substring(0, 100) : name.toString();
      points.add(new Point(points.size(), n, s));
      int a = keys.size() - 1;
      while (a >= 0 && ++at[a] == values.get(a).size()) {
        at[a] = 0;
        a--;
      }
      if (a < 0) {
        break;
      }
      if (points.size() > 10_000) {
        throw new IllegalArgumentException("--grid has more than 10,000 points");
      }
    }
    return points;
  }

  private static List<String> splitTopLevel(String s) {
    List<String> out = new ArrayList<>();
    int depth = 0, from = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '[' || c == '{') {
        depth++;
      } else if (c == ']' || c == '}') {
        depth--;
      } else if (c == ',' && depth == 0) {
        out.add(s.substring(from, i).strip());
        from = i + 1;
      }
    }
    out.add(s.substring(from).strip());
    return out;
  }

  /** Every point's config, read up front so that a bad setting fails before any run starts. */
  public static List<TrainConfig> configs(Path base, Map<String, String> fixed, List<Point> points) throws IOException {
    List<TrainConfig> out = new ArrayList<>();
    for (Point p : points) {
      out.add(config(base, fixed, p));
    }
    return out;
  }

  static TrainConfig config(Path base, Map<String, String> fixed, Point p) throws IOException {
    Map<String, String> all = new LinkedHashMap<>(fixed);
    all.putAll(p.settings());
    try {
      return TrainConfig.read(base, all);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("grid point " + p.name() + ": " + e.getMessage(), e);
    }
  }

  /** Runs one point into {@code runs/NAME} of {@code out}: exactly what mtk train would write. */
  public static Map<String, Map<String, Map<String, Double>>> runOne(Path base, Map<String, String> fixed,
      Point p, Path out, WorkerPool pool) throws IOException {
    TrainConfig cfg = config(base, fixed, p);
    return TrainingRun.run(cfg, runDir(out, p), pool, RunDirectory.Mode.REPLACE, new Comparison.Listener() {
      @Override
      public void step(String run, int step, int steps, double loss, double tps) {}

      @Override
      public void phase(String run, String message) {}
    });
  }

  public static Path runDir(Path out, Point p) {
    return out.resolve("runs").resolve(p.name());
  }

  /** mean, sample standard deviation and count of one metric at one dimension. */
  public record Stat(double mean, double sd, int n) {}

  /**
   * variant → method → metric → dim → the statistics over the variant's points (its seeds).
   * Keys keep the grid's order; dims sort numerically.
   */
  public static Map<String, Map<String, Map<String, Map<String, Stat>>>> table(List<Point> points,
      List<Map<String, Map<String, Map<String, Double>>>> results) {
    Map<String, Map<String, Map<String, Map<String, List<Double>>>>> values = new LinkedHashMap<>();
    for (int i = 0; i < points.size(); i++) {
      var byMethod = values.computeIfAbsent(points.get(i).variant(), k -> new LinkedHashMap<>());
      for (var m : results.get(i).entrySet()) {
        for (var metric : m.getValue().entrySet()) {
          for (var dim : metric.getValue().entrySet()) {
            byMethod.computeIfAbsent(m.getKey(), k -> new LinkedHashMap<>())
                .computeIfAbsent(metric.getKey(), k -> new TreeMap<>(Sweep::byNumber))
                .computeIfAbsent(dim.getKey(), k -> new ArrayList<>()).add(dim.getValue());
          }
        }
      }
    }
    Map<String, Map<String, Map<String, Map<String, Stat>>>> out = new LinkedHashMap<>();
    values.forEach((variant, methods) -> methods.forEach((method, metrics) -> metrics.forEach((metric, dims) -> {
      Map<String, Stat> row = out.computeIfAbsent(variant, k -> new LinkedHashMap<>())
          .computeIfAbsent(method, k -> new LinkedHashMap<>()).computeIfAbsent(metric, k -> new TreeMap<>(Sweep::byNumber));
      dims.forEach((dim, v) -> row.put(dim, stat(v)));
    })));
    return out;
  }

  private static int byNumber(String a, String b) {
    try {
      return Integer.compare(Integer.parseInt(a), Integer.parseInt(b));
    } catch (NumberFormatException e) {
      return a.compareTo(b);
    }
  }

  static Stat stat(List<Double> v) {
    double mean = 0;
    for (double x : v) {
      mean += x;
    }
    mean /= v.size();
    double ss = 0;
    for (double x : v) {
      ss += (x - mean) * (x - mean);
    }
    return new Stat(mean, v.size() > 1 ? Math.sqrt(ss / (v.size() - 1)) : 0, v.size());
  }

  /** The tables as Markdown: one per metric, a row per variant and method, "mean ± sd" per dim. */
  public static String markdown(Map<String, Map<String, Map<String, Map<String, Stat>>>> table, int points) {
    Map<String, List<String>> dimsOf = new LinkedHashMap<>();
    table.values().forEach(methods -> methods.values().forEach(metrics -> metrics.forEach((metric, dims) -> {
      List<String> known = dimsOf.computeIfAbsent(metric, k -> new ArrayList<>());
      dims.keySet().forEach(d -> {
        if (!known.contains(d)) {
          known.add(d);
        }
      });
    })));
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%d runs; each cell: mean ± sample standard deviation over the "
        + "variant's runs (n in the last column).%n", points));
    dimsOf.forEach((metric, dims) -> {
      dims.sort(Sweep::byNumber);
      sb.append("\n### ").append(metric).append("\n\n| variant | method |");
      dims.forEach(d -> sb.append(' ').append(d).append(" |"));
      sb.append(" n |\n|---|---|");
      dims.forEach(d -> sb.append("---|"));
      sb.append("---|\n");
      table.forEach((variant, methods) -> methods.forEach((method, metrics) -> {
        Map<String, Stat> row = metrics.get(metric);
        if (row == null) {
          return;
        }
        sb.append("| ").append(variant).append(" | ").append(method).append(" |");
        int n = 0;
        for (String d : dims) {
          Stat s = row.get(d);
          sb.append(s == null ? " |" : String.format(Locale.ROOT, " %.4f ± %.4f |", s.mean(), s.sd()));
          n = s == null ? n : Math.max(n, s.n());
        }
        sb.append(' ').append(n).append(" |\n");
      }));
    });
    return sb.toString();
  }

  /**
   * The report: per metric, one line per variant and method (its mean over the variant's runs)
   * against the numeric dims, ± one standard deviation as bars, and the Markdown tables.
   */
  static String html(Path base, Map<String, Map<String, Map<String, Map<String, Stat>>>> table,
      String markdown, int points) {
    Map<String, Map<String, Map<String, Double>>> means = new LinkedHashMap<>(), sds = new LinkedHashMap<>();
    List<String> metrics = new ArrayList<>();
    java.util.TreeSet<Integer> dims = new java.util.TreeSet<>();
    boolean oneVariant = table.size() == 1;
    table.forEach((variant, methods) -> methods.forEach((method, byMetric) -> {
      String series = oneVariant ? method : variant + " · " + method;
      byMetric.forEach((metric, byDim) -> {
        if (!metrics.contains(metric)) {
          metrics.add(metric);
        }
        byDim.forEach((dim, st) -> {
          try {
            dims.add(Integer.parseInt(dim));
          } catch (NumberFormatException e) {
            return; // a non-numeric column (none today) has no place on a dims axis
          }
          means.computeIfAbsent(series, k -> new LinkedHashMap<>()).computeIfAbsent(metric, k -> new LinkedHashMap<>()).put(dim, st.mean());
          sds.computeIfAbsent(series, k -> new LinkedHashMap<>()).computeIfAbsent(metric, k -> new LinkedHashMap<>()).put(dim, st.sd());
        });
      });
    }));
    String description = String.format(Locale.ROOT, "%d training runs of %s, grouped by variant (the "
        + "grid's settings other than seed). Each line: a variant's and method's mean over its runs; "
        + "each bar: ± one sample standard deviation across them.", points, base.getFileName());
    return Report.sweepHtml("mtk sweep: " + base.getFileName(), description, means, sds,
        dims.stream().mapToInt(Integer::intValue).toArray(), metrics, markdown);
  }

  /**
   * Writes sweep.json (every point, its settings and results, and the table), sweep.md and
   * report.html (a chart per metric).
   */
  public static String write(Path out, Path base, Map<String, String> fixed, List<Point> points,
      List<Map<String, Map<String, Map<String, Double>>>> results, double seconds) throws IOException {
    var table = table(points, results);
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("config", base.toString());
    o.put("set", fixed);
    o.put("seconds", seconds);
    List<Object> runs = new ArrayList<>();
    for (int i = 0; i < points.size(); i++) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("name", points.get(i).name());
      r.put("settings", points.get(i).settings());
      r.put("results", results.get(i));
      runs.add(r);
    }
    o.put("runs", runs);
    o.put("table", table);
    ObjectMapper json = new ObjectMapper();
    AtomicFile.write(out.resolve("sweep.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(o)
        .concat("\n").getBytes(StandardCharsets.UTF_8));
    String md = "# Sweep of " + base.getFileName() + "\n\n" + markdown(table, points.size());
    AtomicFile.write(out.resolve("sweep.md"), md.getBytes(StandardCharsets.UTF_8));
    AtomicFile.write(out.resolve("report.html"), html(base, table, markdown(table, points.size()), points.size())
        .getBytes(StandardCharsets.UTF_8));
    return md;
  }
}
