package dev.mtk.cli;

import dev.mtk.core.console.ProgressBar;
import dev.mtk.core.io.Npy;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.tokenizers.FloatTokens;
import dev.mtk.tokenizers.codebook.Codebook;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** k-means codebooks: continuous tokens to ids. */
@Command(name = "codebook", mixinStandardHelpOptions = true,
    description = "Train a k-means codebook on float tokens (.npy from mtk tokenize) and turn "
        + "tokens into ids with it.",
    subcommands = {CodebookCommand.Train.class, CodebookCommand.Encode.class})
final class CodebookCommand extends Shared.Group {

  @Command(name = "train", mixinStandardHelpOptions = true,
      description = "k-means++ then Lloyd iterations; deterministic for a seed; writes the "
          + "centroids as a (k, features) float32 .npy and prints the quantisation error.")
  static final class Train implements Callable<Integer> {
    @Option(names = "--input", required = true, arity = "1..*", description = "Token .npy files.")
    List<Path> input;

    @Option(names = "--k", defaultValue = "256", description = "Codebook size (default ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--iterations", defaultValue = "20", description = "Lloyd iterations (default ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--seed", defaultValue = "0", description = "Seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Mixin Shared.Threads threads;

    @Option(names = "--output", required = true, description = "codebook.npy to write.")
    Path output;

    @Override
    public Integer call() throws Exception {
      FloatTokens x = FloatTokens.read(input);
      ProgressBar bar = new ProgressBar("iterations");
      try (WorkerPool pool = threads.pool()) {
        double[] last = {Double.NaN};
        Codebook book = Codebook.train(x, k, iterations, seed, pool, (i, n, mse) -> {
          last[0] = mse;
          bar.update(String.format(Locale.ROOT, "k-means, mse %.5g", mse), i, n);
        });
        double mse = book.assign(x, new int[x.count()], pool);
        Npy.writeFloat32(output, book.centroids(), k, x.dim());
        bar.finish(String.format(Locale.ROOT, "%d centroids of %d from %,d tokens; mean squared "
            + "error per value %.6g → %s", k, x.dim(), x.count(), mse, output));
      }
      return 0;
    }
  }

  @Command(name = "encode", mixinStandardHelpOptions = true,
      description = "Each token's nearest centroid, one id per line, in order.")
  static final class Encode implements Callable<Integer> {
    @Option(names = "--codebook", required = true, description = "codebook.npy.")
    Path codebook;

    @Option(names = "--input", required = true, description = "Token .npy.")
    Path input;

    @Mixin Shared.Threads threads;

    @Option(names = "--output", required = true, description = "ids.txt to write.")
    Path output;

    @Override
    public Integer call() throws Exception {
      FloatTokens book = FloatTokens.read(List.of(codebook));
      FloatTokens x = FloatTokens.read(List.of(input));
      Codebook cb = new Codebook(book.values(), book.count(), book.dim());
      int[] ids = new int[x.count()];
      try (WorkerPool pool = threads.pool()) {
        double mse = cb.assign(x, ids, pool);
        dev.mtk.core.io.AtomicFile.write(output, java.util.Arrays.stream(ids).mapToObj(i -> i + "\n")
            .collect(java.util.stream.Collectors.joining()).getBytes(StandardCharsets.UTF_8));
        System.err.printf(Locale.ROOT, "%,d ids → %s (mean squared error per value %.6g)%n",
            ids.length, output, mse);
      }
      return 0;
    }
  }
}
