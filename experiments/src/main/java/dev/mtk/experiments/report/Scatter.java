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

  /** {@code legend}: a name per series, then any notes (drawn in grey). */
  public static String svg(List<Point> points, List<String> series, List<String> notes, String xTitle,
      String yTitle) {
    int w = 720, h = 420, left = 60, right = 170, top = 20, bottom = 50;
    int pw = w - left - right, ph = h - top - bottom;
    double lo = Double.MAX_VALUE, hi = 0, ymin = Double.MAX_VALUE, ymax = 0;
    for (Point p : points) {
      lo = Math.min(lo, p.x());
      hi = Math.max(hi, p.x());
      ymin = Math.min(ymin, p.y());
      ymax = Math.max(ymax, p.y());
    }
    double x0 = Math.floor(Math.log10(lo)), x1 = Math.ceil(Math.log10(hi));
    if (x1 <= x0) {
      x1 = x0 + 1;
    }
    double y0 = Math.floor(ymin * 10) / 10, y1 = Math.max(y0 + 0.1, Math.ceil(ymax * 10) / 10);
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
    for (double e = x0; e <= x1; e++) {
      double x = left + pw * (e - x0) / (x1 - x0);
      s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>",
          x, top + ph + 16, e < 0 ? String.format(Locale.ROOT, "%.2f", Math.pow(10, e))
              : String.format(Locale.ROOT, "%,d", (long) Math.pow(10, e))));
    }
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s (log "
        + "scale); y: %s</text>", left + pw / 2, h - 8, xTitle, yTitle));
    boolean[] front = SearchQuality.paretoFront(points, Point::x, Point::y);
    List<double[]> line = new ArrayList<>();
    for (int i = 0; i < points.size(); i++) {
      Point p = points.get(i);
      double x = left + pw * (Math.log10(p.x()) - x0) / (x1 - x0);
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
    for (int i = 0; i < series.size(); i++, row++) {
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text>",
          left + pw + 10, top + 14 + 16 * row, COLORS[i % COLORS.length], escape(series.get(i))));
    }
    for (String note : notes) {
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#666\">%s</text>",
          left + pw + 10, top + 14 + 16 * row++, escape(note)));
    }
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" fill=\"#999\">- - best y per x</text>",
        left + pw + 10, top + 14 + 16 * row));
    return s.append("</svg>").toString();
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
