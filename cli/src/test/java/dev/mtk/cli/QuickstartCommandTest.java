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
    MainTest.Result r = MainTest.run("quickstart", "--output", out.toString(), "--steps", "10");
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
    assertTrue(Files.readString(out.resolve("report.html")).contains("<svg"));
    assertTrue(Files.isRegularFile(out.resolve("model/model.safetensors")));
    assertTrue(Files.isRegularFile(out.resolve("model/tokenizer.json")));
  }
}
