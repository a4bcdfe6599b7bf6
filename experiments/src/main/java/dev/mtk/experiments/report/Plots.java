package dev.mtk.experiments.report;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The report's charts, drawn by XChart to PNG: quality against dimensions (log scale) per method,
 * and quality against speed for adaptive retrieval. Drawing goes through AWT, headless; where AWT
 * cannot draw (a machine without fonts), the methods return null and the report falls back to
 * its own SVG, so a long run never fails at its last step.
 */
public final class Plots {

  static final int WIDTH = 760, HEIGHT = 400;
  private static final java.awt.Color[] COLORS = {new java.awt.Color(0x1f77b4), new java.awt.Color(0xd62728),
      new java.awt.Color(0x2ca02c), new java.awt.Color(0x9467bd), new java.awt.Color(0xff7f0e),
      new java.awt.Color(0x8c564b), new java.awt.Color(0x17becf), new java.awt.Color(0x7f7f7f)};

  private Plots() {}

  /** metric against dimensions, one line per method; null if AWT cannot draw here. */
  public static byte[] byDim(Map<String, Map<String, Map<String, Double>>> methods, int[] dims,
      String metric) {
    return byDim(methods, null, dims, metric);
  }

  /**
   * As above, with a bar of ± {@code spread} (same shape as {@code methods}: a standard deviation
   * across seeds, say) at each point that has one; null spread: no bars.
   */
  public static byte[] byDim(Map<String, Map<String, Map<String, Double>>> methods,
      Map<String, Map<String, Map<String, Double>>> spread, int[] dims, String metric) {
    return draw(() -> {
      XYChart chart = chart(metric + " against dimensions", "dimensions (log scale; float32 bytes = 4 × dim)", metric);
      // x is log2(dim) on a linear axis, labelled with the dims themselves: XChart's own log axis
      // labels decades only (a lone "10" under 8 … 64)
      chart.setCustomXAxisTickLabelsFormatter(x -> Math.abs(x - Math.rint(x)) < 1e-6 && x >= 0 && x < 31
          ? String.valueOf(1 << (int) Math.rint(x)) : "");
      for (var e : methods.entrySet()) {
        Map<String, Double> byDim = e.getValue().get(metric);
        if (byDim == null) {
          continue;
        }
        List<Integer> present = java.util.Arrays.stream(dims).filter(m -> byDim.containsKey(String.valueOf(m))).boxed().toList();
        double[] x = present.stream().mapToDouble(m -> Math.log(m) / Math.log(2)).toArray();
        double[] y = present.stream().mapToDouble(m -> byDim.get(String.valueOf(m))).toArray();
        Map<String, Double> bars = spread == null ? null : spread.getOrDefault(e.getKey(), Map.of()).get(metric);
        XYSeries s = bars == null ? chart.addSeries(e.getKey(), x, y)
            : chart.addSeries(e.getKey(), x, y, present.stream().mapToDouble(m -> bars.getOrDefault(String.valueOf(m), 0.0)).toArray());
        s.setMarker(SeriesMarkers.CIRCLE);
        // fixed, distinct colours: XChart's own sixth (yellow) is hard to tell from its second
        s.setLineColor(COLORS[(chart.getSeriesMap().size() - 1) % COLORS.length]);
        s.setMarkerColor(s.getLineColor());
      }
      chart.getStyler().setErrorBarsColorSeriesColor(true);
      return chart;
    });
  }

  /** recall@10 against queries per second (log scale), one point per search setting. */
  public static byte[] byCost(List<Map<String, Object>> rows) {
    return draw(() -> {
      XYChart chart = chart("adaptive retrieval: quality against speed",
          "queries per second, one at a time (log scale)", "recall@10 of the task");
      chart.getStyler().setXAxisLogarithmic(true);
      chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
      for (Map<String, Object> r : rows) {
        chart.addSeries(String.valueOf(r.get("search")),
            new double[] {((Number) r.get("qps")).doubleValue()},
            new double[] {((Number) r.get("recall@10")).doubleValue()});
      }
      return chart;
    });
  }

  private static XYChart chart(String title, String x, String y) {
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(x)
        .yAxisTitle(y).build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
    chart.getStyler().setMarkerSize(7);
    return chart;
  }

  @FunctionalInterface
  private interface ChartMaker {
    XYChart make();
  }

  private static byte[] draw(ChartMaker maker) {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
    try {
      return BitmapEncoder.getBitmapBytes(maker.make(), BitmapEncoder.BitmapFormat.PNG);
    } catch (IOException | RuntimeException | LinkageError e) {
      // no fonts, no AWT: the caller draws its own SVG instead
      return null;
    }
  }
}
