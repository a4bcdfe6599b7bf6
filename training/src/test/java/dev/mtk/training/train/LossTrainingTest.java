package dev.mtk.training.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtk.core.parallel.WorkerPool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loss section of a config, end to end: each base loss and wrapper trains through the trainer. */
class LossTrainingTest {

  static final String MODEL = "model: {vocab_size: 400, d_model: 16, heads: 2, ffn: 32, layers: 2, "
      + "max_seq_len: 8, nesting: [8, 16]}";
  static final ObjectMapper JSON = new ObjectMapper();

  static Path labelled(Path dir) throws Exception {
    // the class is the colour word; the rest is noise the model must learn to ignore
    String[] colours = {"red", "green", "blue", "yellow"};
    StringBuilder tsv = new StringBuilder("text\tlabel\n");
    for (int i = 0; i < 800; i++) {
      tsv.append("item ").append(i).append(" painted ").append(colours[i % 4]).append(" today\t")
          .append(colours[i % 4]).append('\n');
    }
    Path f = dir.resolve("labels.tsv");
    Files.writeString(f, tsv);
    return f;
  }

  static List<JsonNode> metrics(Path run) throws Exception {
    return Files.readAllLines(run.resolve("metrics.jsonl")).stream().map(l -> {
      try {
        return JSON.readTree(l);
      } catch (Exception e) {
        throw new AssertionError(l, e);
      }
    }).toList();
  }

  /**
   * A setting inside loss: on a config that gives its loss as dims:/temperature: shorthand
   * applies to the loss the shorthand stands for (a sweep's grid over loss.matryoshka.weights).
   */
  @Test
  void aLossSettingAppliesToTheShorthandLoss(@TempDir Path dir) throws Exception {
    for (String task : List.of("reverse-dictionary", "labels")) {
      Path cfg = dir.resolve(task + ".yaml");
      Files.writeString(cfg, String.join("\n", "task: " + task, task.equals("labels") ? "data: " + dir.resolve("labels.tsv") : "", MODEL, "temperature: 0.07", "dims: [8, 16]"));
      TrainConfig plain = TrainConfig.read(cfg);
      // setting what the shorthand already says changes nothing
      TrainConfig same = TrainConfig.read(cfg, Map.of("loss.matryoshka.dims", "[8, 16]"));
      assertEquals(plain.loss().toJson(), same.loss().toJson(), task);
      TrainConfig weighted = TrainConfig.read(cfg, Map.of("loss.matryoshka.weights", "[4, 1]"));
      assertArrayEquals(new int[] {8, 16}, weighted.loss().dims(), task);
      assertArrayEquals(new float[] {4, 1}, weighted.loss().weights(), task);
      assertEquals(plain.loss().base(), weighted.loss().base());
      assertEquals(plain.loss().temperature(), weighted.loss().temperature());
    }
  }

  @Test
  void classificationWithASharedHeadLearnsAndResumesBitIdentically(@TempDir Path dir) throws Exception {
    Path data = labelled(dir), cfg = dir.resolve("c.yaml");
    Files.writeString(cfg, String.join("\n", "task: labels", "data: " + data, "seed: 4", MODEL,
        "steps: 40", "batch_pairs: 16", "lr: 0.003", "warmup_steps: 4", "log_every: 5",
        "checkpoint_every: 15", "loss: {base: classification, head: shared, matryoshka: {dims: [8, 16]}}"));
    TrainConfig c = TrainConfig.read(cfg);
    Path whole = dir.resolve("whole"), crashed = dir.resolve("crashed");
    try (WorkerPool pool = new WorkerPool(2)) {
      Trainer.run(c, whole, pool, (s, n, l, t) -> {});
      assertThrows(IllegalStateException.class, () -> Trainer.run(c, crashed, pool, (s, n, l, t) -> {
        if (s == 35) {
          throw new IllegalStateException("simulated crash");
        }
      }));
      assertTrue(Files.exists(crashed.resolve("checkpoints/step-30/heads.safetensors")), "the head is checkpointed");
      Trainer.run(c, crashed, pool, (s, n, l, t) -> {}, true);
    }
    assertArrayEquals(Files.readAllBytes(whole.resolve("model/model.safetensors")),
        Files.readAllBytes(crashed.resolve("model/model.safetensors")), "resumed = uninterrupted");
    List<JsonNode> m = metrics(whole);
    assertTrue(m.get(0).get("losses").has("dim8") && m.get(0).get("losses").has("dim16"), m.get(0).toString());
    JsonNode results = JSON.readTree(whole.resolve("results.json").toFile()).get("methods").get("mrl");
    double probe = results.get("linear_probe_accuracy").get("8").asDouble();
    double knn = results.get("knn_accuracy").get("16").asDouble();
    System.out.println("labels: probe@8 " + probe + ", kNN@16 " + knn);
    // four balanced classes: chance is 0.25
    assertTrue(probe > 0.9 && knn > 0.9, results.toString());

    // the trained heads are saved with the model: on the test split each prefix's head
    // classifies far above chance, and the dev-calibrated cascade keeps its promise there
    var classifier = dev.mtk.models.classify.Classifier.load(whole.resolve("model"));
    assertEquals(List.of("blue", "green", "red", "yellow"), classifier.classes());
    assertTrue(classifier.shared());
    try (WorkerPool pool = new WorkerPool(2)) {
      var model = dev.mtk.models.inference.EmbeddingModel.load(whole.resolve("model"), pool);
      var test = Trainer.labelled(model, "labels", data.toString(), dev.mtk.training.task.ReverseDictionary.Split.TEST);
      var table = classifier.table(test.rows(), test.labels().length, test.width());
      for (int k = 0; k < 2; k++) {
        // 40 steps leave the heads at cross-entropy ~1.0 (chance: ln 4 = 1.39): ~0.73 top-1
        assertTrue(table.top1(k, test.labels()) > 0.6, "head " + k + ": " + table.top1(k, test.labels()));
      }
      var cascade = classifier.cascade();
      assertEquals(2, cascade.thresholds().length);
      assertTrue(cascade.dev().top1() >= cascade.dev().top1Full() - 0.002, cascade.dev().toString());
    }
  }

  @Test
  void twoDimensionalClassificationSavesEveryLayersHeadsAndAnEarlyExitThatHoldsOnDev(@TempDir Path dir)
      throws Exception {
    Path data = labelled(dir), cfg = dir.resolve("c.yaml");
    Files.writeString(cfg, String.join("\n", "task: labels", "data: " + data, "seed: 5", MODEL,
        "steps: 40", "batch_pairs: 16", "lr: 0.003", "warmup_steps: 4", "log_every: 10",
        "loss: {base: classification, matryoshka: {dims: [8, 16]}, adaptive_layers: {layers_per_step: -1}}"));
    Path run = dir.resolve("run");
    try (WorkerPool pool = new WorkerPool(2)) {
      Trainer.run(TrainConfig.read(cfg), run, pool, (s, n, l, t) -> {});
      var cl = dev.mtk.models.classify.Classifier.load(run.resolve("model"));
      assertEquals(2, cl.layers());
      assertTrue(cl.atLayer(1) != null && cl.atLayer(2) == cl);
      var exit = cl.earlyExit();
      assertEquals(2, exit.thresholds().length);
      assertTrue(exit.dev().top1() >= exit.dev().top1Full() - 0.002, exit.dev().toString());
      // real early exit over the dev split: the stops and the top-1 calibration counted
      var model = dev.mtk.models.inference.EmbeddingModel.load(run.resolve("model"), pool);
      var devRows = Trainer.labelled(model, "labels", data.toString(), dev.mtk.training.task.ReverseDictionary.Split.DEV,
          dev.mtk.models.inference.EmbedOptions.EVALUATION.withExit(cl.exitRule(exit)));
      var d = cl.classify(devRows.rows(), devRows.layers(), devRows.labels().length, devRows.width(), null);
      int[] stops = new int[2];
      int hit = 0;
      for (int i = 0; i < d.length; i++) {
        stops[d[i].layer() - 1]++;
        hit += d[i].label() == devRows.labels()[i] ? 1 : 0;
      }
      assertArrayEquals(exit.dev().stops(), stops);
      assertEquals(exit.dev().top1(), (double) hit / d.length, 1e-12);
      System.out.println("2D classification: dev stops " + java.util.Arrays.toString(stops) + ", top-1 "
          + exit.dev().top1() + " against " + exit.dev().top1Full());
    }
  }

  @Test
  void tripletsWithTwoDimensionalMatryoshkaThenDistillation(@TempDir Path dir) throws Exception {
    StringBuilder jsonl = new StringBuilder();
    for (int i = 0; i < 600; i++) {
      jsonl.append("{\"anchor\": \"shade number ").append(i).append("\", \"positive\": \"paint ")
          .append(i).append("\", \"negative\": \"paint ").append((i + 1) % 600).append("\"}\n");
    }
    Path pairs = dir.resolve("triplets.jsonl");
    Files.writeString(pairs, jsonl);
    Path cfg = dir.resolve("c.yaml");
    Files.writeString(cfg, String.join("\n", "task: pairs", "data: " + pairs, "seed: 2", MODEL,
        "steps: 12", "batch_pairs: 8", "warmup_steps: 2", "log_every: 4", "eval_every: 6",
        "loss:", "  base: infonce", "  symmetric: true", "  matryoshka: {dims: [8, 16], weights: [2, 1]}",
        "  adaptive_layers: {layers_per_step: -1, kl_weight: 0.5}"));
    Path teacherRun = dir.resolve("teacher");
    try (WorkerPool pool = new WorkerPool(2)) {
      Trainer.run(TrainConfig.read(cfg), teacherRun, pool, (s, n, l, t) -> {});
    }
    // a 2D retrieval model measured its early exit on dev: the saved curve is what real
    // early-exit embedding of that split scores
    var exit = dev.mtk.models.inference.EarlyExit.load(teacherRun.resolve("model"));
    assertEquals(2, exit.layers());
    assertEquals("recall@10", exit.metric());
    assertTrue(exit.points().size() >= 2, exit.toString());
    try (WorkerPool pool = new WorkerPool(2)) {
      var model = dev.mtk.models.inference.EmbeddingModel.load(teacherRun.resolve("model"), pool);
      var pairs2 = ((Task.Retrieval) Task.load("pairs", pairs.toString(), (dev.mtk.tokenizers.image.ImageFormat) null)).data;
      for (var p : List.of(exit.points().get(0), exit.points().get(exit.points().size() - 1))) {
        var rule = dev.mtk.models.inference.ExitRule.stable(new float[] {p.threshold(), p.threshold()});
        var e = Trainer.embedSplit(model, pairs2, dev.mtk.training.task.ReverseDictionary.Split.DEV,
            dev.mtk.models.inference.EmbedOptions.EVALUATION.withExit(rule));
        double v = dev.mtk.training.eval.RetrievalMetrics.evaluate(pool, e.queries(), e.relevant().length,
            e.docs(), e.docCount(), e.width(), e.width(), e.relevant()).get("recall@10");
        assertEquals(p.value(), v, 1e-12, "threshold " + p.threshold());
      }
      // a two-layer model can only stop after its last layer under the stable rule
      assertEquals(2.0, exit.points().get(0).expectedLayers(), 0);
    }
    List<JsonNode> m = metrics(teacherRun);
    JsonNode losses = m.get(0).get("losses");
    for (String k : List.of("layer2", "layer2/dim8", "layer1/dim16", "layer1/kl")) {
      assertTrue(losses.has(k), k + " in " + losses);
    }
    assertTrue(m.stream().anyMatch(j -> j.has("dev")), "a dev evaluation on the way");
    JsonNode resolved = JSON.readTree(teacherRun.resolve("config.json").toFile()).get("loss");
    assertEquals("[2.0,1.0]", resolved.get("matryoshka").get("weights").toString());

    // distil the trained model into a fresh student: the MSE must fall
    Files.writeString(cfg, String.join("\n", "task: pairs", "data: " + pairs, "seed: 3", MODEL,
        "steps: 30", "batch_pairs: 8", "lr: 0.003", "warmup_steps: 2", "log_every: 5",
        "teacher: " + teacherRun.resolve("model"),
        "loss: {base: mse, matryoshka: {dims: [8, 16]}}"));
    Path student = dir.resolve("student");
    try (WorkerPool pool = new WorkerPool(2)) {
      Trainer.run(TrainConfig.read(cfg), student, pool, (s, n, l, t) -> {});
    }
    List<JsonNode> sm = metrics(student);
    double first = sm.get(0).get("loss").asDouble(), last = sm.get(sm.size() - 1).get("loss").asDouble();
    System.out.println("distillation MSE " + first + " → " + last);
    assertTrue(last < 0.7 * first, first + " → " + last);
  }

  @Test
  void lossesThatDoNotFitTheDataAreRefusedBeforeTraining(@TempDir Path dir) throws Exception {
    Path data = labelled(dir), cfg = dir.resolve("c.yaml");
    String[][] cases = {
        {"task: labels\ndata: " + data + "\nloss: {base: infonce}", "use base: classification"},
        {"loss: {base: classification}", "use base: infonce"},
        {"loss: {base: mse}", "teacher"},
        {"loss: {base: infonce, matryoshka: {dims: [8, 16], weights: [1]}}", "one per dim"},
        {"dims: [8]\nloss: {base: infonce}", "loss.matryoshka.dims"},
        {"loss: {base: infonce, adaptive_layers: {kl_temperature: 0}}", "kl_temperature"},
    };
    for (String[] c : cases) {
      Files.writeString(cfg, MODEL + "\n" + c[0] + "\n");
      var e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.read(cfg), c[0]);
      assertTrue(e.getMessage().contains(c[1]), c[0] + " → " + e.getMessage());
    }
  }
}
