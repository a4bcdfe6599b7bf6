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
    AtomicFile.write(out.resolve("report.html"), Report.runHtml(cfg.task().id(), "test", results, dims,
        confusions(cfg, out.resolve("model"), pool)).getBytes(StandardCharsets.UTF_8));
    return Map.of("mrl", results);
  }

  /**
   * For a run that saved classification heads: the test split's confusion matrices through the
   * smallest prefix's head and the full one's (and for video a strip of test clips' frames); else
   * nothing.
   */
  static String confusions(TrainConfig cfg, Path modelDir, WorkerPool pool) throws IOException {
    if (cfg.textModel() != null) {
      return speechToText(cfg, modelDir, pool);
    }
    var heads = dev.mtk.models.classify.Classifier.load(modelDir);
    if (heads == null || cfg.task().retrieval) {
      return "";
    }
    var model = dev.mtk.models.inference.EmbeddingModel.load(modelDir, pool);
    // the task read once for both the matrices and the strip (a video set is gigabytes)
    var task = Trainer.labelledTask(model, cfg.task().id(), cfg.data().file());
    var test = task.embed(dev.mtk.training.task.ReverseDictionary.Split.TEST,
        dev.mtk.models.inference.EmbedOptions.EVALUATION);
    int n = test.labels().length;
    var table = heads.table(test.rows(), n, test.width());
    int[] dims = heads.dims();
    StringBuilder sb = new StringBuilder("<h2>Confusion on the test split</h2>");
    for (int k : dims.length == 1 ? new int[] {0} : new int[] {0, dims.length - 1}) {
      sb.append(dev.mtk.experiments.report.Confusion.svg(heads.classes(),
          dev.mtk.experiments.report.Confusion.count(test.labels(), table.label()[k], heads.classes().size()),
          String.format(java.util.Locale.ROOT, "the %d-dim head: top-1 %.4f", dims[k], table.top1(k, test.labels()))));
    }
    var format = model.imageFormat();
    if (format != null && format.frames() > 1 && format.channels() == 1) {
      var clips = task.images(dev.mtk.training.task.ReverseDictionary.Split.TEST);
      sb.append(dev.mtk.experiments.report.ClipStrip.section(clips, format.frames(),
          table.label()[dims.length - 1], STRIP_CLIPS, "full-width head"));
    }
    return sb.toString();
  }

  /**
   * A text↔speech model's test clips each matched to the nearest written word (zero-shot
   * classification by the words), as confusion matrices at the smallest prefix and at full width.
   */
  static String speechToText(TrainConfig cfg, Path modelDir, WorkerPool pool) throws IOException {
    var model = dev.mtk.models.inference.EmbeddingModel.load(modelDir, pool);
    var test = Trainer.labelled(model, cfg.task().id(), cfg.data().file(),
        dev.mtk.training.task.ReverseDictionary.Split.TEST);
    List<String> words = test.classes();
    float[] texts = model.embedTexts(words, dev.mtk.models.inference.EmbedOptions.EVALUATION).vectors();
    int n = test.labels().length, full = model.width();
    StringBuilder sb = new StringBuilder("<h2>Speech → text on the test split</h2><p>Each test clip "
        + "labelled with the written word whose text-tower embedding is nearest to its audio-tower embedding.</p>");
    for (int m : new int[] {cfg.dims()[0], full}) {
      int[] nearest = dev.mtk.training.eval.CrossModal.nearestText(texts, words.size(), test.rows(), n, full, m);
      int right = 0;
      for (int i = 0; i < n; i++) {
        right += nearest[i] == test.labels()[i] ? 1 : 0;
      }
      sb.append(dev.mtk.experiments.report.Confusion.svg(words,
          dev.mtk.experiments.report.Confusion.count(test.labels(), nearest, words.size()),
          String.format(java.util.Locale.ROOT, "%d dims: top-1 %.4f", m, (double) right / Math.max(1, n))));
      if (m == full) {
        break;
      }
    }
    return sb.toString();
  }

  /** Test clips drawn frame by frame in a video run's report. */
  static final int STRIP_CLIPS = 8;
}
