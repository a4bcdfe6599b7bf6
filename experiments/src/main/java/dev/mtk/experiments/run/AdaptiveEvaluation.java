package dev.mtk.experiments.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.experiments.bench.Timing;
import dev.mtk.models.classify.Cascade;
import dev.mtk.models.classify.Classifier;
import dev.mtk.models.inference.EarlyExit;
import dev.mtk.models.inference.EmbedOptions;
import dev.mtk.models.inference.EmbeddingModel;
import dev.mtk.training.eval.RetrievalMetrics;
import dev.mtk.training.task.ReverseDictionary;
import dev.mtk.training.train.Trainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleSupplier;

/**
 * {@code mtk eval --adaptive}: what dynamic adjustment buys on a task's split, as operating
 * points beside the fixed sizes. A model with classification heads: the cascade over prefixes
 * ("width"), the early exit over layers ("depth", 2D Matryoshka models) and both together, each
 * calibrated on the dev split to several allowed losses and measured on the evaluated split. A
 * retrieval task: the early exit of embeddings that stopped moving, the same way. Every point's
 * time is measured, not counted: the split embedded (and classified) with that point's settings,
 * best of {@link #TIMING_ROUNDS} rounds that alternate over all the points.
 */
public final class AdaptiveEvaluation {

  /** What calibration may lose on dev: points of top-1 for classification. */
  static final double[] TOP1_LOSSES = {0, 0.1, 0.2, 0.5, 1, 2, 5};
  /** … and percent of full-depth recall@10 for retrieval. */
  static final double[] RECALL_LOSSES = {0, 0.5, 1, 2, 5, 10};
  static final int TIMING_ROUNDS = 2;

  /**
   * One operating point.
   *
   * @param kind fixed: "prefix" (the first m dims at full depth), "layer" (the model cut after l
   *     layers, full width); adaptive: "width" (cascade over prefixes), "depth" (early exit over
   *     layers), "depth+width"
   * @param maxLoss the loss calibration allowed on dev (points of top-1, or percent of recall@10);
   *     NaN for fixed points
   * @param threshold per stage of a cascade (NaN: never stops there), or the one cosine of the
   *     stable exit; null for fixed points
   * @param quality top-1 or recall@10 on the evaluated split
   * @param msPerInput measured: embedding (and for classification the heads) per input
   */
  public record Point(String kind, double maxLoss, float[] threshold, double quality, double expectedDims,
      double expectedLayers, double msPerInput) {}

  /**
   * @param metric "top1" or "recall@10"
   * @param inputs what each point embedded (for retrieval the queries and their candidates)
   */
  public record Result(String task, String split, String metric, int width, int layers, int inputs,
      int threads, List<Point> fixed, List<Point> points) {

    /** The {@code adaptive} section of results.json. */
    public ObjectNode toJson() {
      ObjectNode o = new ObjectMapper().createObjectNode();
      o.put("task", task);
      o.put("split", split);
      o.put("metric", metric);
      o.put("width", width);
      o.put("layers", layers);
      o.put("inputs", inputs);
      o.put("threads", threads);
      o.put("timing", "best of " + TIMING_ROUNDS + " rounds alternating over all points after a warm-up round; "
          + (metric.equals("top1") ? "embedding and heads" : "embedding queries and candidates") + " per input");
      write(o.putArray("fixed"), fixed);
      write(o.putArray("points"), points);
      return o;
    }

    private void write(ArrayNode a, List<Point> ps) {
      for (Point p : ps) {
        ObjectNode j = a.addObject();
        j.put("kind", p.kind());
        if (p.threshold() != null) {
          j.put("max_loss", p.maxLoss());
          if (p.threshold().length == 1) {
            put(j, "threshold", p.threshold()[0]);
          } else {
            ArrayNode t = j.putArray("threshold");
            for (float v : p.threshold()) {
              if (Float.isNaN(v)) {
                t.addNull();
              } else {
                t.add(v);
              }
            }
          }
        }
        j.put(metric, p.quality());
        j.put("expected_dims", p.expectedDims());
        j.put("expected_layers", p.expectedLayers());
        j.put("ms_per_input", p.msPerInput());
      }
    }

    private static void put(ObjectNode j, String key, float v) {
      if (Float.isNaN(v)) {
        j.putNull(key);
      } else {
        j.put(key, v);
      }
    }
  }

  /**
   * The result as the {@code adaptive} section of {@code dir}/results.json (the rest of the file
   * kept) and of {@code dir}/report.html (its plots and table replacing an earlier section);
   * both written whole or not at all.
   */
  public static void save(Result r, Path dir) throws IOException {
    java.nio.file.Files.createDirectories(dir);
    ObjectMapper json = new ObjectMapper();
    Path results = dir.resolve("results.json"), report = dir.resolve("report.html");
    ObjectNode all;
    if (java.nio.file.Files.exists(results)) {
      var read = json.readTree(results.toFile());
      if (!(read instanceof ObjectNode o)) {
        throw new IllegalArgumentException(results + ": not a JSON object; not overwriting it");
      }
      all = o;
    } else {
      all = json.createObjectNode();
    }
    ObjectNode section = r.toJson();
    all.set("adaptive", section);
    dev.mtk.core.io.AtomicFile.write(results, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(all));
    String page = java.nio.file.Files.exists(report)
        ? java.nio.file.Files.readString(report, java.nio.charset.StandardCharsets.UTF_8) : null;
    dev.mtk.core.io.AtomicFile.write(report, dev.mtk.experiments.report.AdaptiveReport.into(page,
        dev.mtk.experiments.report.AdaptiveReport.html(section)).getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /** Hears what a long evaluation is doing. */
  public interface Progress {
    void phase(String what);
  }

  private AdaptiveEvaluation() {}

  /**
   * The operating points of {@code model} (loaded from {@code modelDir}) on a task's split:
   * classification when the model has heads and the task has labels, else retrieval ({@code
   * data} as for {@link Trainer#evaluate}).
   */
  public static Result run(EmbeddingModel model, Path modelDir, String task, String data,
      ReverseDictionary.Split split, WorkerPool pool, Progress progress) throws IOException {
    if (split == ReverseDictionary.Split.DEV) {
      throw new IllegalArgumentException("--adaptive calibrates on the dev split: evaluate it on test");
    }
    Classifier heads = Classifier.load(modelDir);
    if (!dev.mtk.training.train.TrainConfig.TaskName.parse(task).retrieval) {
      if (heads == null) {
        throw new IllegalArgumentException(modelDir + " has no " + Classifier.CONFIG + ": adaptive "
            + "classification needs the heads that runs with loss base: classification save (or give a "
            + "retrieval task, which needs no heads)");
      }
      return classification(model, heads, task, data, split, pool, progress);
    }
    if (model.layers() < 2) {
      throw new IllegalArgumentException(modelDir + " has one layer: adaptive retrieval is early exit over "
          + "layers, which needs a deeper model (trained with loss.adaptive_layers, 2D Matryoshka)");
    }
    return retrieval(model, Trainer.retrieval(task, data), task, split, pool, progress);
  }

  private static Result classification(EmbeddingModel model, Classifier cl, String task, String data,
      ReverseDictionary.Split split, WorkerPool pool, Progress progress) throws IOException {
    Trainer.LabelledTask t = Trainer.labelledTask(model, task, data);
    int layers = model.layers(), width = model.width();
    boolean deep = cl.layers() > 1;
    progress.phase("embedding the dev split" + (deep ? " at each of the " + layers + " layers" : "")
        + " to calibrate on");
    Trainer.LabelledSplit dev = t.embed(ReverseDictionary.Split.DEV, EmbedOptions.EVALUATION);
    if (!dev.classes().equals(cl.classes())) {
      throw new IllegalArgumentException("the task's classes are not the model's heads' classes");
    }
    int nDev = dev.labels().length;
    if (nDev == 0) {
      throw new IllegalArgumentException("the dev split is empty: nothing to calibrate on");
    }
    Classifier.Table devTable = cl.table(dev.rows(), nDev, width);
    Classifier.Table devDepth = null;
    if (deep) {
      float[][] byLayer = new float[layers][];
      byLayer[layers - 1] = dev.rows();
      for (int l = 1; l < layers; l++) {
        byLayer[l - 1] = t.embed(ReverseDictionary.Split.DEV, EmbedOptions.EVALUATION.withLayer(l)).rows();
      }
      devDepth = cl.depthTable(byLayer, nDev, width);
    }
    double[] losses = TOP1_LOSSES;
    Cascade[] widths = new Cascade[losses.length], depths = new Cascade[losses.length];
    for (int q = 0; q < losses.length; q++) {
      widths[q] = Cascade.calibrate(devTable, dev.labels(), Cascade.Confidence.MAX_PROB, losses[q]);
      if (deep) {
        depths[q] = Cascade.calibrate(devDepth, dev.labels(), Cascade.Confidence.MAX_PROB, losses[q]);
      }
    }
    // what is embedded and timed: full depth, each shorter depth, each early exit
    List<EmbedOptions> runs = new ArrayList<>();
    runs.add(EmbedOptions.EVALUATION);
    for (int l = 1; deep && l < layers; l++) {
      runs.add(EmbedOptions.EVALUATION.withLayer(l));
    }
    int firstExit = runs.size();
    for (int q = 0; deep && q < losses.length; q++) {
      // one rule per run: a rule reuses a buffer
      runs.add(EmbedOptions.EVALUATION.withExit(cl.exitRule(depths[q])));
    }
    progress.phase("embedding the " + split.name().toLowerCase(java.util.Locale.ROOT) + " split " + runs.size()
        + (runs.size() == 1 ? " way, " : " ways, ") + (TIMING_ROUNDS + 1) + " rounds (the first a warm-up)");
    Trainer.LabelledSplit[] out = new Trainer.LabelledSplit[runs.size()];
    List<DoubleSupplier> bodies = new ArrayList<>();
    for (int i = 0; i < runs.size(); i++) {
      int r = i;
      bodies.add(() -> (out[r] = t.embed(split, runs.get(r))).seconds());
    }
    double[] seconds = Timing.bestAlternating(TIMING_ROUNDS, bodies);
    int[] truth = out[0].labels();
    int n = truth.length, last = cl.dims().length - 1;
    int[] dims = cl.dims();
    List<Point> fixed = new ArrayList<>(), points = new ArrayList<>();
    Classifier.Table full = cl.table(out[0].rows(), n, width);
    Decided fullHead = decide(() -> cl.classify(out[0].rows(), null, n, width, null));
    for (int k = 0; k < dims.length; k++) {
      fixed.add(new Point("prefix", Double.NaN, null, full.top1(k, truth), dims[k], layers,
          ms(seconds[0] + fullHead.seconds, n)));
    }
    for (int l = 1; deep && l < layers; l++) {
      int[] at = new int[n];
      Arrays.fill(at, l);
      int r = l;
      Decided d = decide(() -> cl.classify(out[r].rows(), at, n, width, null));
      fixed.add(new Point("layer", Double.NaN, null, d.top1(truth), dims[last], l, ms(seconds[l] + d.seconds, n)));
    }
    if (deep) {
      fixed.add(new Point("layer", Double.NaN, null, full.top1(last, truth), dims[last], layers,
          ms(seconds[0] + fullHead.seconds, n)));
    }
    for (int q = 0; q < losses.length; q++) {
      Cascade c = widths[q];
      Decided d = decide(() -> cl.classify(out[0].rows(), null, n, width, c));
      points.add(new Point("width", losses[q], c.thresholds(), d.top1(truth), d.dims(), layers,
          ms(seconds[0] + d.seconds, n)));
    }
    for (int q = 0; deep && q < losses.length; q++) {
      Trainer.LabelledSplit e = out[firstExit + q];
      Decided d = decide(() -> cl.classify(e.rows(), e.layers(), n, width, null));
      points.add(new Point("depth", losses[q], depths[q].thresholds(), d.top1(truth), d.dims(), d.layers(),
          ms(seconds[firstExit + q] + d.seconds, n)));
      Cascade c = widths[q];
      Decided both = decide(() -> cl.classify(e.rows(), e.layers(), n, width, c));
      points.add(new Point("depth+width", losses[q], depths[q].thresholds(), both.top1(truth), both.dims(),
          both.layers(), ms(seconds[firstExit + q] + both.seconds, n)));
    }
    return new Result(task, name(split), "top1", width, layers, n, pool.threads(), fixed, points);
  }

  private static Result retrieval(EmbeddingModel model, ReverseDictionary data, String task,
      ReverseDictionary.Split split, WorkerPool pool, Progress progress) {
    int layers = model.layers(), width = model.width();
    progress.phase("embedding the dev split at each of the " + layers + " layers to calibrate on");
    EarlyExit curve = Trainer.calibrateEarlyExit(model, data, ReverseDictionary.Split.DEV, pool);
    double[] losses = RECALL_LOSSES;
    List<EmbedOptions> runs = new ArrayList<>();
    runs.add(EmbedOptions.EVALUATION);
    for (int l = 1; l < layers; l++) {
      runs.add(EmbedOptions.EVALUATION.withLayer(l));
    }
    int firstExit = runs.size();
    float[] chosen = new float[losses.length];
    for (int q = 0; q < losses.length; q++) {
      EarlyExit.Point p = curve.choose(losses[q] / 100);
      chosen[q] = p == null ? Float.NaN : p.threshold();
      runs.add(EmbedOptions.EVALUATION.withExit(curve.rule(losses[q] / 100)));
    }
    progress.phase("embedding the " + name(split) + " split's queries and candidates " + runs.size()
        + (runs.size() == 1 ? " way, " : " ways, ") + (TIMING_ROUNDS + 1) + " rounds (the first a warm-up)");
    Trainer.Embedded[] out = new Trainer.Embedded[runs.size()];
    List<DoubleSupplier> bodies = new ArrayList<>();
    for (int i = 0; i < runs.size(); i++) {
      int r = i;
      bodies.add(() -> {
        long t0 = System.nanoTime();
        out[r] = Trainer.embedSplit(model, data, split, runs.get(r));
        return (System.nanoTime() - t0) / 1e9;
      });
    }
    double[] seconds = Timing.bestAlternating(TIMING_ROUNDS, bodies);
    Trainer.Embedded f = out[0];
    int nq = f.relevant().length, nd = f.docCount(), n = nq + nd;
    List<Point> fixed = new ArrayList<>(), points = new ArrayList<>();
    for (int m : Trainer.ladder(width)) {
      fixed.add(new Point("prefix", Double.NaN, null, recall(pool, f, m), m, layers, ms(seconds[0], n)));
    }
    for (int l = 1; l <= layers; l++) {
      int r = l == layers ? 0 : l;
      fixed.add(new Point("layer", Double.NaN, null, recall(pool, out[r], width), width, l, ms(seconds[r], n)));
    }
    for (int q = 0; q < losses.length; q++) {
      Trainer.Embedded e = out[firstExit + q];
      points.add(new Point("depth", losses[q], new float[] {chosen[q]}, recall(pool, e, width), width,
          e.meanLayer() > 0 ? e.meanLayer() : layers, ms(seconds[firstExit + q], n)));
    }
    return new Result(task, name(split), "recall@10", width, layers, n, pool.threads(), fixed, points);
  }

  private static double recall(WorkerPool pool, Trainer.Embedded e, int m) {
    return RetrievalMetrics.evaluate(pool, e.queries(), e.relevant().length, e.docs(), e.docCount(), e.width(), m,
        e.relevant()).get("recall@10");
  }

  /** Decisions and the seconds the heads took to make them. */
  private record Decided(Classifier.Decision[] decisions, double seconds) {
    double top1(int[] truth) {
      int hit = 0;
      for (int i = 0; i < truth.length; i++) {
        hit += decisions[i].label() == truth[i] ? 1 : 0;
      }
      return (double) hit / truth.length;
    }

    double dims() {
      double s = 0;
      for (Classifier.Decision d : decisions) {
        s += d.dims();
      }
      return s / decisions.length;
    }

    double layers() {
      double s = 0;
      for (Classifier.Decision d : decisions) {
        s += d.layer();
      }
      return s / decisions.length;
    }
  }

  private static Decided decide(java.util.function.Supplier<Classifier.Decision[]> heads) {
    long t0 = System.nanoTime();
    Classifier.Decision[] d = heads.get();
    return new Decided(d, (System.nanoTime() - t0) / 1e9);
  }

  private static double ms(double seconds, int inputs) {
    return 1000 * seconds / Math.max(1, inputs);
  }

  private static String name(ReverseDictionary.Split s) {
    return s.name().toLowerCase(java.util.Locale.ROOT);
  }
}
