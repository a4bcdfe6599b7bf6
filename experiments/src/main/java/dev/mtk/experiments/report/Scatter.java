package dev.mtk.experiments.report;

import dev.mtk.experiments.bench.SearchQuality;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Quality against speed as an SVG scatter plot (x on a log scale), with the points that no other
 * beats on both axes joined by a dashed line: the one drawing of a trade-off, used by the
 * quickstart's report (where AWT cannot draw) and by {@code mtk bench search}.
 */
public final class Scatter {

  /** A point of series {@code series} (its colour); {@code square} marks a second kind. */
  public record Point(String label, int series, boolean square, double x, double y) {}

  private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};

  private Scatter() {}

  /**
   * How x is drawn: on a log scale or a linear one, and whether more x is better (speed) or
   * worse (dims, layers, milliseconds: a cost), which decides the dashed front.
   */
  public enum XAxis {
    LOG_GAIN(true, false), LOG_COST(true, true), LINEAR_COST(false, true);

    final boolean log, cost;

    XAxis(boolean log, boolean cost) {
      this.log = log;
      this.cost = cost;
    }
  }

  /** {@code legend}: a name per series, then any notes (drawn in grey); x a gain on a log scale. */
  public static String svg(List<Point> points, List<String> series, List<String> notes, String xTitle,
      String yTitle) {
    return svg(points, series, notes, xTitle, yTitle, XAxis.LOG_GAIN);
  }

  public static String svg(List<Point> points, List<String> series, List<String> notes, String xTitle,
      String yTitle, XAxis axis) {
    int w = 720, h = 420, left = 60, right = 170, top = 20, bottom = 50;
    int pw = w - left - right, ph = h - top - bottom;
    double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE, ymin = Double.MAX_VALUE, ymax = -Double.MAX_VALUE;
    for (Point p : points) {
      lo = Math.min(lo, p.x());
      hi = Math.max(hi, p.x());
      ymin = Math.min(ymin, p.y());
      ymax = Math.max(ymax, p.y());
    }
    // the data's range with a margin (in log10 units on a log axis), so that small differences show
    double from = axis.log ? Math.log10(lo) : lo, to = axis.log ? Math.log10(hi) : hi;
    double pad = Math.max(0.05 * (to - from), axis.log ? 0.05 : 0.25);
    double x0 = from - pad, x1 = to + pad;
    double ypad = Math.max(0.08 * (ymax - ymin), 0.005);
    double y0 = ymin - ypad, y1 = ymax + ypad;
    StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-size=\"12\">", w, h));
    s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
        + "fill=\"none\" stroke=\"#888\"/>", left, top, pw, ph));
    for (int i = 0; i <= 4; i++) {
      double v = y0 + (y1 - y0) * i / 4, y = top + ph - ph * (v - y0) / (y1 - y0);
      s.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
          + "stroke=\"#eee\"/><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.3f</text>", left,
          left + pw, y, y, left - 5, y + 4, v));
    }
    for (double v : ticks(axis.log ? Math.pow(10, x0) : x0, axis.log ? Math.pow(10, x1) : x1, axis.log)) {
      double x = left + pw * ((axis.log ? Math.log10(v) : v) - x0) / (x1 - x0);
      s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>",
          x, top + ph + 16, number(v)));
    }
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s%s; y: "
        + "%s</text>", left + pw / 2, h - 8, xTitle, axis.log ? " (log scale)" : "", yTitle));
    final double fx0 = x0, fx1 = x1;
    java.util.function.DoubleUnaryOperator px = v -> left + pw * ((axis.log ? Math.log10(v) : v) - fx0) / (fx1 - fx0);
    boolean[] front = axis.cost ? SearchQuality.paretoFront(points, p -> -p.x(), Point::y)
        : SearchQuality.paretoFront(points, Point::x, Point::y);
    List<double[]> line = new ArrayList<>();
    for (int i = 0; i < points.size(); i++) {
      Point p = points.get(i);
      double x = px.applyAsDouble(p.x());
      double y = top + ph - ph * (p.y() - y0) / (y1 - y0);
      String c = COLORS[p.series() % COLORS.length];
      if (p.square()) {
        s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"8\" height=\"8\" "
            + "fill=\"none\" stroke=\"%s\" stroke-width=\"2\"><title>%s</title></rect>", x - 4, y - 4,
            c, escape(p.label())));
      } else {
        s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\">"
            + "<title>%s</title></circle>", x, y, c, escape(p.label())));
      }
      if (front[i]) {
        line.add(new double[] {x, y});
      }
    }
    line.sort((a, b) -> Double.compare(a[0], b[0]));
    StringBuilder pts = new StringBuilder();
    for (double[] p : line) {
      pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", p[0], p[1]));
    }
    s.append(String.format(Locale.ROOT, "<polyline points=\"%s\" fill=\"none\" stroke=\"#999\" "
        + "stroke-dasharray=\"4 3\"/>", pts.toString().trim()));
    int row = 0;
    for (int i = 0; i < series.size(); i++) {
      if (series.get(i).isEmpty()) {
        continue; // a series this plot does not draw keeps its colour, not a legend line
      }
      row++;
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text>",
          left + pw + 10, top + 14 + 16 * (row - 1), COLORS[i % COLORS.length], escape(series.get(i))));
    }
    for (String note : notes) {
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#666\">%s</text>",
          left + pw + 10, top + 14 + 16 * row++, escape(note)));
    }
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#999\">- - best y per x</text>",
        left + pw + 10, top + 14 + 16 * row));
    return s.append("</svg>").toString();
  }

  /**
   * Tick values within [lo, hi]: on a log axis 1, 2, 5 times each power of ten (only the powers
   * when that gives more than ten); on a linear one a 1-2-5 step that gives at most ten.
   */
  static List<Double> ticks(double lo, double hi, boolean log) {
    List<Double> out = new ArrayList<>();
    if (log) {
      for (double[] mult : new double[][] {{1, 2, 5}, {1}}) {
        out.clear();
        for (int e = (int) Math.floor(Math.log10(lo)); e <= (int) Math.ceil(Math.log10(hi)); e++) {
          for (double m : mult) {
            double v = m * Math.pow(10, e);
            if (v >= lo && v <= hi) {
              out.add(v);
            }
          }
        }
        if (out.size() <= 10) {
          break;
        }
      }
      if (out.size() >= 2) {
        return out;
      }
      out.clear(); // a range narrower than 1, 2, 5 apart: linear steps, placed on the log axis
    }
    double raw = (hi - lo) / 10, p = Math.pow(10, Math.floor(Math.log10(raw)));
    double step = raw <= p ? p : raw <= 2 * p ? 2 * p : raw <= 5 * p ? 5 * p : 10 * p;
    for (double v = Math.ceil(lo / step) * step; v <= hi + 1e-12; v += step) {
      out.add(v);
    }
    return out;
  }

  private static String number(double v) {
    if (v >= 1 && Math.abs(v - Math.rint(v)) < 1e-9) {
      return String.format(Locale.ROOT, "%,d", (long) Math.rint(v));
    }
    return String.format(Locale.ROOT, Math.abs(v) >= 0.1 ? "%.2f" : "%.3f", v).replaceAll("0+$", "");
  }

  /** Text made safe inside SVG and HTML: the report package's one escaper. */
  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
