package dev.mtk.experiments.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mtk.core.io.AtomicFile;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.experiments.report.ImageGrid;
import dev.mtk.experiments.report.Report;
import dev.mtk.models.inference.EmbeddingModel;
import dev.mtk.training.eval.Baselines;
import dev.mtk.training.task.ReverseDictionary;
import dev.mtk.training.train.RunDirectory;
import dev.mtk.training.train.TrainConfig;
import dev.mtk.training.train.TrainConfig.Baseline;
import dev.mtk.training.train.Trainer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Matryoshka run and the baselines its config lists ({@code baselines:}), scored alike on the
 * test split — the MRL paper's comparison, for any classification task. The Matryoshka model is
 * the run itself (DIR/model); each baseline is a run directory of its own under DIR/baselines/,
 * trained with the same data, steps, seed and settings. Methods, as in the quickstart's
 * results.json: {@code mrl} (its prefixes), {@code ff} and {@code ff_narrow} (a model per size,
 * scored at its own size; the full width is the standard model), {@code standard_truncated},
 * {@code pca} and {@code random_projection} (of the standard model's embeddings; PCA fitted on
 * the training references). Writes DIR/results.json, results.md and report.html (charts per
 * metric; for images, test images and their nearest training images at the smallest size and at
 * full width).
 */
public final class Comparison {

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  /** Test images drawn with their neighbours in the report, and neighbours per image. */
  static final int GRID_QUERIES = 8, GRID_NEIGHBOURS = 8;

  /** Told which run trains ("mrl", "standard", "ff-8", …) and how far it is. */
  @FunctionalInterface
  public interface Listener {
    void step(String run, int step, int steps, double loss, double tokensPerSecond);

    /** Work before or after a run's steps (embedding with the teacher, the test evaluation). */
    default void phase(String run, String message) {
      System.err.println("mtk train: " + message);
    }
  }

  /** The trainer's listener for run {@code name}. */
  private static Trainer.Listener forRun(Listener listener, String name) {
    return new Trainer.Listener() {
      @Override
      public void step(int step, int steps, double loss, double tokensPerSecond) {
        listener.step(name, step, steps, loss, tokensPerSecond);
      }

      @Override
      public void phase(String message) {
        listener.phase(name, message);
      }
    };
  }

  private Comparison() {}

  /** method → metric → dim → value on the test split. */
  public static Map<String, Map<String, Map<String, Double>>> run(TrainConfig cfg, Path out,
      WorkerPool pool, RunDirectory.Mode mode, Listener listener) throws IOException {
    int full = cfg.model().embeddingSize();
    int[] dims = Trainer.ladder(full);
    List<Baseline> wanted = cfg.baselines();
    Map<String, Map<String, Map<String, Double>>> methods = new LinkedHashMap<>();
    // the Matryoshka run always goes through the trainer (its directory's lock and config check)
    methods.put("mrl", Trainer.run(cfg, out, pool, forRun(listener, "mrl"), mode));
    Path base = out.resolve("baselines");
    Map<String, Map<String, Double>> standard = null;
    if (wanted.contains(Baseline.STANDARD)) {
      standard = train(cfg.standardBaseline(), base.resolve("standard"), pool, mode, listener, "standard");
      methods.put("standard_truncated", standard);
    }
    for (Baseline b : List.of(Baseline.FF, Baseline.FF_NARROW)) {
      if (!wanted.contains(b)) {
        continue;
      }
      Map<String, Map<String, Double>> bySize = new LinkedHashMap<>();
      for (int m : cfg.dims()) {
        Map<String, Map<String, Double>> r;
        if (m == full && standard != null) {
          r = standard;
        } else if (m == full) {
          continue;
        } else {
          String name = (b == Baseline.FF ? "ff-" : "ff-narrow-") + m;
          TrainConfig c = b == Baseline.FF ? cfg.fixedFeatureBaseline(m) : cfg.narrowBaseline(m);
          r = train(c, base.resolve(name), pool, mode, listener, name);
        }
        Map<String, Map<String, Double>> at = r;
        at.forEach((metric, byDim) -> bySize.computeIfAbsent(metric, k -> new LinkedHashMap<>())
            .put(String.valueOf(m), byDim.get(String.valueOf(m))));
      }
      methods.put(b.id(), bySize);
    }
    String task = cfg.task().id(), data = cfg.data().file();
    if (wanted.contains(Baseline.PCA) || wanted.contains(Baseline.RANDOM_PROJECTION)) {
      EmbeddingModel std = EmbeddingModel.load(base.resolve("standard/model"), pool);
      Trainer.Features f = Trainer.features(std, task, data, ReverseDictionary.Split.TEST);
      if (wanted.contains(Baseline.PCA)) {
        Baselines.Projection pca = Baselines.pca(f.references(), f.referenceLabels().length, full);
        methods.put("pca", f.project(pca).score(pool, dims, cfg.seed()));
      }
      if (wanted.contains(Baseline.RANDOM_PROJECTION)) {
        methods.put("random_projection", f.project(Baselines.randomProjection(full, cfg.seed()))
            .score(pool, dims, cfg.seed()));
      }
    }
    String grid = "";
    if (cfg.textModel() != null) {
      grid = TrainingRun.speechToText(cfg, out.resolve("model"), pool);
    } else if (cfg.task().images) {
      EmbeddingModel mrl = EmbeddingModel.load(out.resolve("model"), pool);
      Trainer.Features f = Trainer.features(mrl, task, data, ReverseDictionary.Split.TEST);
      grid = ImageGrid.section(pool, f, new int[] {dims[0], full}, GRID_QUERIES, GRID_NEIGHBOURS);
    }
    write(cfg, out, methods, dims, grid);
    return methods;
  }

  /** One baseline run, or its results when a resumed comparison finds it finished. */
  private static Map<String, Map<String, Double>> train(TrainConfig cfg, Path dir, WorkerPool pool,
      RunDirectory.Mode mode, Listener listener, String name) throws IOException {
    var finished = mode == RunDirectory.Mode.RESUME ? RunDirectory.finishedResults(dir) : null;
    if (finished != null) {
      return finished;
    }
    return Trainer.run(cfg, dir, pool, forRun(listener, name), mode);
  }

  private static void write(TrainConfig cfg, Path out, Map<String, Map<String, Map<String, Double>>> methods,
      int[] dims, String extraHtml) throws IOException {
    List<String> metrics = new ArrayList<>(methods.get("mrl").keySet());
    ObjectNode results = JSON.createObjectNode();
    results.put("task", cfg.task().id());
    var d = results.putArray("dims");
    for (int m : dims) {
      d.add(m);
    }
    results.put("split", "test");
    results.put("steps_per_model", cfg.optimization().steps());
    results.put("seed", cfg.seed());
    results.set("methods", JSON.valueToTree(methods));
    AtomicFile.write(out.resolve("results.json"), JSON.writeValueAsBytes(results));
    AtomicFile.write(out.resolve("results.md"), Report.markdown(methods, dims, metrics)
        .getBytes(StandardCharsets.UTF_8));
    AtomicFile.write(out.resolve("report.html"), Report.comparisonHtml(cfg.task().id(),
        describe(cfg), methods, dims, metrics, extraHtml).getBytes(StandardCharsets.UTF_8));
  }

  private static String describe(TrainConfig cfg) {
    var m = cfg.model();
    var o = cfg.optimization();
    return String.format(java.util.Locale.ROOT, "Task %s, test split. Every model trained %d steps of "
        + "%d examples with the same settings and seed %d; the Matryoshka model: %d layers, d %d, "
        + "%d heads, FFN %d, loss %s over %s. <b>mrl</b>: its first m dimensions; <b>ff</b>: a "
        + "model per size, the same backbone with a linear projection to m, trained at m; "
        + "<b>ff_narrow</b>: a model per size whose encoder is m wide; <b>standard_truncated</b>: "
        + "the first m dimensions of the model trained at full width only; <b>pca</b> and "
        + "<b>random_projection</b>: that standard model's embeddings reduced to m.", cfg.task().id(),
        o.steps(), o.batchPairs(), cfg.seed(), m.layers(), m.dModel(), m.heads(), m.ffn(),
        cfg.loss().base(), java.util.Arrays.toString(cfg.dims()));
  }
}
