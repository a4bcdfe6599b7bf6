package dev.mtk.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Video end to end: mtk corpus moving-digits writes clips of Fashion-MNIST items in motion, mtk
 * train learns "CLASS|DIRECTION" from tubelets, classify reports each part's top-1 (checked against
 * its own per-input labels), and embed reads a folder of .y4m clips with no flags. Needs
 * Fashion-MNIST (.ci/run installs it).
 */
class MovingDigitsCommandTest {

  static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void clipsOfMovingItemsTrainAVideoModelThatReportsClassAndDirection(@TempDir Path dir) throws Exception {
    assumeTrue(Files.isRegularFile(Path.of("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")),
        "Fashion-MNIST is not installed");
    Path data = dir.resolve("data");
    MainTest.Result r = MainTest.run("corpus", "moving-digits", "--output", data.toString(), "--n", "400",
        "--frames", "8", "--size", "32");
    assertEquals(0, r.code(), r.err());
    Path manifest = data.resolve("manifest.jsonl");
    assertEquals(400, Files.readAllLines(manifest).size());

    Path cfg = TokenizerCommandTest.write(dir, "c.yaml", String.join("\n", "task: moving-digits",
        "data: " + manifest, "seed: 2", "video: {frames: 8, size: 32, tubelet: 4}",
        "model: {d_model: 32, heads: 2, ffn: 64, layers: 1, max_seq_len: 32, patch_dim: 256, nesting: [8, 32]}",
        "loss: {base: classification, matryoshka: {dims: [8, 32]}}",
        "steps: 60", "batch_pairs: 32", "lr: 0.003", "warmup_steps: 5", "log_every: 20"));
    Path run = dir.resolve("run"), model = run.resolve("model");
    r = MainTest.run("train", "--config", cfg.toString(), "--output", run.toString());
    assertEquals(0, r.code(), r.err());
    JsonNode image = JSON.readTree(Files.readString(model.resolve("image.json")));
    assertEquals(8, image.path("frames").asInt());
    assertEquals(4, image.path("tubelet").asInt());
    String report = Files.readString(run.resolve("report.html"));
    assertTrue(report.contains("Confusion on the test split") && report.contains("Test clips, frame by frame"),
        "confusion matrices and a strip of clips");

    Path labels = dir.resolve("l.jsonl");
    r = MainTest.run("classify", "--model", model.toString(), "--task", "moving-digits", "--data", manifest.toString(),
        "--json", "--output", labels.toString());
    assertEquals(0, r.code(), r.err());
    JsonNode c = JSON.readTree(r.lastLine());
    assertEquals(20, c.path("inputs").asInt());
    // each part's top-1, recounted from the per-input labels classify wrote
    List<String> lines = Files.readAllLines(labels);
    double cls = 0, direction = 0;
    for (String line : lines) {
      JsonNode o = JSON.readTree(line);
      String[] got = o.get("label").asText().split("\\|"), want = o.get("truth").asText().split("\\|");
      cls += got[0].equals(want[0]) ? 1 : 0;
      direction += got[1].equals(want[1]) ? 1 : 0;
    }
    assertEquals(cls / lines.size(), c.path("top1_parts").get(0).asDouble(), 1e-12);
    assertEquals(direction / lines.size(), c.path("top1_parts").get(1).asDouble(), 1e-12);
    assertEquals(2, c.path("fixed_top1_parts").path("8").size());

    Path out = dir.resolve("e.npy");
    r = MainTest.run("embed", "--model", model.toString(), "--input", data.resolve("clips").toString(),
        "--output", out.toString(), "--dim", "8");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("embedded 400 clips at dim 8"), r.err());
    r = MainTest.run("embed", "--model", model.toString(), "--input", manifest.toString(), "--output", out.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("takes video clips: give a video clip"), r.err());
  }
}
