package dev.mtk.cli;

import dev.mtk.core.kernel.Gemm;
import dev.mtk.core.kernel.KernelProvider;
import dev.mtk.core.kernel.VectorKernels;
import dev.mtk.core.parallel.WorkerPool;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Quick, honest measurements: warm-up, then several timed runs; the JSON line reports the median
 * (and the best) so a noisy machine shows as a gap between the two. For peer comparisons see the
 * JMH suites in bench/ and docs/BENCHMARKS.md.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Measure kernels, tokenizers, the encoder and search on this machine.",
    subcommands = {BenchCommand.GemmBench.class, BenchCommand.DotBench.class,
        BenchCommand.TokenizerBench.class, BenchCommand.TrainBench.class,
        BenchCommand.EmbedBench.class, SearchBench.class, MediaBench.class})
final class BenchCommand implements Runnable {

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  static String json(Object... keyValues) {
    StringBuilder sb = new StringBuilder("{");
    for (int i = 0; i < keyValues.length; i += 2) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append('"').append(keyValues[i]).append("\": ");
      Object v = keyValues[i + 1];
      if (v instanceof String s) {
        sb.append('"').append(s.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
      } else if (v instanceof Double d) {
        sb.append(String.format(Locale.ROOT, "%.3f", d));
      } else {
        sb.append(v);
      }
    }
    return sb.append('}').toString();
  }

  static float[] random(int n, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (rnd.nextDouble() * 2 - 1);
    }
    return x;
  }

  @Command(name = "gemm", mixinStandardHelpOptions = true,
      description = "C = A·B for square n×n float32 matrices on the packed SIMD GEMM.")
  static final class GemmBench implements Callable<Integer> {
    @Option(names = "--n", defaultValue = "1024", description = "Matrix size (default ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--threads", description = "Threads (default: all cores).")
    Integer threads;

    @Option(names = "--runs", defaultValue = "10", description = "Timed runs (default ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", defaultValue = "2", description = "Warm-up seconds (default ${DEFAULT-VALUE}).")
    double warmup;

    @Option(names = "--scalar", description = "Time the scalar twin instead of the SIMD kernel.")
    boolean scalar;

    @Option(names = "--json", description = "Print one JSON object as the last line.")
    boolean json;

    @Override
    public Integer call() {
      if (n < 1 || runs < 1) {
        throw new IllegalArgumentException("--n and --runs must be at least 1");
      }
      int t = threads == null ? WorkerPool.defaultThreads() : threads;
      float[] a = random(n * n, 1), b = random(n * n, 2), c = new float[n * n];
      try (WorkerPool pool = new WorkerPool(t)) {
        Runnable body = scalar
            ? () -> Gemm.sgemmScalar(pool, false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n)
            : () -> Gemm.sgemm(pool, false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
        Timing timing = Timing.measure(warmup, runs, body);
        double flop = 2.0 * n * n * n;
        double median = flop / timing.median() / 1e9, best = flop / timing.best() / 1e9;
        String kernel = scalar ? "scalar" : KernelProvider.kernels().name();
        if (!json) {
          System.out.printf(Locale.ROOT, "%-12s %6s %8s %14s %12s%n", "kernel", "n", "threads",
              "GFLOPS(median)", "GFLOPS(best)");
          System.out.printf(Locale.ROOT, "%-12s %6d %8d %14.1f %12.1f%n", kernel, n, t, median, best);
        } else {
          System.out.println(json("bench", "gemm", "n", n, "threads", t, "kernel", kernel,
              "gflops", median, "gflops_best", best, "ms_median", timing.median() * 1e3,
              "runs", runs));
        }
      }
      return 0;
    }
  }

  @Command(name = "dot", mixinStandardHelpOptions = true,
      description = "Dot products of float32 vectors held in cache, one thread.")
  static final class DotBench implements Callable<Integer> {
    @Option(names = "--dim", defaultValue = "768", description = "Vector length (default ${DEFAULT-VALUE}).")
    int dim;

    @Option(names = "--runs", defaultValue = "10", description = "Timed runs (default ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", defaultValue = "2", description = "Warm-up seconds (default ${DEFAULT-VALUE}).")
    double warmup;

    @Option(names = "--json", description = "Print one JSON object as the last line.")
    boolean json;

    static volatile float sink;

    @Override
    public Integer call() {
      if (dim < 1 || runs < 1) {
        throw new IllegalArgumentException("--dim and --runs must be at least 1");
      }
      // 8 pairs of vectors: small enough to stay in L1/L2, enough that no call repeats the last.
      int pairs = 8;
      float[][] x = new float[pairs][], y = new float[pairs][];
      for (int p = 0; p < pairs; p++) {
        x[p] = random(dim, 10 + p);
        y[p] = random(dim, 100 + p);
      }
      // about 20 ms of work per timed run at ~30 GFLOPS
      int calls = Math.max(1000, (int) (3e8 / (2.0 * dim)));
      VectorKernels simd = KernelProvider.kernels(), scalar = KernelProvider.scalar();
      double[] gflops = new double[2];
      double[] best = new double[2];
      VectorKernels[] which = {simd, scalar};
      for (int w = 0; w < 2; w++) {
        VectorKernels k = which[w];
        Timing timing = Timing.measure(warmup, runs, () -> {
          float s = 0f;
          for (int i = 0; i < calls; i++) {
            int p = i & (pairs - 1);
            s += k.dot(x[p], 0, y[p], 0, dim);
          }
          sink = s;
        });
        double flop = 2.0 * dim * calls;
        gflops[w] = flop / timing.median() / 1e9;
        best[w] = flop / timing.best() / 1e9;
      }
      if (!json) {
        System.out.printf(Locale.ROOT, "%-12s %6s %14s %12s %12s%n", "kernel", "dim",
            "GFLOPS(median)", "GFLOPS(best)", "Mdots/s");
        for (int w = 0; w < 2; w++) {
          System.out.printf(Locale.ROOT, "%-12s %6d %14.1f %12.1f %12.2f%n", which[w].name(), dim,
              gflops[w], best[w], gflops[w] * 1e9 / (2.0 * dim) / 1e6);
        }
      } else {
        System.out.println(json("bench", "dot", "dim", dim, "threads", 1, "kernel", simd.name(),
            "gflops", gflops[0], "gflops_best", best[0],
            "dots_per_s", gflops[0] * 1e9 / (2.0 * dim), "scalar_gflops", gflops[1]));
      }
      return 0;
    }
  }

  @Command(name = "tokenizer", mixinStandardHelpOptions = true,
      description = "Encoding throughput on a JSON Lines or text file held in memory.")
  static final class TokenizerBench implements Callable<Integer> {
    @picocli.CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
    TokenizerCommand.Which which;

    @Option(names = "--input", required = true, description = "docs.jsonl ({\"text\": …} lines) or a text file.")
    java.nio.file.Path input;

    @Option(names = "--threads", defaultValue = "1", description = "Threads (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--runs", defaultValue = "5", description = "Timed passes (default ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", defaultValue = "3", description = "Warm-up seconds (default ${DEFAULT-VALUE}).")
    double warmup;

    @Option(names = "--json", description = "Print one JSON object as the last line.")
    boolean json;

    static volatile long sink;

    @Override
    public Integer call() {
      Inputs.mustExist(java.util.List.of(input));
      if (threads < 1 || runs < 1) {
        throw new IllegalArgumentException("--threads and --runs must be at least 1");
      }
      dev.mtk.tokenizers.text.Tokenizer t = which.load();
      java.util.List<String> docs = new java.util.ArrayList<>();
      long bytes = 0;
      try (dev.mtk.tokenizers.text.TextSources.Reader r =
          dev.mtk.tokenizers.text.TextSources.open(java.util.List.of(input))) {
        while (r.hasNext()) {
          String d = r.next();
          docs.add(d);
          bytes += d.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        }
      }
      long[] tokens = {0};
      try (WorkerPool pool = new WorkerPool(threads)) {
        Runnable pass = threads == 1
            ? () -> {
              long n = 0;
              for (String d : docs) {
                n += t.encodeOrdinary(d).length;
              }
              tokens[0] = n;
            }
            : () -> {
              int[][] out = new int[docs.size()][];
              int per = Math.max(1, docs.size() / (threads * 16));
              int tasks = (docs.size() + per - 1) / per;
              pool.forEach(tasks, k -> {
                for (int i = k * per; i < Math.min(docs.size(), (k + 1) * per); i++) {
                  out[i] = t.encodeOrdinary(docs.get(i));
                }
              });
              long n = 0;
              for (int[] a : out) {
                n += a.length;
              }
              tokens[0] = n;
            };
        Timing timing = Timing.measure(warmup, runs, pass);
        sink = tokens[0];
        double mbs = bytes / timing.median() / 1e6, tps = tokens[0] / timing.median();
        String name = which.encoding != null ? which.encoding : which.file.toString();
        if (!json) {
          System.out.printf(Locale.ROOT, "%-24s %8s %10s %12s %14s%n", "tokenizer", "threads", "MB/s",
              "MB/s(best)", "tokens/s");
          System.out.printf(Locale.ROOT, "%-24s %8d %10.1f %12.1f %14.0f%n", name, threads, mbs,
              bytes / timing.best() / 1e6, tps);
        } else {
          System.out.println(json("bench", "tokenizer", "tokenizer", name, "threads", threads,
              "mb_per_s", mbs, "mb_per_s_best", bytes / timing.best() / 1e6, "tokens_per_s", tps,
              "bytes", bytes, "tokens", tokens[0], "docs", docs.size()));
        }
      }
      return 0;
    }
  }

  /** Peak resident memory of this process (VmHWM), in MB; -1 where /proc is not there. */
  static double peakRssMb() {
    try {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      // not Linux: no number rather than a wrong one
    }
    return -1;
  }

  static dev.mtk.models.encoder.EncoderConfig preset(String name) {
    if (!name.equals("reference")) {
      throw new IllegalArgumentException("unknown preset '" + name + "': use reference");
    }
    return dev.mtk.models.encoder.EncoderConfig.reference();
  }

  @Command(name = "train", mixinStandardHelpOptions = true,
      description = "Training steps of a preset on random token ids (the reference step of "
          + "docs/BENCHMARKS.md): tokens/s, ms/step, peak RSS.")
  static final class TrainBench implements Callable<Integer> {
    @Option(names = "--preset", defaultValue = "reference", description = "Model and step (default ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--steps", defaultValue = "10", description = "Timed steps (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--warmup", defaultValue = "3", description = "Untimed steps first (default ${DEFAULT-VALUE}).")
    int warmupSteps;

    @Option(names = "--threads", description = "Threads (default: all cores).")
    Integer threads;

    @Option(names = "--json", description = "Print one JSON object as the last line.")
    boolean json;

    @Override
    public Integer call() {
      var config = preset(preset);
      int pairs = 32, seq = 64;
      int t = TokenizerCommand.threads(threads);
      var enc = dev.mtk.models.encoder.Encoder.init(config, 0);
      try (WorkerPool pool = new WorkerPool(t)) {
        var pass = enc.build(pool, 2 * pairs, seq, config.nesting(), 0.05f, false);
        var opt = new dev.mtk.models.nn.AdamW(enc.parameters(), 0.9f, 0.999f, 1e-8f, 0.01f);
        SplittableRandom rnd = new SplittableRandom(0);
        Runnable step = () -> {
          for (int i = 0; i < pass.ids.length; i++) {
            pass.ids[i] = rnd.nextInt(config.vocabSize());
          }
          pass.graph.forward();
          enc.parameters().zeroGrad();
          pass.graph.backward(pass.loss);
          opt.step(pool, 1e-3f);
        };
        for (int i = 0; i < warmupSteps; i++) {
          step.run();
        }
        long start = System.nanoTime();
        for (int i = 0; i < steps; i++) {
          step.run();
        }
        double secs = (System.nanoTime() - start) / 1e9;
        double tps = steps * 2.0 * pairs * seq / secs, ms = secs / steps * 1e3;
        if (json) {
          System.out.println(json("bench", "train", "preset", preset, "threads", t, "tokens_per_s", tps,
              "ms_per_step", ms, "peak_rss_mb", peakRssMb(), "loss", (double) pass.loss.values()[0],
              "params_m", enc.parameters().size() / 1e6));
        } else {
          System.out.printf(Locale.ROOT, "train %s, %d threads: %.0f tokens/s, %.0f ms/step, peak RSS %.0f MB, loss %.4f%n",
              preset, t, tps, ms, peakRssMb(), pass.loss.values()[0]);
        }
      }
      return 0;
    }
  }

  @Command(name = "embed", mixinStandardHelpOptions = true,
      description = "Inference of a preset: 256 sequences of 64 random tokens per pass, tokens/s.")
  static final class EmbedBench implements Callable<Integer> {
    @Option(names = "--preset", defaultValue = "reference", description = "Model (default ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--runs", defaultValue = "5", description = "Timed passes (default ${DEFAULT-VALUE}).")
    int runs;

    // The JIT is still compiling the last row-wise and GEMM helpers 6-8 s into a run (both cores
    // busy leave its compiler threads little time): a shorter warm-up measured them half-compiled.
    @Option(names = "--warmup", defaultValue = "10",
        description = "Warm-up seconds, until the JIT has compiled everything (default ${DEFAULT-VALUE}).")
    double warmup;

    @Option(names = "--threads", description = "Threads (default: all cores).")
    Integer threads;

    @Option(names = "--json", description = "Print one JSON object as the last line.")
    boolean json;

    @Override
    public Integer call() {
      var config = preset(preset);
      int batch = 256, seq = 64;
      int t = TokenizerCommand.threads(threads);
      var enc = dev.mtk.models.encoder.Encoder.init(config, 0);
      try (WorkerPool pool = new WorkerPool(t)) {
        var pass = enc.build(pool, batch, seq, null, 0f, false);
        SplittableRandom rnd = new SplittableRandom(0);
        for (int i = 0; i < pass.ids.length; i++) {
          pass.ids[i] = rnd.nextInt(config.vocabSize());
        }
        Timing timing = Timing.measure(warmup, runs, pass.graph::forward);
        double tps = batch * seq / timing.median();
        if (json) {
          System.out.println(json("bench", "embed", "preset", preset, "threads", t, "tokens_per_s", tps,
              "tokens_per_s_best", batch * seq / timing.best(), "ms_per_batch", timing.median() * 1e3,
              "peak_rss_mb", peakRssMb()));
        } else {
          System.out.printf(Locale.ROOT, "embed %s, %d threads: %.0f tokens/s (%.0f ms per 256×64 batch)%n",
              preset, t, tps, timing.median() * 1e3);
        }
      }
      return 0;
    }
  }
}
