package dev.mtk.experiments.bench;

import java.util.Arrays;

/**
 * Wall-clock timing for the {@code mtk bench} commands: warm up for a while (so the JIT has
 * compiled the hot paths), then time several runs and keep them all, sorted.
 */
public record Timing(double[] seconds) {

  /** Runs {@code body} for at least {@code warmupSeconds}, then {@code runs} timed times. */
  public static Timing measure(double warmupSeconds, int runs, Runnable body) {
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

  /**
   * Runs of {@code body} per second: a quarter of {@code seconds} untimed first (the JIT), then
   * as many runs as fit in {@code seconds}, at least three.
   */
  public static double rate(double seconds, Runnable body) {
    long warm = System.nanoTime() + (long) (seconds * 0.25e9);
    while (System.nanoTime() < warm) {
      body.run();
    }
    long start = System.nanoTime(), end = start + (long) (seconds * 1e9);
    int n = 0;
    long now;
    do {
      body.run();
      n++;
    } while ((now = System.nanoTime()) < end || n < 3);
    return n / ((now - start) / 1e9);
  }

  /**
   * The best seconds of each body over {@code rounds} rounds that run every body in turn, after
   * one untimed round (the JIT, pass shapes). Alternating spreads the machine's drift over all
   * of them; timed one after another, whichever ran in a slow minute would look slow. Each body
   * returns the seconds of what it counts as the work (embedding, not reading the data).
   */
  public static double[] bestAlternating(int rounds, java.util.List<java.util.function.DoubleSupplier> bodies) {
    double[] best = new double[bodies.size()];
    Arrays.fill(best, Double.MAX_VALUE);
    for (int r = 0; r <= rounds; r++) {
      for (int i = 0; i < best.length; i++) {
        double t = bodies.get(i).getAsDouble();
        if (r > 0) {
          best[i] = Math.min(best[i], t);
        }
      }
    }
    return best;
  }

  public double best() {
    return seconds[0];
  }

  public double median() {
    int n = seconds.length;
    return n % 2 == 1 ? seconds[n / 2] : 0.5 * (seconds[n / 2 - 1] + seconds[n / 2]);
  }
}
