package dev.mtk.cli;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.experiments.bench.SearchTradeoff;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code mtk bench search}: the search trade-off, measured by experiments' SearchTradeoff. */
@Command(name = "search", mixinStandardHelpOptions = true,
    description = {"Search quality against speed and memory, per (dim, precision, funnel).",
        "Vectors come from --vectors/--queries (.npy), or from --model: a trained model embeds "
            + "every WordNet gloss (the database) and the word sets of test synsets (the queries).",
        "Writes DIR/search.md, DIR/search.json and DIR/search.svg."})
final class SearchBenchCommand implements Callable<Integer> {
  @Option(names = "--model", description = "A trained model directory (e.g. RUN/model).")
  Path model;

  @Option(names = "--vectors", description = "Database, N × d float32 .npy.")
  Path vectors;

  @Option(names = "--queries", description = "Queries, Q × d float32 .npy.")
  Path queries;

  @Option(names = "--max-queries", defaultValue = "1000", description = "Queries used at most (default ${DEFAULT-VALUE}).")
  int maxQueries;

  @Option(names = "--metric", defaultValue = "cosine", description = "ip, cosine or l2 (default ${DEFAULT-VALUE}).")
  String metric;

  @Option(names = "--k", defaultValue = "10", description = "Top k (default ${DEFAULT-VALUE}).")
  int k;

  @Option(names = "--dims", split = ",", description = "Prefixes for flat scans (default: 16, 32, … d).")
  int[] dims;

  @Option(names = "--precisions", split = ",", defaultValue = "f32,int8,binary",
      description = "Precisions (default ${DEFAULT-VALUE}).")
  List<String> precisions;

  @Option(names = "--funnels", split = ";", description = "Ladders separated by ';' (default: "
      + "16:60;16:100,64:30;16:200,64:50;32:100;16:1000,64:200, cut to d).")
  List<String> funnels;

  @Option(names = "--seconds", defaultValue = "2", description = "Timing per configuration, after "
      + "a warm-up of a quarter of it (default ${DEFAULT-VALUE}).")
  double seconds;

  @Option(names = "--output", defaultValue = "search-bench", description = "Directory for the "
      + "vectors, indexes, table and plot (default ${DEFAULT-VALUE}).")
  Path output;

  @Mixin Shared.Threads threads;
  @Mixin Shared.Json json;

  @Override
  public Integer call() throws Exception {
    var settings = new SearchTradeoff.Settings(model, vectors, queries, maxQueries, metric, k, dims,
        precisions, funnels, seconds, output);
    try (WorkerPool pool = threads.pool()) {
      var summary = SearchTradeoff.run(settings, pool);
      if (json.json) {
        System.out.println(Inputs.json().writeValueAsString(summary));
      }
    }
    return 0;
  }
}
