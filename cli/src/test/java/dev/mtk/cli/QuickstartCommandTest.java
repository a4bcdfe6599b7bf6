package dev.mtk.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole quickstart path with a few steps per model: every output, every method, every dim. */
class QuickstartCommandTest {

  @Test
  void writesResultsReportAndModel(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("qs");
    MainTest.Result r = MainTest.run("quickstart", "--output", out.toString(), "--steps", "10",
        "--level-references", "2000", "--search-seconds", "0.05");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("report: "), r.out());
    JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
    assertEquals("reverse-dictionary", results.get("task").asText());
    assertEquals("[8,16,32,64,128,256]", results.get("dims").toString());
    for (String method : List.of("mrl", "ff", "standard_truncated", "pca", "random_projection")) {
      for (String metric : List.of("recall@1", "recall@10", "mrr@10", "ndcg@10")) {
        JsonNode byDim = results.path("methods").path(method).path(metric);
        assertEquals(6, byDim.size(), method + " " + metric);
        byDim.forEach(v -> assertTrue(v.asDouble() >= 0 && v.asDouble() <= 1, method + " " + metric));
      }
    }
    for (String method : List.of("mrl", "ff", "standard_truncated", "pca", "random_projection")) {
      for (String metric : List.of("knn_lexfile", "knn_hypernym5", "probe_lexfile")) {
        JsonNode byDim = results.path("hierarchy").path("methods").path(method).path(metric);
        assertEquals(6, byDim.size(), "levels: " + method + " " + metric);
      }
    }
    JsonNode funnels = results.get("adaptive_retrieval");
    assertTrue(funnels.size() >= 4, funnels.toString());
    assertTrue(funnels.get(0).get("search").asText().startsWith("exact"), funnels.toString());
    assertEquals(1.0, funnels.get(0).get("agreement@10").asDouble(), 1e-9, "exact agrees with itself");
    // exact search through the index scores the task as the training module's own evaluation does
    assertEquals(results.path("methods").path("mrl").path("recall@10").path("256").asDouble(),
        funnels.get(0).get("recall@10").asDouble(), 0.002, funnels.toString());
    String html = Files.readString(out.resolve("report.html"));
    // every chart drawn (XChart's inlined PNGs here; SVG where AWT cannot draw): 4 retrieval
    // metrics, 3 level metrics, 1 quality-against-speed
    int charts = html.split("data:image/png;base64,").length - 1 + html.split("<svg").length - 1;
    assertEquals(8, charts, "charts in the report");
    assertTrue(html.contains("Adaptive retrieval") && html.contains("knn_lexfile"));
    assertTrue(Files.isRegularFile(out.resolve("model/model.safetensors")));
    assertTrue(Files.isRegularFile(out.resolve("model/tokenizer.json")));
    // the WordNet index beside the model answers a query with words and their definitions
    MainTest.Result q = MainTest.run("query", "--model", out.resolve("model").toString(), "--index",
        out.resolve("index").toString(), "--dim", "16", "--json", "a large natural stream of water");
    assertEquals(0, q.code(), q.err());
    JsonNode hits = new ObjectMapper().readTree(q.out().strip()).get("hits");
    assertEquals(10, hits.size());
    assertTrue(hits.get(0).get("text").asText().contains(" — "), hits.toString());
  }
}
