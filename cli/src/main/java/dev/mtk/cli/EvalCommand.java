package dev.mtk.cli;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.encoder.Encoder;
import dev.mtk.models.io.ModelDirectory;
import dev.mtk.tokenizers.text.HuggingFaceJson;
import dev.mtk.training.task.ReverseDictionary;
import dev.mtk.training.train.Trainer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Retrieval quality of a model per Matryoshka prefix size. */
@Command(name = "eval", mixinStandardHelpOptions = true,
    description = "Evaluate a model on a task at several prefix sizes (exact search).")
final class EvalCommand implements Callable<Integer> {

  @Option(names = "--model", required = true, description = "Model directory.")
  Path model;

  @Option(names = "--task", defaultValue = "reverse-dictionary",
      description = "Task (default ${DEFAULT-VALUE}).")
  String task;

  @Option(names = "--split", defaultValue = "test", description = "dev or test (default ${DEFAULT-VALUE}).")
  String split;

  @Option(names = "--dims", split = ",", description = "Prefix sizes, e.g. 8,16,32 (default: 8, 16, … up to the embedding size).")
  int[] dims;

  @Option(names = "--threads", description = "Threads (default: all cores).")
  Integer threads;

  @Option(names = "--hierarchy", description = "Instead of retrieval: kNN accuracy (k = 10) of "
      + "test definitions' lexicographer file and depth-5 hypernym, per prefix size.")
  boolean hierarchy;

  @Override
  public Integer call() throws Exception {
    if (!task.equals("reverse-dictionary")) {
      throw new IllegalArgumentException("unknown task '" + task + "' (reverse-dictionary)");
    }
    ReverseDictionary.Split s = switch (split) {
      case "dev" -> ReverseDictionary.Split.DEV;
      case "test" -> ReverseDictionary.Split.TEST;
      default -> throw new IllegalArgumentException("--split must be dev or test");
    };
    Encoder enc = ModelDirectory.load(model);
    var tok = HuggingFaceJson.load(model.resolve(ModelDirectory.TOKENIZER));
    int[] d = dims == null ? Trainer.ladder(enc.config().embeddingSize()) : dims;
    for (int m : d) {
      if (m < 1 || m > enc.config().embeddingSize()) {
        throw new IllegalArgumentException("--dims must lie within 1.." + enc.config().embeddingSize());
      }
    }
    try (WorkerPool pool = new WorkerPool(TokenizerCommand.threads(threads))) {
      if (hierarchy) {
        var h = dev.mtk.training.eval.Hierarchy.knn(enc, tok, dev.mtk.training.data.WordNet.load(),
            d, 10, pool);
        System.out.println(table(model.getFileName().toString(), h));
        return 0;
      }
      var results = Trainer.evaluate(enc, tok, ReverseDictionary.load(), s, d, pool);
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
