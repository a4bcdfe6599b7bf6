package dev.mtk.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * mtk eval --adaptive end to end: its fixed points are what plain eval and classify score by
 * their own paths; its adaptive points at the training's allowed loss are what classify
 * --adaptive and --adaptive-depth measure with the saved calibrations; the section lands in the
 * run's results.json (the rest kept) and report.html (replaced, not repeated, on a second run).
 */
class EvalAdaptiveCommandTest {

  static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void classificationPointsAgreeWithClassifyAndLandInTheRunDirectory(@TempDir Path dir) throws Exception {
    Path data = ClassifyCommandTest.colours(dir);
    MainTest.Result r = ClassifyCommandTest.train(dir, data, "loss: {base: classification, matryoshka: "
        + "{dims: [8, 16]}, adaptive_layers: {layers_per_step: -1, prior_layers_weight: 2}}");
    assertEquals(0, r.code(), r.err());
    Path run = dir.resolve("run"), model = run.resolve("model");
    String[] task = {"--task", "labels", "--data", data.toString()};

    r = MainTest.run(args(task, "eval", "--model", model.toString(), "--adaptive", "--json"));
    assertEquals(0, r.code(), r.err());
    JsonNode a = JSON.readTree(r.lastLine());
    assertEquals("top1", a.path("metric").asText());
    assertEquals(2, a.path("layers").asInt());
    Map<String, JsonNode> fixed = byKey(a.path("fixed")), points = byKey(a.path("points"));

    JsonNode plain = JSON.readTree(MainTest.run(args(task, "classify", "--model", model.toString(), "--json")).lastLine());
    assertEquals(plain.path("fixed_top1").path("8").asDouble(), fixed.get("prefix/8").path("top1").asDouble(), 1e-12);
    assertEquals(plain.path("fixed_top1").path("16").asDouble(), fixed.get("prefix/16").path("top1").asDouble(), 1e-12);
    assertEquals(fixed.get("prefix/16").path("top1").asDouble(), fixed.get("layer/2").path("top1").asDouble(), 1e-12);

    // training calibrated both exits to lose at most 0.2 points (max_prob): the same dev, the same thresholds
    JsonNode width = JSON.readTree(MainTest.run(args(task, "classify", "--model", model.toString(), "--adaptive",
        "--json")).lastLine());
    JsonNode w = points.get("width/0.2");
    assertEquals(width.path("top1").asDouble(), w.path("top1").asDouble(), 1e-12);
    assertEquals(width.path("expected_dims").asDouble(), w.path("expected_dims").asDouble(), 1e-12);
    assertEquals(width.path("cascade").path("thresholds"), w.path("threshold"));
    JsonNode depth = JSON.readTree(MainTest.run(args(task, "classify", "--model", model.toString(), "--adaptive-depth",
        "--json")).lastLine());
    JsonNode d = points.get("depth/0.2");
    assertEquals(depth.path("top1").asDouble(), d.path("top1").asDouble(), 1e-12);
    assertEquals(depth.path("expected_layers").asDouble(), d.path("expected_layers").asDouble(), 1e-12);
    assertEquals(depth.path("early_exit").path("thresholds"), d.path("threshold"));
    for (JsonNode p : a.path("points")) {
      assertTrue(p.path("ms_per_input").asDouble() > 0, p.toString());
      assertTrue(p.path("expected_layers").asDouble() >= 1 && p.path("expected_layers").asDouble() <= 2, p.toString());
      assertTrue(p.path("expected_dims").asDouble() >= 8 && p.path("expected_dims").asDouble() <= 16, p.toString());
    }

    // the run directory: results.json keeps the training's scores, report.html gains one section
    JsonNode results = JSON.readTree(Files.readString(run.resolve("results.json")));
    assertTrue(results.path("methods").path("mrl").size() > 0, results.toString());
    assertEquals(a, results.path("adaptive"));
    r = MainTest.run(args(task, "eval", "--model", model.toString(), "--adaptive"));
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("depth+width"), r.out());
    String page = Files.readString(run.resolve("report.html"));
    assertEquals(1, count(page, "<!-- mtk eval --adaptive -->"), "one section after two runs");
    assertTrue(page.contains("against expected layers") && page.contains("against measured time"), page);
    assertTrue(page.contains("quality against size"), "the training's report is kept");

    r = MainTest.run(args(task, "eval", "--model", model.toString(), "--adaptive", "--layer", "1"));
    assertEquals(1, r.code());
    assertTrue(r.err().contains("--adaptive chooses dims and layers itself"), r.err());
    Path copy = dir.resolve("elsewhere");
    copyTree(model, copy);
    r = MainTest.run(args(task, "eval", "--model", copy.toString(), "--adaptive"));
    assertEquals(1, r.code());
    assertTrue(r.err().contains("give --output DIR"), r.err());
    r = MainTest.run("eval", "--model", copy.toString(), "--adaptive", "--task", "reverse-dictionary");
    assertEquals(1, r.code());
    assertTrue(r.err().contains("give --output DIR"), r.err());
  }

  @Test
  void retrievalEarlyExitPointsBesideEachDepthAndPrefix(@TempDir Path dir) throws Exception {
    StringBuilder jsonl = new StringBuilder();
    for (int i = 0; i < 2000; i++) {
      jsonl.append("{\"query\": \"shade number ").append(i).append("\", \"document\": \"paint ").append(i)
          .append(" tone ").append(i % 7).append("\"}\n");
    }
    Path pairs = TokenizerCommandTest.write(dir, "pairs.jsonl", jsonl.toString());
    Path cfg = TokenizerCommandTest.write(dir, "c.yaml", String.join("\n", "task: pairs", "data: " + pairs,
        "seed: 2", "model: {vocab_size: 400, d_model: 16, heads: 2, ffn: 32, layers: 3, max_seq_len: 8, "
            + "nesting: [8, 16]}",
        "steps: 10", "batch_pairs: 16", "lr: 0.003", "warmup_steps: 2", "log_every: 5",
        "loss: {base: infonce, matryoshka: {dims: [8, 16]}, adaptive_layers: {layers_per_step: -1}}"));
    Path run = dir.resolve("run"), model = run.resolve("model");
    MainTest.Result r = MainTest.run("train", "--config", cfg.toString(), "--output", run.toString());
    assertEquals(0, r.code(), r.err());
    String[] task = {"--task", "pairs", "--data", pairs.toString()};
    Path out = dir.resolve("adaptive");
    r = MainTest.run(args(task, "eval", "--model", model.toString(), "--adaptive", "--output", out.toString(), "--json"));
    assertEquals(0, r.code(), r.err());
    JsonNode a = JSON.readTree(r.lastLine());
    assertEquals("recall@10", a.path("metric").asText());
    Map<String, JsonNode> fixed = byKey(a.path("fixed"));
    // against plain eval, which embeds and scores the split by its own path
    JsonNode plain = JSON.readTree(MainTest.run(args(task, "eval", "--model", model.toString(), "--json")).lastLine());
    for (String m : new String[] {"8", "16"}) {
      assertEquals(plain.path("recall@10").path(m).asDouble(), fixed.get("prefix/" + m).path("recall@10").asDouble(),
          1e-12, "prefix " + m);
    }
    for (int l = 1; l <= 3; l++) {
      JsonNode cut = JSON.readTree(MainTest.run(args(task, "eval", "--model", model.toString(), "--layer",
          String.valueOf(l), "--json")).lastLine());
      assertEquals(cut.path("recall@10").path("16").asDouble(), fixed.get("layer/" + l).path("recall@10").asDouble(),
          1e-12, "layer " + l);
    }
    // each early exit's threshold is the saved curve's choice for that loss; with none, nothing exits
    JsonNode curve = JSON.readTree(Files.readString(model.resolve("early_exit.json")));
    double fewest = 3;
    for (JsonNode p : a.path("points")) {
      fewest = Math.min(fewest, p.path("expected_layers").asDouble());
      double loss = p.path("max_loss").asDouble() / 100;
      JsonNode best = null;
      for (JsonNode c : curve.path("points")) {
        if (c.path("relative_loss").asDouble() <= loss + 1e-12
            && (best == null || c.path("expected_layers").asDouble() < best.path("expected_layers").asDouble())) {
          best = c;
        }
      }
      if (best == null) {
        assertTrue(p.path("threshold").isNull(), p.toString());
        assertEquals(3.0, p.path("expected_layers").asDouble(), 0);
        assertEquals(fixed.get("layer/3").path("recall@10").asDouble(), p.path("recall@10").asDouble(), 1e-12);
      } else {
        assertEquals(best.path("threshold").floatValue(), p.path("threshold").floatValue(), 0, p.toString());
        // the stable rule compares a layer with the one before: nothing stops at layer 1
        assertTrue(p.path("expected_layers").asDouble() >= 2 && p.path("expected_layers").asDouble() <= 3, p.toString());
      }
    }
    assertTrue(fewest < 3, "some inputs exit early: " + a);
    assertTrue(Files.readString(out.resolve("report.html")).contains("early exit over layers"));
    assertTrue(JSON.readTree(Files.readString(out.resolve("results.json"))).has("adaptive"));
  }

  /** "kind/max_loss" for adaptive points, "prefix/dims" and "layer/layers" for fixed ones. */
  private static Map<String, JsonNode> byKey(JsonNode points) {
    Map<String, JsonNode> out = new HashMap<>();
    for (JsonNode p : points) {
      String kind = p.path("kind").asText();
      String key = p.has("max_loss") ? kind + "/" + p.path("max_loss").asDouble()
          : kind + "/" + (int) p.path(kind.equals("prefix") ? "expected_dims" : "expected_layers").asDouble();
      out.put(key, p);
    }
    return out;
  }

  /** The command line {@code head} followed by the task's flags. */
  private static String[] args(String[] task, String... head) {
    String[] out = java.util.Arrays.copyOf(head, head.length + task.length);
    System.arraycopy(task, 0, out, head.length, task.length);
    return out;
  }

  private static int count(String s, String what) {
    int n = 0;
    for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }

  private static void copyTree(Path from, Path to) throws Exception {
    try (var files = Files.walk(from)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path t = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(t);
        } else {
          Files.copy(f, t);
        }
      }
    }
  }
}
