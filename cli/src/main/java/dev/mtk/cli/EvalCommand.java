package dev.mtk.cli;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.encoder.Encoder;
import dev.mtk.models.io.ModelDirectory;
import dev.mtk.tokenizers.text.HuggingFaceJson;
import dev.mtk.training.eval.Hierarchy;
import dev.mtk.training.task.ReverseDictionary;
import dev.mtk.training.train.Trainer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Quality of a model per Matryoshka prefix size, on any task. */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = {"Evaluate a model on a task at several prefix sizes.",
        "Retrieval tasks (reverse-dictionary, example-definition, pairs) report recall@1, recall@10, MRR@10 and "
            + "nDCG@10 by exact search; classification tasks (lexfile, labels) report kNN@10 and "
            + "linear-probe accuracy. pairs and labels read --data (the same files training reads, "
            + "split the same way, so --split test is held out from training)."})
final class EvalCommand implements Callable<Integer> {

  @Option(names = "--model", required = true, description = "Model directory.")
  Path model;

  @Option(names = "--task", defaultValue = "reverse-dictionary",
      description = "reverse-dictionary, example-definition, lexfile, pairs or labels (default ${DEFAULT-VALUE}).")
  String task;

  @Option(names = "--data", description = "The data file of task pairs (.jsonl/.tsv pairs) or labels (.jsonl/.tsv text, label).")
  Path data;

  @Option(names = "--seed", defaultValue = "1", description = "Seeds the linear probe (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--split", defaultValue = "test", description = "dev or test (default ${DEFAULT-VALUE}).")
  String split;

  @Option(names = "--dims", split = ",", description = "Prefix sizes, e.g. 8,16,32 (default: 8, 16, … up to the embedding size).")
  int[] dims;

  @Option(names = "--layer", description = "Embed after this layer (1 … layers; default: the "
      + "last): the model cut early, as adaptive-layer (2D Matryoshka) training prepares for.")
  Integer layer;

  @Option(names = "--threads", description = "Threads (default: all cores).")
  Integer threads;

  @Option(names = "--hierarchy", description = "Instead: kNN accuracy (k = 10) of test "
      + "definitions' lexicographer file and depth-5 hypernym, and a linear probe of the "
      + "lexicographer file, per prefix size.")
  boolean hierarchy;

  @Override
  public Integer call() throws Exception {
    ReverseDictionary.Split s = switch (split) {
      case "dev" -> ReverseDictionary.Split.DEV;
      case "test" -> ReverseDictionary.Split.TEST;
      default -> throw new IllegalArgumentException("--split must be dev or test");
    };
    Encoder enc = ModelDirectory.load(model);
    if (layer != null) {
      enc = enc.firstLayers(layer);
    }
    var tok = HuggingFaceJson.load(model.resolve(ModelDirectory.TOKENIZER));
    int[] d = dims == null ? Trainer.ladder(enc.config().embeddingSize()) : dims;
    for (int m : d) {
      if (m < 1 || m > enc.config().embeddingSize()) {
        throw new IllegalArgumentException("--dims must lie within 1.." + enc.config().embeddingSize());
      }
    }
    try (WorkerPool pool = new WorkerPool(TokenizerCommand.threads(threads))) {
      if (hierarchy) {
        var lv = Hierarchy.levels(dev.mtk.training.data.WordNet.load());
        float[][] e = Hierarchy.embed(enc, tok, lv, pool);
        var h = Hierarchy.evaluate(pool, lv, e[0], e[1], enc.config().embeddingSize(), d, 10, true, seed);
        System.out.println(table(model.getFileName().toString(), h));
        Hierarchy.majority(lv).forEach((level, acc) -> System.out.printf(Locale.ROOT,
            "majority class, %s: %.4f%n", level, acc));
        return 0;
      }
      var results = Trainer.evaluate(enc, tok, task, data == null ? null : data.toString(), s, d, pool, seed);
      System.out.println(table(model.getFileName().toString(), results));
    }
    return 0;
  }

  /** A Markdown table: one row per dim, one column per metric. */
  static String table(String method, Map<String, Map<String, Double>> byMetric) {
    StringBuilder sb = new StringBuilder();
    sb.append("| ").append(method).append(" dim |");
    byMetric.keySet().forEach(m -> sb.append(' ').append(m).append(" |"));
    sb.append("\n|---|");
    byMetric.keySet().forEach(m -> sb.append("---|"));
    for (String dim : byMetric.values().iterator().next().keySet()) {
      sb.append("\n| ").append(dim).append(" |");
      for (Map<String, Double> v : byMetric.values()) {
        sb.append(String.format(Locale.ROOT, " %.4f |", v.get(dim)));
      }
    }
    return sb.toString();
  }
}
