package dev.mtk.cli;

import dev.mtk.core.console.ProgressBar;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.experiments.quickstart.Quickstart;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The main job: the whole experiment, from WordNet to a report, in minutes. */
@Command(name = "quickstart", mixinStandardHelpOptions = true,
    description = {"The whole experiment: WordNet → tokenizer → models → report.",
        "Trains a tokenizer, a Matryoshka model and its baselines on the WordNet reverse "
            + "dictionary, evaluates every method at 8 … 256 dimensions (retrieval, and kNN and "
            + "linear-probe accuracy of WordNet's levels), measures adaptive retrieval (short-prefix "
            + "shortlist, full-width rerank) with mtk's search, and writes results.json, "
            + "results.md, report.html, the model and an index of every WordNet answer for "
            + "mtk query. About 10 minutes on 2 cores."})
final class QuickstartCommand implements Callable<Integer> {

  @Option(names = "--output", defaultValue = "runs/quickstart", description = "Directory (default ${DEFAULT-VALUE}).")
  Path output;

  @Option(names = "--steps", defaultValue = "800", description = "Training steps per model (default ${DEFAULT-VALUE}).")
  int steps;

  @Option(names = "--seed", defaultValue = "1", description = "Seed (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--level-references", defaultValue = "20000", description = "Training "
      + "definitions used as kNN neighbours and linear-probe data for the WordNet-levels section "
      + "(default ${DEFAULT-VALUE}; fewer is faster).")
  int levelReferences;

  @Option(names = "--search-seconds", defaultValue = "1", description = "Timing per search "
      + "setting in the adaptive-retrieval section (default ${DEFAULT-VALUE}).")
  double searchSeconds;

  @Mixin Shared.Threads threads;

  @Override
  public Integer call() throws Exception {
    if (!(searchSeconds > 0)) {
      throw new IllegalArgumentException("--search-seconds must be above 0, got " + searchSeconds);
    }
    var settings = new Quickstart.Settings(steps, seed, levelReferences, searchSeconds);
    ProgressBar bar = new ProgressBar("steps");
    long start = System.nanoTime();
    try (WorkerPool pool = threads.pool()) {
      Quickstart.run(output, pool, settings, (phase, step, total, loss) ->
          bar.update(total > 1 ? String.format(Locale.ROOT, "%s (loss %.3f)", phase, loss) : phase, step, total));
    }
    bar.finish(String.format(Locale.ROOT, "quickstart finished in %.1f min", (System.nanoTime() - start) / 6e10));
    System.out.println(Files.readString(output.resolve("results.md")));
    System.out.println("report: " + output.resolve("report.html").toAbsolutePath());
    System.out.println("try:    ./mtk query --model " + output.resolve("model") + " --index "
        + output.resolve("index") + " --dim 16 \"a large natural stream of water\"");
    return 0;
  }
}
