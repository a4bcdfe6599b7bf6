package dev.mtk.experiments.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The sweep's table and report from results given by hand (no training). */
class SweepTest {

  private static Map<String, Map<String, Map<String, Double>>> result(double at8, double at16) {
    return Map.of("mrl", Map.of("recall@10", Map.of("8", at8, "16", at16)));
  }

  @Test
  void theTableIsMeanAndSampleDeviationPerVariantAndTheReportHasAChartPerMetric() {
    List<Sweep.Point> points = Sweep.grid("seed=1,2,3;loss.matryoshka.weights=a,b");
    assertEquals(6, points.size());
    // seeds 1..3 of variant a: 0.1, 0.2, 0.6 at dim 8 (mean 0.3, sd sqrt(0.07)); variant b constant
    double[] a8 = {0.1, 0.2, 0.6};
    List<Map<String, Map<String, Map<String, Double>>>> results = points.stream()
        .map(p -> p.settings().get("loss.matryoshka.weights").equals("a")
            ? result(a8[Integer.parseInt(p.settings().get("seed")) - 1], 0.5) : result(0.4, 0.4))
        .toList();
    var table = Sweep.table(points, results);
    assertEquals(2, table.size());
    String va = points.stream().filter(p -> p.settings().get("loss.matryoshka.weights").equals("a"))
        .findFirst().orElseThrow().variant();
    Sweep.Stat s = table.get(va).get("mrl").get("recall@10").get("8");
    assertEquals(0.3, s.mean(), 1e-12);
    assertEquals(Math.sqrt(((0.1 - 0.3) * (0.1 - 0.3) + (0.2 - 0.3) * (0.2 - 0.3) + (0.6 - 0.3) * (0.6 - 0.3)) / 2),
        s.sd(), 1e-12);
    assertEquals(3, s.n());
    String md = Sweep.markdown(table, points.size());
    assertTrue(md.contains("0.3000 ± 0.2646"), md);
    String html = Sweep.html(Path.of("base.yaml"), table, md, points.size());
    assertTrue(html.contains("<h2>recall@10</h2><img") || html.contains("<h2>recall@10</h2><svg"), html);
    assertTrue(html.contains("0.3000 ± 0.2646") && html.contains("6 training runs of base.yaml"), html);
  }
}
