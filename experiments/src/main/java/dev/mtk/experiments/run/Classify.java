package dev.mtk.experiments.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mtk.core.io.AtomicFile;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.classify.Cascade;
import dev.mtk.models.classify.Classifier;
import dev.mtk.models.inference.EmbedOptions;
import dev.mtk.models.inference.EmbeddingModel;
import dev.mtk.models.inference.Input;
import dev.mtk.training.task.ReverseDictionary;
import dev.mtk.training.train.Trainer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code mtk classify}: a model's saved classification heads applied to a task's split or to
 * the user's inputs, at the full prefix or through the saved cascade (smallest prefix first,
 * larger ones only for inputs whose head is unsure); {@code calibrate} first fits a new cascade
 * on the task's dev split and saves it with the model.
 */
public final class Classify {

  /**
   * @param task a classification task (lexfile, labels, fashion-mnist, images) or null with
   *     {@code input}
   * @param input texts (one per line, or .jsonl with "text") or images (a folder, or a file
   *     listing paths) for an image model; null with {@code task}
   * @param calibrate refit the cascade on the task's dev split to lose at most {@code maxLoss}
   *     points of top-1, with {@code confidence}, and save it
   */
  public record Settings(Path model, String task, Path data, String split, Path input,
      boolean adaptive, boolean adaptiveDepth, boolean calibrate, double maxLoss,
      Cascade.Confidence confidence) {}

  /**
   * Per input its decision; the labels when the inputs have them (else null); the time spent
   * embedding and in the heads; the full-depth layer count; the cascade used (null: none).
   */
  public record Result(List<String> classes, Classifier.Decision[] decisions, int[] truth,
      double embedSeconds, double headSeconds, int layers, int width, Cascade cascade,
      Map<Integer, Double> fixedTop1, Cascade earlyExit, Timing depthTiming, Map<Integer, double[]> fixedParts) {

    public int inputs() {
      return decisions.length;
    }

    /** Top-1 over the labelled inputs, or NaN without labels. */
    public double top1() {
      if (truth == null || truth.length == 0) {
        return Double.NaN;
      }
      int hit = 0;
      for (int i = 0; i < truth.length; i++) {
        hit += decisions[i].label() == truth[i] ? 1 : 0;
      }
      return (double) hit / truth.length;
    }

    public double expectedDims() {
      double s = 0;
      for (Classifier.Decision d : decisions) {
        s += d.dims();
      }
      return decisions.length == 0 ? 0 : s / decisions.length;
    }

    /**
     * For labels of parts ("Trouser|left": class and direction, as moving-digits writes them),
     * the top-1 of each part alone, or null when the labels have no parts.
     */
    public double[] top1Parts() {
      return truth == null || truth.length == 0 ? null : parts(classes, truth, java.util.Arrays.stream(decisions)
          .mapToInt(Classifier.Decision::label).toArray());
    }

    /** The mean layer the inputs stopped at (every input runs all layers without early exit). */
    public double expectedLayers() {
      if (earlyExit == null) {
        return layers;
      }
      double s = 0;
      for (Classifier.Decision d : decisions) {
        s += d.layer();
      }
      return decisions.length == 0 ? 0 : s / decisions.length;
    }

    public double inputsPerSecond() {
      return decisions.length / Math.max(1e-9, embedSeconds + headSeconds);
    }

    /** The summary {@code --json} prints. */
    public ObjectNode summary() {
      ObjectNode o = new ObjectMapper().createObjectNode();
      o.put("inputs", inputs());
      if (truth != null) {
        o.put("top1", top1());
      }
      o.put("expected_dims", expectedDims());
      o.put("expected_layers", expectedLayers());
      o.put("width", width);
      o.put("inputs_per_s", inputsPerSecond());
      o.put("ms_per_input", 1000 * (embedSeconds + headSeconds) / Math.max(1, inputs()));
      o.put("head_ms_per_input", 1000 * headSeconds / Math.max(1, inputs()));
      o.put("layers", layers);
      o.put("adaptive", cascade != null);
      if (cascade != null) {
        o.set("cascade", cascade.toJson());
      }
      o.put("adaptive_depth", earlyExit != null);
      if (earlyExit != null) {
        o.set("early_exit", earlyExit.toJson("expected_layers"));
      }
      if (depthTiming != null) {
        ObjectNode t = o.putObject("depth_timing");
        t.put("inputs", depthTiming.inputs);
        t.put("full_depth_inputs_per_s", depthTiming.fullPerSecond());
        t.put("early_exit_inputs_per_s", depthTiming.exitPerSecond());
        t.put("speedup", depthTiming.exitPerSecond() / depthTiming.fullPerSecond());
        t.put("runs_each", depthTiming.runs);
      }
      if (fixedTop1 != null) {
        ObjectNode f = o.putObject("fixed_top1");
        fixedTop1.forEach((m, v) -> f.put(String.valueOf(m), v));
      }
      double[] parts = top1Parts();
      if (parts != null) {
        var a = o.putArray("top1_parts");
        for (double v : parts) {
          a.add(v);
        }
        if (fixedParts != null) {
          ObjectNode f = o.putObject("fixed_top1_parts");
          fixedParts.forEach((m, v) -> {
            var b = f.putArray(String.valueOf(m));
            for (double x : v) {
              b.add(x);
            }
          });
        }
      }
      return o;
    }

    /** One JSON line per input: its class, probability, prefix and layer (and truth if known). */
    public void writeLabels(Path file, List<String> names) throws IOException {
      ObjectMapper json = new ObjectMapper();
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < decisions.length; i++) {
        ObjectNode o = json.createObjectNode();
        if (names != null) {
          o.put("input", names.get(i));
        } else {
          o.put("index", i);
        }
        Classifier.Decision d = decisions[i];
        o.put("label", classes.get(d.label()));
        o.put("probability", d.probability());
        o.put("dims", d.dims());
        o.put("layer", earlyExit == null ? layers : d.layer());
        if (truth != null) {
          o.put("truth", classes.get(truth[i]));
        }
        b.append(json.writeValueAsString(o)).append('\n');
      }
      AtomicFile.write(file, b.toString().getBytes(StandardCharsets.UTF_8));
    }
  }

  /**
   * Embedding the same inputs at full depth and with early exit, alternately, each {@code runs}
   * times after a warm-up; the best seconds of each (the machine drifts, so one pair is not enough).
   */
  public record Timing(int inputs, int runs, double fullSeconds, double exitSeconds) {
    double fullPerSecond() {
      return inputs / fullSeconds;
    }

    double exitPerSecond() {
      return inputs / exitSeconds;
    }
  }

  private Classify() {}

  public static Result run(Settings s, WorkerPool pool, List<String> texts, List<Path> images)
      throws IOException {
    if ((s.task() == null) == (s.input() == null)) {
      throw new IllegalArgumentException("give --task (a labelled split) or --input (your texts or images), one of them");
    }
    if (s.calibrate() && s.task() == null) {
      throw new IllegalArgumentException("--calibrate fits the cascade on a task's dev split: give --task");
    }
    EmbeddingModel model = EmbeddingModel.load(s.model(), pool);
    Classifier classifier = Classifier.load(s.model());
    if (classifier == null) {
      throw new IllegalArgumentException(s.model() + " has no " + Classifier.CONFIG + ": only runs "
          + "with loss base: classification save their heads (retrain, or use mtk eval's linear probe)");
    }
    if (s.adaptiveDepth() && classifier.layers() < 2) {
      throw new IllegalArgumentException(s.model() + " has heads on its last layer only: early exit "
          + "needs a model trained with loss.adaptive_layers (2D Matryoshka), which saves every layer's heads");
    }
    if (s.calibrate()) {
      Trainer.LabelledSplit dev = Trainer.labelled(model, s.task(), str(s.data()), ReverseDictionary.Split.DEV);
      check(dev, classifier);
      Cascade c = Cascade.calibrate(classifier.table(dev.rows(), dev.labels().length, dev.width()),
          dev.labels(), s.confidence(), s.maxLoss());
      classifier = classifier.withCascade(c);
      if (classifier.layers() > 1) {
        classifier = classifier.withEarlyExit(Trainer.calibrateDepth(classifier, model, s.task(),
            str(s.data()), s.confidence(), s.maxLoss()));
      }
      classifier.save(s.model());
    }
    Cascade cascade = null;
    if (s.adaptive()) {
      cascade = classifier.cascade();
      if (cascade == null) {
        throw new IllegalArgumentException(s.model() + " has no calibrated cascade: run mtk classify "
            + "--model " + s.model() + " --task TASK --calibrate first");
      }
    }
    Cascade depth = null;
    EmbedOptions options = EmbedOptions.EVALUATION;
    if (s.adaptiveDepth()) {
      depth = classifier.earlyExit();
      if (depth == null) {
        throw new IllegalArgumentException(s.model() + " has no calibrated early exit: run mtk classify "
            + "--model " + s.model() + " --task TASK --calibrate first");
      }
      options = options.withExit(classifier.exitRule(depth));
    }
    float[] rows;
    int[] truth = null, layers;
    double embedSeconds;
    Timing timing = null;
    if (s.task() != null) {
      ReverseDictionary.Split split = Evaluation.split(s.split());
      if (depth != null) {
        timing = timeDepth(model, s, split, options);
      }
      Trainer.LabelledSplit rowsOf = Trainer.labelled(model, s.task(), str(s.data()), split, options);
      check(rowsOf, classifier);
      rows = rowsOf.rows();
      truth = rowsOf.labels();
      layers = rowsOf.layers();
      embedSeconds = timing != null ? timing.exitSeconds() : rowsOf.seconds();
    } else {
      long t0 = System.nanoTime();
      var e = images != null ? model.embedImages(images, options)
          : model.embed(texts.stream().map(Input.Text::new).toList(), options);
      embedSeconds = (System.nanoTime() - t0) / 1e9;
      rows = e.vectors();
      layers = e.layers();
    }
    int width = model.width(), n = rows.length / width;
    long t0 = System.nanoTime();
    Classifier.Decision[] d = classifier.classify(rows, layers, n, width, cascade);
    double headSeconds = (System.nanoTime() - t0) / 1e9;
    Map<Integer, Double> fixed = null;
    Map<Integer, double[]> fixedParts = null;
    if (truth != null && depth == null) {
      Classifier.Table t = classifier.table(rows, n, width);
      fixed = new LinkedHashMap<>();
      int[] dims = classifier.dims();
      for (int k = 0; k < dims.length; k++) {
        fixed.put(dims[k], t.top1(k, truth));
        double[] p = parts(classifier.classes(), truth, t.label()[k]);
        if (p != null) {
          if (fixedParts == null) {
            fixedParts = new LinkedHashMap<>();
          }
          fixedParts.put(dims[k], p);
        }
      }
    }
    return new Result(classifier.classes(), d, truth, embedSeconds, headSeconds,
        model.layers(), width, cascade, fixed, depth, timing, fixedParts);
  }

  /**
   * Top-1 of each "|"-separated part of the labels alone (null unless every class has the same
   * number of parts, more than one): "Trouser|left" is right in class when the prediction is a
   * Trouser moving anywhere.
   */
  static double[] parts(List<String> classes, int[] truth, int[] predicted) {
    int k = classes.getFirst().split("\\|", -1).length;
    if (k < 2 || classes.stream().anyMatch(c -> c.split("\\|", -1).length != k)) {
      return null;
    }
    double[] hit = new double[k];
    for (int i = 0; i < truth.length; i++) {
      String[] a = classes.get(truth[i]).split("\\|", -1), b = classes.get(predicted[i]).split("\\|", -1);
      for (int j = 0; j < k; j++) {
        hit[j] += a[j].equals(b[j]) ? 1 : 0;
      }
    }
    for (int j = 0; j < k; j++) {
      hit[j] /= truth.length;
    }
    return hit;
  }

  /** Runs each split embedding is timed, alternating full depth and early exit. */
  static final int TIMING_RUNS = 2;

  private static Timing timeDepth(EmbeddingModel model, Settings s, ReverseDictionary.Split split,
      EmbedOptions exiting) throws IOException {
    Trainer.LabelledTask task = Trainer.labelledTask(model, s.task(), str(s.data()));
    int[] inputs = new int[1];
    double[] best = dev.mtk.experiments.bench.Timing.bestAlternating(TIMING_RUNS, List.of(
        () -> task.embed(split, EmbedOptions.EVALUATION).seconds(),
        () -> {
          var e = task.embed(split, exiting);
          inputs[0] = e.labels().length;
          return e.seconds();
        }));
    return new Timing(inputs[0], TIMING_RUNS, best[0], best[1]);
  }

  private static void check(Trainer.LabelledSplit split, Classifier c) {
    if (!split.classes().equals(c.classes())) {
      throw new IllegalArgumentException("the task's classes " + abbreviate(split.classes())
          + " are not the model's " + abbreviate(c.classes()));
    }
  }

  private static String abbreviate(List<String> names) {
    return names.size() <= 6 ? names.toString()
        : new ArrayList<>(names.subList(0, 5)) + "… (" + names.size() + ")";
  }

  private static String str(Path p) {
    return p == null ? null : p.toString();
  }
}
