package dev.mtk.experiments.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.training.train.RunDirectory;
import dev.mtk.training.train.TrainConfig;
import dev.mtk.training.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** mtk train's run: the trainer's run directory, plus its table and report of the same scores. */
class TrainingRunTest {

  @Test
  void writesTheTrainersRunAndItsReport(@TempDir Path dir) throws Exception {
    Path cfg = dir.resolve("c.yaml");
    Files.writeString(cfg, String.join("\n", "seed: 3", "model: {vocab_size: 400, d_model: 16, heads: 2,",
        "  ffn: 32, layers: 1, max_seq_len: 8, nesting: [8, 16]}", "steps: 6", "batch_pairs: 8",
        "warmup_steps: 2", "log_every: 3"));
    TrainConfig c = TrainConfig.read(cfg);
    Map<String, Map<String, Double>> viaRun, alone;
    try (WorkerPool pool = new WorkerPool(2)) {
      viaRun = TrainingRun.run(c, dir.resolve("run"), pool, RunDirectory.Mode.NEW, (r, s, n, l, t) -> {}).get("mrl");
      alone = Trainer.run(c, dir.resolve("alone"), pool, (s, n, l, t) -> {});
    }
    assertEquals(alone, viaRun);
    assertArrayEquals(Files.readAllBytes(dir.resolve("alone/model/model.safetensors")),
        Files.readAllBytes(dir.resolve("run/model/model.safetensors")));
    assertArrayEquals(Files.readAllBytes(dir.resolve("alone/results.json")),
        Files.readAllBytes(dir.resolve("run/results.json")));
    String md = Files.readString(dir.resolve("run/results.md"));
    assertTrue(md.contains("**recall@10**"), md);
    assertTrue(md.contains(String.format(java.util.Locale.ROOT, "%.4f", viaRun.get("recall@10").get("16"))), md);
    assertTrue(Files.readString(dir.resolve("run/report.html")).contains("<h2>recall@10</h2>"));
    assertTrue(!Files.exists(dir.resolve("alone/results.md")), "the trainer itself draws nothing");
  }
}
