package dev.mtk.experiments.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReportTest {

  @Test
  void reportHasEveryMethodMetricAndDim() throws java.io.IOException {
    Map<String, Map<String, Map<String, Double>>> methods = Map.of("mrl",
        Map.of("recall@1", Map.of("8", 0.1, "16", 0.2), "recall@10", Map.of("8", 0.3, "16", 0.4),
            "mrr@10", Map.of("8", 0.2, "16", 0.3), "ndcg@10", Map.of("8", 0.25, "16", 0.35)));
    String md = Report.markdown(methods, new int[] {8, 16});
    assertTrue(md.contains("| mrl | 0.3000 | 0.4000 |"), md);
    // charts by XChart: a PNG per metric, inlined, that decodes to the chart's size
    String html = Report.html(methods, new int[] {8, 16}, 10, 20, 5);
    for (String metric : List.of("recall@1", "recall@10", "mrr@10", "ndcg@10")) {
      int at = html.indexOf("<h2>" + metric + "</h2><img");
      assertTrue(at >= 0, metric);
      String b64 = html.substring(html.indexOf("base64,", at) + 7, html.indexOf('"', html.indexOf("base64,", at)));
      var img = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(java.util.Base64.getDecoder().decode(b64)));
      assertEquals(Plots.WIDTH, img.getWidth(), metric);
      assertEquals(Plots.HEIGHT, img.getHeight(), metric);
    }
    // and the fallback where AWT cannot draw: SVG, one line per metric chart
    Report.plotLibrary = false;
    try {
      String svg = Report.html(methods, new int[] {8, 16}, 10, 20, 5);
      for (String metric : List.of("recall@1", "recall@10", "mrr@10", "ndcg@10")) {
        assertTrue(svg.contains("<h2>" + metric + "</h2><svg"), metric);
      }
      assertEquals(4, svg.split("<polyline").length - 1, "one line per metric chart");
    } finally {
      Report.plotLibrary = true;
    }
  }

  @Test
  void scatterTicksFollowOneTwoFiveWithinTheRange() {
    assertEquals(List.of(10.0, 20.0, 50.0), Scatter.ticks(7, 70, true));
    assertEquals(List.of(0.02, 0.05, 0.1), Scatter.ticks(0.015, 0.11, true));
    // more than ten 1-2-5 ticks: the powers of ten alone
    assertEquals(List.of(1.0, 10.0, 100.0, 1000.0, 10000.0), Scatter.ticks(1, 20000, true));
    assertEquals(List.of(1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0), Scatter.ticks(0.75, 4.25, false));
    // a log range too narrow for 1, 2, 5: linear steps
    assertTrue(Scatter.ticks(0.141, 0.159, true).size() >= 2);
  }

  @Test
  void theAdaptiveSectionReplacesItselfAndKeepsThePage() throws Exception {
    var a = new com.fasterxml.jackson.databind.ObjectMapper().readTree("""
        {"task": "labels", "split": "test", "metric": "top1", "width": 16, "layers": 2, "inputs": 40,
         "threads": 2, "timing": "best of 2",
         "fixed": [{"kind": "prefix", "top1": 0.8, "expected_dims": 8, "expected_layers": 2, "ms_per_input": 0.2},
                   {"kind": "layer", "top1": 0.7, "expected_dims": 16, "expected_layers": 1, "ms_per_input": 0.1}],
         "points": [{"kind": "depth", "max_loss": 0.2, "threshold": [0.9, null], "top1": 0.79,
                     "expected_dims": 16, "expected_layers": 1.4, "ms_per_input": 0.13}]}""");
    String section = AdaptiveReport.html(a);
    assertEquals(3, section.split("<svg").length - 1, "dims, layers and time");
    assertTrue(section.contains("early exit over layers") && !section.contains("cascade over prefixes"),
        "the legend names only the series drawn");
    String page = "<html><body><h1>run</h1></body></html>";
    String once = AdaptiveReport.into(page, section), twice = AdaptiveReport.into(once, section);
    assertEquals(once, twice);
    assertTrue(once.startsWith("<html><body><h1>run</h1>" + AdaptiveReport.BEGIN) && once.endsWith("</body></html>"));
    assertTrue(AdaptiveReport.into(null, section).contains("<!doctype html>"));
    assertTrue(AdaptiveReport.table(a).contains("depth             0.2  [0.9,null]"), AdaptiveReport.table(a));
  }

  @Test
  void aConfusionMatrixCountsTruthAgainstPrediction() {
    int[][] c = Confusion.count(new int[] {0, 0, 1, 2, 2, 2}, new int[] {0, 1, 1, 2, 2, 0}, 3);
    assertEquals(List.of(List.of(1, 1, 0), List.of(0, 1, 0), List.of(1, 0, 2)),
        java.util.Arrays.stream(c).map(r -> java.util.Arrays.stream(r).boxed().toList()).toList());
    String svg = Confusion.svg(List.of("a", "b", "c"), c, "t");
    assertEquals(9, svg.split("<rect").length - 1);
    assertTrue(svg.contains("<title>c → a: 1 of 3</title>"), svg);
    assertTrue(svg.contains("<title>c → c: 2 of 3</title>"), svg);
  }
}
