package dev.mtk.cli;

import java.util.Arrays;

/**
 * Wall-clock timing for the {@code mtk bench} commands: warm up for a while (so the JIT has
 * compiled the hot paths), then time several runs and keep them all, sorted.
 */
record Timing(double[] seconds) {

  /** Runs {@code body} for at least {@code warmupSeconds}, then {@code runs} timed times. */
  static Timing measure(double warmupSeconds, int runs, Runnable body) {
    long warmEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
    do {
      body.run();
    } while (System.nanoTime() < warmEnd);
    double[] t = new double[runs];
    for (int r = 0; r < runs; r++) {
      long start = System.nanoTime();
      body.run();
      t[r] = (System.nanoTime() - start) / 1e9;
    }
    Arrays.sort(t);
    return new Timing(t);
  }

  double best() {
    return seconds[0];
  }

  double median() {
    int n = seconds.length;
    return n % 2 == 1 ? seconds[n / 2] : 0.5 * (seconds[n / 2 - 1] + seconds[n / 2]);
  }
}
