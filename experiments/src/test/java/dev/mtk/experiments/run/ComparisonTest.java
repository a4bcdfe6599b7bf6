package dev.mtk.experiments.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.training.train.RunDirectory;
import dev.mtk.training.train.TrainConfig;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Matryoshka ViT and every baseline, on IDX files the test writes: results, report, resume. */
class ComparisonTest {

  /** n grey 28×28 images of 10 classes: class c lights rows 2c+4 and 2c+5 (a band), on noise. */
  static void writeBands(Path dir, String split, int n, long seed) throws Exception {
    SplittableRandom r = new SplittableRandom(seed);
    byte[] px = new byte[n * 784], labels = new byte[n];
    for (int i = 0; i < n; i++) {
      int c = r.nextInt(10), from = 2 * c + 4;
      labels[i] = (byte) c;
      for (int p = 0; p < 784; p++) {
        int row = p / 28;
        px[i * 784 + p] = (byte) (row >= from && row < from + 2 ? 180 + r.nextInt(70) : r.nextInt(80));
      }
    }
    Files.write(dir.resolve(split + "-images-idx3-ubyte"), idx(new int[] {n, 28, 28}, px));
    Files.write(dir.resolve(split + "-labels-idx1-ubyte"), idx(new int[] {n}, labels));
  }

  static byte[] idx(int[] dims, byte[] data) {
    ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length).put(new byte[] {0, 0, 8, (byte) dims.length});
    for (int d : dims) {
      b.putInt(d);
    }
    return b.put(data).array();
  }

  static Path config(Path dir, String baselines) throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    if (!Files.exists(data.resolve("t10k-labels-idx1-ubyte"))) {
      writeBands(data, "train", 800, 1);
      writeBands(data, "t10k", 200, 2);
    }
    Path cfg = dir.resolve("c.yaml");
    Files.writeString(cfg, String.join("\n", "task: fashion-mnist", "data: " + data, "seed: 5",
        "model: {d_model: 16, heads: 2, ffn: 32, layers: 1, max_seq_len: 16, patch_dim: 49,",
        "  nesting: [8, 16]}", "loss: {base: classification, matryoshka: {dims: [8, 16]}}",
        "steps: 40", "batch_pairs: 32", "lr: 0.003", "warmup_steps: 4", "log_every: 10",
        "init: fan_in", "augment: {crop_padding: 0, flip: true}", "baselines: " + baselines));
    return cfg;
  }

  @Test
  void everyBaselineIsTrainedScoredAndReported(@TempDir Path dir) throws Exception {
    TrainConfig c = TrainConfig.read(config(dir, "[standard, ff, ff_narrow, pca, random_projection]"));
    Path out = dir.resolve("run");
    List<String> runs = new java.util.ArrayList<>();
    try (WorkerPool pool = new WorkerPool(2)) {
      TrainingRun.run(c, out, pool, RunDirectory.Mode.NEW, (run, s, n, l, t) -> {
        if (s == n) {
          runs.add(run);
        }
      });
    }
    assertEquals(List.of("mrl", "standard", "ff-8", "ff-narrow-8"), runs);
    JsonNode r = new ObjectMapper().readTree(out.resolve("results.json").toFile());
    assertEquals("fashion-mnist", r.get("task").asText());
    JsonNode m = r.get("methods");
    assertEquals(List.of("mrl", "standard_truncated", "ff", "ff_narrow", "pca", "random_projection"),
        iterate(m.fieldNames()));
    for (String method : iterate(m.fieldNames())) {
      assertEquals(List.of("knn_accuracy", "linear_probe_accuracy", "map_at_10"), iterate(m.get(method).fieldNames()));
      for (JsonNode byDim : m.get(method)) {
        assertEquals(List.of("8", "16"), iterate(byDim.fieldNames()), method);
        byDim.forEach(v -> assertTrue(v.asDouble() >= 0 && v.asDouble() <= 1, method + " " + v));
      }
    }
    // each FF size is its own run, scored at its size; the full width is the standard model
    JsonNode ff8 = new ObjectMapper().readTree(out.resolve("baselines/ff-8/results.json").toFile());
    assertEquals(ff8.at("/methods/mrl/knn_accuracy/8"), m.at("/ff/knn_accuracy/8"));
    assertEquals(m.at("/standard_truncated/map_at_10/16"), m.at("/ff/map_at_10/16"));
    JsonNode ffModel = new ObjectMapper().readTree(out.resolve("baselines/ff-8/model/config.json").toFile());
    assertEquals(8, ffModel.get("projection").asInt(), ffModel.toString());
    JsonNode narrow = new ObjectMapper().readTree(out.resolve("baselines/ff-narrow-8/model/config.json").toFile());
    assertEquals(8, narrow.get("d_model").asInt(), narrow.toString());
    assertEquals(16, narrow.get("ffn").asInt(), narrow.toString());
    // the bands are easy: a trained model beats chance (0.1) by far at full width
    assertTrue(m.at("/mrl/linear_probe_accuracy/16").asDouble() > 0.5, m.toString());
    String html = Files.readString(out.resolve("report.html"));
    assertTrue(html.contains("<h2>map_at_10</h2>") && html.contains("Nearest training images")
        && html.contains("8 dimensions:") && html.contains("16 dimensions:"), html.substring(0, 400));
    assertTrue(Files.readString(out.resolve("results.md")).contains("| random_projection |"));

    // a resume finds every run finished: nothing is trained again, the results are the same
    byte[] before = Files.readAllBytes(out.resolve("results.json"));
    long ffTime = Files.getLastModifiedTime(out.resolve("baselines/ff-8/model/model.safetensors")).toMillis();
    try (WorkerPool pool = new WorkerPool(1)) {
      TrainingRun.run(c, out, pool, RunDirectory.Mode.RESUME, (run, s, n, l, t) -> {});
    }
    assertArrayEquals(before, Files.readAllBytes(out.resolve("results.json")));
    assertEquals(ffTime, Files.getLastModifiedTime(out.resolve("baselines/ff-8/model/model.safetensors")).toMillis());
  }

  @Test
  void baselinesThatCannotBeMadeAreRefusedByName(@TempDir Path dir) throws Exception {
    for (String[] bad : new String[][] {{"[pca]", "list standard too"}, {"[ff, ff]", "twice"},
        {"[svd]", "baseline 'svd' is not known"}, {"standard", "must be a list"}}) {
      var e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.read(config(dir, bad[0])), bad[0]);
      assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
    }
  }

  private static List<String> iterate(java.util.Iterator<String> it) {
    List<String> out = new java.util.ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }
}
