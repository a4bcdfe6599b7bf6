package dev.mtk.experiments.run;

import dev.mtk.core.io.AtomicFile;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.experiments.report.Report;
import dev.mtk.training.train.RunDirectory;
import dev.mtk.training.train.TrainConfig;
import dev.mtk.training.train.Trainer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code mtk train}: one {@link Trainer} run, then its scores as a table (results.md) and as
 * charts (report.html) beside the run directory's results.json.
 */
public final class TrainingRun {

  private TrainingRun() {}

  /**
   * method ("mrl": the trained model; the baselines) → metric → (dim → value) on the test split; see {@link Trainer#run} for the
   * run directory. A config with {@code baselines:} trains them too ({@link Comparison}), and the
   * listener hears which run each step belongs to.
   */
  public static Map<String, Map<String, Map<String, Double>>> run(TrainConfig cfg, Path out,
      WorkerPool pool, RunDirectory.Mode mode, Comparison.Listener listener) throws IOException {
    if (!cfg.baselines().isEmpty()) {
      return Comparison.run(cfg, out, pool, mode, listener);
    }
    Map<String, Map<String, Double>> results = Trainer.run(cfg, out, pool,
        (step, steps, loss, tps) -> listener.step("mrl", step, steps, loss, tps), mode);
    int[] dims = Trainer.ladder(cfg.model().embeddingSize());
    AtomicFile.write(out.resolve("results.md"), Report.markdown(Map.of("model", results), dims,
        List.copyOf(results.keySet())).getBytes(StandardCharsets.UTF_8));
    AtomicFile.write(out.resolve("report.html"), Report.runHtml(cfg.task().id(), "test", results, dims)
        .getBytes(StandardCharsets.UTF_8));
    return Map.of("mrl", results);
  }
}
