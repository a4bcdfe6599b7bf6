package dev.mtk.cli;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.inference.EmbeddingModel;
import dev.mtk.experiments.report.AdaptiveReport;
import dev.mtk.experiments.report.Report;
import dev.mtk.experiments.run.AdaptiveEvaluation;
import dev.mtk.experiments.run.Evaluation;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Scores of a model directory on a task, per prefix size. */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = {"Evaluate a model on a task at several prefix sizes.",
        "Retrieval tasks (reverse-dictionary, example-definition, pairs) report recall@1, recall@10, MRR@10 and "
            + "nDCG@10 by exact search; classification tasks (lexfile, labels) report kNN@10 and "
            + "linear-probe accuracy. pairs and labels read --data (the same files training reads, "
            + "split the same way, so --split test is held out from training). fashion-mnist "
            + "and images (an image model) report kNN, linear probe and mAP@10; --data is the IDX "
            + "folder (default /usr/share/datasets/fashion-mnist), or your ROOT/CLASS/*.png "
            + "folder or images.jsonl, split as training splits it; spoken-words and moving-digits "
            + "(audio and video models) the same, --data their manifest.jsonl; text-speech (a dual "
            + "encoder) reports text → speech recall@1 and mAP (each word of the split against its clips) "
            + "and speech → text top-1 (each clip against every word).",
        "--adaptive: operating points of dynamic adjustment (cascade over prefixes, early exit over "
            + "layers) calibrated on dev to several allowed losses, measured on the split, beside the "
            + "fixed sizes; written as the adaptive section of OUTPUT/results.json and plotted in "
            + "OUTPUT/report.html."})
final class EvalCommand implements Callable<Integer> {

  @Option(names = "--model", required = true, description = "Model directory.")
  Path model;

  @Option(names = "--task", defaultValue = "reverse-dictionary",
      description = "reverse-dictionary, example-definition, lexfile, pairs, labels, "
          + "fashion-mnist, images, spoken-words, moving-digits, text-speech or sts (default ${DEFAULT-VALUE}). sts: Spearman correlation "
          + "of cosine similarity with --data's scores at each prefix, on every row of the file.")
  String task;

  @Option(names = "--data", description = "The data of task pairs (.jsonl/.tsv pairs), labels "
      + "(.jsonl/.tsv text, label), images (ROOT/CLASS/*.png or .jsonl image, label), fashion-mnist (IDX folder), "
      + "spoken-words, moving-digits and text-speech (their manifest.jsonl) or sts (.jsonl sentence1, sentence2, score; .tsv/.csv with those columns).")
  Path data;

  @Option(names = "--baseline", paramLabel = "DIR", description = "With --task sts: a second "
      + "model (the original, say) scored the same way, as spearman_baseline.")
  Path baseline;

  @Option(names = "--seed", defaultValue = "1", description = "Seeds the linear probe (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--split", defaultValue = "test", description = "dev or test (default ${DEFAULT-VALUE}).")
  String split;

  @Option(names = "--dims", split = ",", description = "Prefix sizes, e.g. 8,16,32 (default: 8, 16, … up to the embedding size).")
  int[] dims;

  @Option(names = "--layer", description = "The model cut after its first l layers, 1..L "
      + "(default: L): what adaptive-layer (2D Matryoshka) training prepares for.")
  Integer layer;

  @Option(names = "--hierarchy", description = "Instead: kNN accuracy (k = 10) of test "
      + "definitions' lexicographer file and depth-5 hypernym, and a linear probe of the "
      + "lexicographer file, per prefix size.")
  boolean hierarchy;

  @Option(names = "--adaptive", description = "Instead: dynamic adjustment's trade-off. With a "
      + "classification task and a model with saved heads: cascades over prefixes and early exit over "
      + "layers (2D models), calibrated on dev to lose at most 0, 0.1, 0.2, 0.5, 1, 2, 5 points of "
      + "top-1; with a retrieval task and a model of 2+ layers: early exit of embeddings that stopped "
      + "moving, at 0, 0.5, 1, 2, 5, 10% of recall@10. Each point's time is measured (best of 2 "
      + "alternating rounds).")
  boolean adaptive;

  @Option(names = "--output", paramLabel = "DIR", description = "With --adaptive: where results.json "
      + "and report.html get their adaptive section (default: the run directory holding --model, "
      + "when --model is RUN/model).")
  Path output;

  @Mixin Shared.Threads threads;
  @Mixin Shared.Json json;

  @Override
  public Integer call() throws Exception {
    if (baseline != null && !task.equals("sts")) {
      throw new IllegalArgumentException("--baseline goes with --task sts");
    }
    if (adaptive) {
      return adaptive();
    }
    if (output != null) {
      throw new IllegalArgumentException("--output goes with --adaptive (eval alone prints its table)");
    }
    var settings = new Evaluation.Settings(model, task, data, split, dims,
        Inputs.positive(layer, "--layer"), hierarchy, seed, baseline);
    Map<String, Map<String, Double>> results;
    try (WorkerPool pool = threads.pool()) {
      results = Evaluation.run(settings, pool);
    }
    if (json.json) {
      System.out.println(Inputs.json().writeValueAsString(results));
      return 0;
    }
    System.out.println(Report.evaluation(model.getFileName().toString(), results));
    return 0;
  }

  private Integer adaptive() throws Exception {
    if (hierarchy || layer != null || dims != null || baseline != null) {
      throw new IllegalArgumentException("--adaptive chooses dims and layers itself: it takes no "
          + "--hierarchy, --layer, --dims or --baseline");
    }
    Path dir = output;
    if (dir == null) {
      Path run = model.toAbsolutePath().normalize().getParent();
      if (run == null || !java.nio.file.Files.isRegularFile(run.resolve("results.json"))) {
        throw new IllegalArgumentException(model + " is not the model/ of a run directory (no results.json "
            + "beside it): give --output DIR for the adaptive results");
      }
      dir = run;
    }
    AdaptiveEvaluation.Result r;
    try (WorkerPool pool = threads.pool()) {
      EmbeddingModel m = EmbeddingModel.load(model, pool);
      r = AdaptiveEvaluation.run(m, model, task, data == null ? null : data.toString(),
          Evaluation.split(split), pool, what -> System.err.println(what));
    }
    AdaptiveEvaluation.save(r, dir);
    if (json.json) {
      System.out.println(Inputs.json().writeValueAsString(r.toJson()));
    } else {
      System.out.print(AdaptiveReport.table(r.toJson()));
      System.out.println("written: " + dir.resolve("results.json") + " (adaptive), " + dir.resolve("report.html"));
    }
    return 0;
  }
}
