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
}
