package dev.mtk.cli;

import dev.mtk.core.console.ProgressBar;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.training.train.Quickstart;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The main job: the whole experiment, from WordNet to a report, in minutes. */
@Command(name = "quickstart", mixinStandardHelpOptions = true,
    description = {"The whole experiment: WordNet → tokenizer → models → report.",
        "Trains a tokenizer, a Matryoshka model and its baselines on the WordNet reverse "
            + "dictionary, evaluates every method at 8 … 256 dimensions, and writes "
            + "results.json, results.md, report.html and the model."})
final class QuickstartCommand implements Callable<Integer> {

  @Option(names = "--output", defaultValue = "runs/quickstart", description = "Directory (default ${DEFAULT-VALUE}).")
  Path output;

  @Option(names = "--steps", defaultValue = "800", description = "Training steps per model (default ${DEFAULT-VALUE}).")
  int steps;

  @Option(names = "--seed", defaultValue = "1", description = "Seed (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--threads", description = "Threads (default: all cores); results do not depend on it.")
  Integer threads;

  @Override
  public Integer call() throws Exception {
    if (steps < 10) {
      throw new IllegalArgumentException("--steps must be at least 10");
    }
    ProgressBar bar = new ProgressBar("steps");
    long start = System.nanoTime();
    try (WorkerPool pool = new WorkerPool(TokenizerCommand.threads(threads))) {
      Quickstart.run(output, pool, steps, seed, (phase, step, total, loss) ->
          bar.update(total > 1 ? String.format(Locale.ROOT, "%s (loss %.3f)", phase, loss) : phase, step, total));
    }
    bar.finish(String.format(Locale.ROOT, "quickstart finished in %.1f min", (System.nanoTime() - start) / 6e10));
    System.out.println(Files.readString(output.resolve("results.md")));
    System.out.println("report: " + output.resolve("report.html").toAbsolutePath());
    System.out.println("try:    ./mtk query --model " + output.resolve("model") + " --dim 16 \"a large natural stream of water\"");
    return 0;
  }
}
