package dev.mtk.cli;

import dev.mtk.core.console.ProgressBar;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.training.train.RunDirectory;
import dev.mtk.training.train.TrainConfig;
import dev.mtk.training.train.Trainer;
import dev.mtk.experiments.run.TrainingRun;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Train a Matryoshka encoder from a YAML config into a run directory, then evaluate it. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = {"Train a Matryoshka encoder from a YAML config.",
        "Tasks: reverse-dictionary and lexfile (built in, WordNet), fashion-mnist (built in once "
            + "installed: apt-get install dataset-fashion-mnist), pairs and labels (your .jsonl/.tsv), "
            + "images (your ROOT/CLASS/*.png or .jsonl), spoken-words (labelled .wav clips: mtk corpus "
            + "spoken-words, or yours), moving-digits (labelled .y4m clips: mtk corpus moving-digits), "
            + "text-speech (a text tower and an audio tower trained into one space, text_model: beside model:). Losses: InfoNCE (pairs, triplets), softmax "
            + "classification (MRL, MRL-E), supervised contrast of two views (images), MSE "
            + "distillation and similarity self-distillation (a teacher's cosine structure kept by "
            + "every prefix), each optionally under the Matryoshka loss and adaptive layers (2D). "
            + "init: DIR starts from a pretrained or earlier model (./mtk model import) with its "
            + "tokenizer. "
            + "Examples in experiments/, reference in docs/TRAINING.md.",
        "Writes a run directory: config.json, run.json, metrics.jsonl, model/, results.json, "
            + "results.md, report.html (and checkpoints/ with checkpoint_every; baselines/ with "
            + "baselines: [standard, ff, ff_narrow, pca, random_projection], each scored beside "
            + "the Matryoshka model)."})
final class TrainCommand implements Callable<Integer> {

  @Option(names = "--config", required = true, description = "The run's YAML config.")
  Path config;

  @Option(names = "--output", required = true, description = "Run directory to write.")
  Path output;

  @Mixin Shared.Threads threads;

  @Option(names = "--seed", description = "Overrides the config's seed.")
  Long seed;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Overrides a setting of the config "
      + "(repeatable): a dotted path into the YAML and a YAML value, e.g. --set steps=100 --set "
      + "loss.matryoshka.weights=[1,1,2,4,8].")
  java.util.LinkedHashMap<String, String> set = new java.util.LinkedHashMap<>();

  @Option(names = "--resume", description = "Continue from the run directory's latest checkpoint "
      + "(checkpoint_every in the config); the result is bit-identical to an uninterrupted run.")
  boolean resume;

  @Option(names = "--force", description = "Replace the run already in --output (its config, "
      + "metrics, checkpoints, model and results); without it an existing run is refused.")
  boolean force;

  @Override
  public Integer call() throws Exception {
    Inputs.mustExist(java.util.List.of(config));
    TrainConfig cfg = TrainConfig.read(config, set);
    if (seed != null) {
      cfg = cfg.withSeed(seed);
    }
    ProgressBar bar = new ProgressBar("steps");
    long start = System.nanoTime();
    Map<String, Map<String, Map<String, Double>>> results;
    try (WorkerPool pool = threads.pool()) {
      results = TrainingRun.run(cfg, output, pool, RunDirectory.Mode.of(resume, force),
          new dev.mtk.experiments.run.Comparison.Listener() {
            @Override
            public void step(String run, int step, int steps, double loss, double tps) {
              bar.update(String.format(Locale.ROOT, "training %s (loss %.3f, %.0f tokens/s)", run, loss, tps),
                  step, steps);
            }

            @Override
            public void phase(String run, String message) {
              bar.note("mtk train: " + (run.equals("mrl") ? "" : run + ": ") + message);
            }
          });
    }
    bar.finish(String.format(Locale.ROOT, "trained %d steps in %.1f s; wrote %s", cfg.optimization().steps(),
        (System.nanoTime() - start) / 1e9, output));
    System.out.println(results.size() == 1 ? dev.mtk.experiments.report.Report.byDim("mrl", results.get("mrl"))
        : dev.mtk.experiments.report.Report.markdown(results, Trainer.ladder(cfg.model().embeddingSize()),
            java.util.List.copyOf(results.get("mrl").keySet())));
    return 0;
  }
}
