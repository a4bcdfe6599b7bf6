package dev.mtk.cli;

import dev.mtk.core.parallel.WorkerPool;
import picocli.CommandLine.Option;

/** Options that mean the same in every command (picocli mixins). */
final class Shared {

  private Shared() {}

  /** A command that only groups subcommands: given alone, it prints its usage. */
  abstract static class Group implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
      spec.commandLine().usage(System.out);
    }
  }

  /** The pool size for a {@code --threads} value (null: the default). */
  static int threadCount(Integer threads) {
    int n = threads == null ? WorkerPool.defaultThreads() : threads;
    if (n < 1) {
      throw new IllegalArgumentException("--threads must be at least 1, got " + n);
    }
    return n;
  }

  /** {@code --threads N}: the size of the command's worker pool. Results never depend on it. */
  static final class Threads {
    @Option(names = "--threads", paramLabel = "N",
        description = "Threads (default: all cores, or -Dmtk.threads); results do not depend on it.")
    Integer threads;

    int count() {
      return threadCount(threads);
    }

    WorkerPool pool() {
      return new WorkerPool(count());
    }
  }

  /** {@code --json}: the result as one JSON object on the last line of stdout. */
  static final class Json {
    @Option(names = "--json", description = "Print the result as one JSON object on the last line "
        + "of stdout (status lines go to stderr either way).")
    boolean json;
  }
}
