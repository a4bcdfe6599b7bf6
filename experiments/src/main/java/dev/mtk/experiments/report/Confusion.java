package dev.mtk.experiments.report;

import java.util.List;
import java.util.Locale;

/**
 * Which classes a classifier mistakes for which: a confusion matrix as an SVG heat map, rows the
 * true class, columns the predicted one, each cell shaded by the share of its row (the diagonal is
 * what was right), the count in its tooltip.
 */
public final class Confusion {

  private Confusion() {}

  /** counts[t][p]: inputs of true class t predicted as p. */
  public static int[][] count(int[] truth, int[] predicted, int classes) {
    if (truth.length != predicted.length) {
      throw new IllegalArgumentException(truth.length + " labels for " + predicted.length + " predictions");
    }
    int[][] c = new int[classes][classes];
    for (int i = 0; i < truth.length; i++) {
      c[truth[i]][predicted[i]]++;
    }
    return c;
  }

  public static String svg(List<String> classes, int[][] counts, String title) {
    int n = classes.size(), cell = Math.max(8, Math.min(24, 600 / Math.max(1, n)));
    int longest = classes.stream().mapToInt(String::length).max().orElse(1);
    // room for the longest name (about 7 px a character), below a title line
    int label = Math.min(220, 7 * longest + 10), top = 24;
    int w = label + n * cell + 20, h = top + label + n * cell + 10;
    StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-size=\"%d\">", w, h,
        Math.min(12, cell - 1)));
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"14\">%s (rows: true, columns: predicted)</text>",
        label, Scatter.escape(title)));
    for (int t = 0; t < n; t++) {
      int total = 0;
      for (int v : counts[t]) {
        total += v;
      }
      int y = top + label + t * cell;
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>", label - 4,
          y + cell - 3, Scatter.escape(classes.get(t))));
      for (int p = 0; p < n; p++) {
        double share = total == 0 ? 0 : (double) counts[t][p] / total;
        int shade = (int) Math.round(255 * (1 - share));
        String fill = t == p ? String.format("#%02x%02xff", shade, shade) : String.format("#ff%02x%02x", shade, shade);
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" "
            + "stroke=\"#eee\"><title>%s → %s: %d of %d</title></rect>", label + p * cell, y, cell, cell, fill,
            Scatter.escape(classes.get(t)), Scatter.escape(classes.get(p)), counts[t][p], total));
      }
    }
    for (int p = 0; p < n; p++) {
      int x = label + p * cell + cell - 3;
      s.append(String.format(Locale.ROOT, "<text transform=\"translate(%d,%d) rotate(-90)\">%s</text>", x, top + label - 4,
          Scatter.escape(classes.get(p))));
    }
    return s.append("</svg>").toString();
  }

}
