package dev.mtk.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * mtk classify end to end: a small classification run saves its heads and a dev-calibrated
 * cascade; classify scores the test split at full width and through the cascade, labels a text
 * file line by line, refits the cascade, and refuses what it cannot do in one line.
 */
class ClassifyCommandTest {

  static final ObjectMapper JSON = new ObjectMapper();
  static final String[] COLOURS = {"red", "green", "blue", "yellow"};

  /** 800 labelled texts: the class is the colour word. */
  static Path colours(Path dir) throws Exception {
    StringBuilder tsv = new StringBuilder("text\tlabel\n");
    for (int i = 0; i < 800; i++) {
      tsv.append("item ").append(i).append(" painted ").append(COLOURS[i % 4]).append(" today\t")
          .append(COLOURS[i % 4]).append('\n');
    }
    return TokenizerCommandTest.write(dir, "labels.tsv", tsv.toString());
  }

  /** mtk train of a small two-layer model on {@code data} with that loss line, into dir/run. */
  static MainTest.Result train(Path dir, Path data, String loss) throws Exception {
    Path cfg = TokenizerCommandTest.write(dir, "c.yaml", String.join("\n", "task: labels",
        "data: " + data, "seed: 4", "model: {vocab_size: 400, d_model: 16, heads: 2, ffn: 32, "
            + "layers: 2, max_seq_len: 8, nesting: [8, 16]}",
        "steps: 80", "batch_pairs: 16", "lr: 0.003", "warmup_steps: 4", "log_every: 20", loss));
    return MainTest.run("train", "--config", cfg.toString(), "--output", dir.resolve("run").toString());
  }

  @Test
  void aClassificationRunsHeadsLabelTheSplitAndTheUsersTexts(@TempDir Path dir) throws Exception {
    String[] colours = COLOURS;
    Path data = colours(dir);
    MainTest.Result r = train(dir, data, "loss: {base: classification, matryoshka: {dims: [8, 16]}}");
    assertEquals(0, r.code(), r.err());
    Path model = dir.resolve("run").resolve("model");
    assertTrue(Files.isRegularFile(model.resolve("classifier.json")));

    r = MainTest.run("classify", "--model", model.toString(), "--task", "labels", "--data", data.toString(), "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode full = JSON.readTree(r.lastLine());
    assertEquals(16.0, full.path("expected_dims").asDouble());
    assertEquals(2.0, full.path("expected_layers").asDouble());
    assertTrue(full.path("top1").asDouble() > 0.6, full.toString());
    assertEquals(full.path("top1").asDouble(), full.path("fixed_top1").path("16").asDouble(), 1e-12);

    r = MainTest.run("classify", "--model", model.toString(), "--task", "labels", "--data", data.toString(),
        "--adaptive", "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode adaptive = JSON.readTree(r.lastLine());
    double dims = adaptive.path("expected_dims").asDouble();
    assertTrue(dims >= 8 && dims <= 16, adaptive.toString());
    assertTrue(adaptive.path("adaptive").asBoolean() && adaptive.path("inputs_per_s").asDouble() > 0);

    // a text file: one line per input in labels.jsonl, each label one of the four
    Path texts = TokenizerCommandTest.write(dir, "t.txt", "item 9 painted blue today\nitem 3 painted red today\n");
    Path out = dir.resolve("labels.jsonl");
    r = MainTest.run("classify", "--model", model.toString(), "--input", texts.toString(), "--adaptive",
        "--output", out.toString());
    assertEquals(0, r.code(), r.err());
    List<String> lines = Files.readAllLines(out);
    assertEquals(2, lines.size());
    for (String l : lines) {
      JsonNode o = JSON.readTree(l);
      assertTrue(Set.of(colours).contains(o.path("label").asText()), l);
      assertTrue(o.path("dims").asInt() == 8 || o.path("dims").asInt() == 16, l);
      assertEquals(2, o.path("layer").asInt());
    }

    // refitting with a looser goal saves new thresholds that spend no more dims on dev
    double before = JSON.readTree(Files.readString(model.resolve("classifier.json"))).path("cascade").path("dev").path("expected_dims").asDouble();
    r = MainTest.run("classify", "--model", model.toString(), "--task", "labels", "--data", data.toString(),
        "--calibrate", "--max-loss", "20", "--confidence", "margin", "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode cascade = JSON.readTree(Files.readString(model.resolve("classifier.json"))).path("cascade");
    assertEquals("margin", cascade.path("confidence").asText());
    assertTrue(cascade.path("dev").path("expected_dims").asDouble() <= before, cascade.toString());

    // mistakes: one line each, no stack trace
    for (String[] bad : new String[][] {
        {"classify", "--model", model.toString()}, // neither --task nor --input
        {"classify", "--model", model.toString(), "--input", texts.toString(), "--calibrate"},
        {"classify", "--model", model.toString(), "--task", "labels", "--data", data.toString(), "--confidence", "vibes"},
        {"classify", "--model", dir.resolve("nowhere").toString(), "--input", texts.toString()},
        {"classify", "--model", model.toString(), "--input", texts.toString(), "--adaptive-depth"}, // no earlier heads
        {"embed", "--model", model.toString(), "--input", texts.toString(), "--output", dir.resolve("e.npy").toString(), "--adaptive-depth"}}) {
      r = MainTest.run(bad);
      assertEquals(1, r.code(), String.join(" ", bad) + ": " + r.err());
      assertTrue(r.err().startsWith("mtk: error: ") && r.err().strip().lines().count() == 1, r.err());
    }
    Files.delete(model.resolve("classifier.json"));
    r = MainTest.run("classify", "--model", model.toString(), "--input", texts.toString());
    assertEquals(1, r.code(), r.err());
    assertTrue(r.err().contains("only runs with loss base: classification save their heads"), r.err());
  }

  @Test
  void aTwoDimensionalModelExitsEarlyWhenClassifyingAndEmbedding(@TempDir Path dir) throws Exception {
    Path data = colours(dir);
    MainTest.Result r = train(dir, data, "loss: {base: classification, matryoshka: {dims: [8, 16]}, "
        + "adaptive_layers: {layers_per_step: -1, prior_layers_weight: 2}}");
    assertEquals(0, r.code(), r.err());
    Path model = dir.resolve("run").resolve("model");
    JsonNode saved = JSON.readTree(Files.readString(model.resolve("classifier.json")));
    assertEquals("[1]", saved.path("exit_layers").toString());
    assertTrue(saved.path("early_exit").path("dev").has("expected_layers"), saved.toString());

    r = MainTest.run("classify", "--model", model.toString(), "--task", "labels", "--data", data.toString(),
        "--split", "dev", "--adaptive-depth", "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode o = JSON.readTree(r.lastLine());
    // on dev, the run is what calibration counted
    assertEquals(saved.path("early_exit").path("dev").path("top1").asDouble(), o.path("top1").asDouble(), 1e-12);
    assertEquals(saved.path("early_exit").path("dev").path("expected_layers").asDouble(), o.path("expected_layers").asDouble(), 1e-12);
    assertTrue(o.path("depth_timing").path("speedup").asDouble() > 0, o.toString());

    // embed: the classification heads decide; the layer of each row is written beside it
    Path texts = TokenizerCommandTest.write(dir, "t.txt", "item 9 painted blue today\nitem 3 painted red today\nx\n");
    Path out = dir.resolve("e.npy");
    r = MainTest.run("embed", "--model", model.toString(), "--input", texts.toString(), "--output", out.toString(),
        "--adaptive-depth");
    assertEquals(0, r.code(), r.err());
    List<String> layers = Files.readAllLines(dir.resolve("e.layers.txt"));
    assertEquals(3, layers.size());
    assertTrue(layers.stream().allMatch(l -> l.equals("1") || l.equals("2")), layers.toString());
    assertTrue(r.err().contains("early exit: classification heads"), r.err());
    r = MainTest.run("embed", "--model", model.toString(), "--input", texts.toString(), "--output", out.toString(),
        "--adaptive-depth", "--max-loss", "2");
    assertEquals(1, r.code());
    assertTrue(r.err().contains("--calibrate --max-loss"), r.err());
    r = MainTest.run("embed", "--model", model.toString(), "--input", texts.toString(), "--output", out.toString(),
        "--adaptive-depth", "--layer", "1");
    assertEquals(1, r.code());
    assertTrue(r.err().contains("drop --layer"), r.err());
  }
}
