package dev.mtk.cli;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.experiments.run.Classify;
import dev.mtk.models.classify.Cascade;
import dev.mtk.models.inference.EmbeddingModel;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Labels from a model's saved classification heads, at full width or through its cascade. */
@Command(name = "classify", mixinStandardHelpOptions = true,
    description = {"Classify with the heads a classification run saved (classifier.json beside the model).",
        "--adaptive classifies each input with the smallest prefix first and moves to the next "
            + "only while that head's confidence is below its threshold — the cascade calibrated "
            + "on the dev split when the model was trained (lose at most 0.2 points of top-1), or "
            + "by --calibrate. --task scores a labelled split (top-1, expected dims, inputs/s, "
            + "each prefix alone); --input labels your texts or images (--output for one JSON "
            + "line per input: label, probability, the prefix it stopped at, the layer).",
        "--adaptive-depth (models trained with loss.adaptive_layers) stops each input after the "
            + "first layer whose full-width head is confident enough, skipping the later layers "
            + "for real; with --task it also times full depth and early exit side by side "
            + "(depth_timing in --json)."})
final class ClassifyCommand implements Callable<Integer> {

  @Option(names = "--model", required = true, description = "Model directory (trained with loss base: classification).")
  Path model;

  @Option(names = "--task", description = "lexfile, labels, fashion-mnist, images, spoken-words or moving-digits: score that task's split.")
  String task;

  @Option(names = "--data", description = "The task's data, as mtk eval reads it (labels, images, the manifest.jsonl of spoken-words "
      + "or moving-digits; the IDX folder of fashion-mnist).")
  Path data;

  @Option(names = "--split", defaultValue = "test", description = "dev or test (default ${DEFAULT-VALUE}).")
  String split;

  @Option(names = "--input", description = "Instead of --task: texts (one per line, or .jsonl with \"text\"), "
      + "or for an image model a folder of images or a file listing their paths.")
  Path input;

  @Option(names = "--adaptive", description = "Through the calibrated cascade: fewer dims for the inputs that need fewer.")
  boolean adaptive;

  @Option(names = "--adaptive-depth", description = "Early exit over layers: fewer layers for the inputs that need fewer.")
  boolean adaptiveDepth;

  @Option(names = "--calibrate", description = "First refit the cascade (and the early exit, for a model with every layer's heads) on --task's dev split and save them with the model.")
  boolean calibrate;

  @Option(names = "--max-loss", defaultValue = "0.2", paramLabel = "POINTS",
      description = "With --calibrate: the top-1 points the cascade may lose on dev (default ${DEFAULT-VALUE}).")
  double maxLoss;

  @Option(names = "--confidence", defaultValue = "max_prob",
      description = "With --calibrate: max_prob (the top probability) or margin (top minus second) (default ${DEFAULT-VALUE}).")
  String confidence;

  @Option(names = "--output", paramLabel = "FILE", description = "labels.jsonl: one line per input.")
  Path output;

  @Mixin Shared.Threads threads;
  @Mixin Shared.Json json;

  @Override
  public Integer call() throws Exception {
    var settings = new Classify.Settings(model, task, data, split, input, adaptive, adaptiveDepth,
        calibrate, maxLoss, Cascade.Confidence.parse(confidence));
    Classify.Result r;
    List<String> names = null;
    try (WorkerPool pool = threads.pool()) {
      List<String> texts = null;
      List<Path> images = null;
      if (input != null) {
        if (!java.nio.file.Files.exists(input)) {
          throw new IllegalArgumentException(input + ": no such file or folder");
        }
        EmbeddingModel m = EmbeddingModel.load(model, pool);
        if (m.modality() == dev.mtk.models.inference.Input.Modality.PATCHES) {
          images = dev.mtk.tokenizers.image.ImageFiles.list(input, m.fileKind());
          names = images.stream().map(Path::toString).toList();
        } else {
          Inputs.mustExist(List.of(input));
          texts = Inputs.texts(input);
          names = texts;
        }
      }
      r = Classify.run(settings, pool, texts, images);
    }
    if (output != null) {
      r.writeLabels(output, names);
    }
    if (json.json) {
      System.out.println(Inputs.json().writeValueAsString(r.summary()));
      return 0;
    }
    if (input != null && output == null) {
      for (int i = 0; i < r.inputs(); i++) {
        var d = r.decisions()[i];
        System.out.printf(Locale.ROOT, "%s\t%.3f\t%d dims\tlayer %d\t%s%n", r.classes().get(d.label()),
            d.probability(), d.dims(), r.earlyExit() == null ? r.layers() : d.layer(), names.get(i));
      }
    }
    // the summary is the answer for a split; beside per-input lines it goes to stderr
    java.io.PrintStream out = input != null && output == null ? System.err : System.out;
    out.printf(Locale.ROOT, "%,d inputs%s: expected dims %.1f of %d, expected layers %.2f of %d, "
        + "%.0f inputs/s (heads %.3f ms/input)%n", r.inputs(),
        r.truth() == null ? "" : String.format(Locale.ROOT, ", top-1 %.4f", r.top1()),
        r.expectedDims(), r.width(), r.expectedLayers(), r.layers(), r.inputsPerSecond(),
        1000 * r.headSeconds() / Math.max(1, r.inputs()));
    if (r.depthTiming() != null) {
      var t = r.depthTiming();
      out.printf(Locale.ROOT, "embedding, best of %d alternating runs: full depth %.0f inputs/s, "
          + "early exit %.0f inputs/s (%.2f×)%n", t.runs(), t.inputs() / t.fullSeconds(),
          t.inputs() / t.exitSeconds(), t.fullSeconds() / t.exitSeconds());
    }
    if (r.fixedTop1() != null) {
      StringBuilder b = new StringBuilder("each prefix alone, top-1:");
      r.fixedTop1().forEach((m, v) -> b.append(String.format(Locale.ROOT, "  %d: %.4f", m, v)));
      out.println(b);
    }
    return 0;
  }
}
