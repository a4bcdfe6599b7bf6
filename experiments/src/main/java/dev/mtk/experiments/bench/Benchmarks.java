package dev.mtk.experiments.bench;

import dev.mtk.core.kernel.Gemm;
import dev.mtk.core.kernel.KernelProvider;
import dev.mtk.core.kernel.VectorKernels;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.encoder.Encoder;
import dev.mtk.models.encoder.EncoderConfig;
import dev.mtk.models.nn.optim.AdamW;
import dev.mtk.tokenizers.text.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Quick, honest measurements for {@code mtk bench}: warm-up, then several timed runs; results
 * report the median (and the best) so a noisy machine shows as a gap between the two. For peer
 * comparisons see the JMH suites in bench/ and docs/BENCHMARKS.md.
 */
public final class Benchmarks {

  private Benchmarks() {}

  /** C = A·B for square n×n float32 matrices on the packed SIMD GEMM (or its scalar twin). */
  public static BenchResult gemm(int n, int runs, double warmup, boolean scalar, WorkerPool pool) {
    if (n < 1 || runs < 1) {
      throw new IllegalArgumentException("n and runs must be at least 1");
    }
    float[] a = random(n * n, 1), b = random(n * n, 2), c = new float[n * n];
    Runnable body = scalar
        ? () -> Gemm.sgemmScalar(pool, false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n)
        : () -> Gemm.sgemm(pool, false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
    Timing timing = Timing.measure(warmup, runs, body);
    double flop = 2.0 * n * n * n;
    return new BenchResult("gemm").put("n", n).put("threads", pool.threads())
        .put("kernel", scalar ? "scalar" : KernelProvider.kernels().name())
        .put("gflops", flop / timing.median() / 1e9).put("gflops_best", flop / timing.best() / 1e9)
        .put("ms_median", timing.median() * 1e3).put("runs", runs);
  }

  private static volatile float dotSink;
  private static volatile long tokenSink;

  /** Dot products of float32 vectors held in cache, one thread, SIMD and scalar. */
  public static BenchResult dot(int dim, int runs, double warmup) {
    if (dim < 1 || runs < 1) {
      throw new IllegalArgumentException("dim and runs must be at least 1");
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
    VectorKernels[] which = {KernelProvider.kernels(), KernelProvider.scalar()};
    double[] gflops = new double[2], best = new double[2];
    for (int w = 0; w < 2; w++) {
      VectorKernels k = which[w];
      Timing timing = Timing.measure(warmup, runs, () -> {
        float s = 0f;
        for (int i = 0; i < calls; i++) {
          int p = i & (pairs - 1);
          s += k.dot(x[p], 0, y[p], 0, dim);
        }
        dotSink = s;
      });
      double flop = 2.0 * dim * calls;
      gflops[w] = flop / timing.median() / 1e9;
      best[w] = flop / timing.best() / 1e9;
    }
    return new BenchResult("dot").put("dim", dim).put("threads", 1).put("kernel", which[0].name())
        .put("gflops", gflops[0]).put("gflops_best", best[0])
        .put("dots_per_s", gflops[0] * 1e9 / (2.0 * dim)).put("scalar_gflops", gflops[1]);
  }

  /** Encoding throughput over texts held in memory ({@code name} labels the tokenizer). */
  public static BenchResult tokenizer(Tokenizer t, String name, List<String> docs, int runs,
      double warmup, WorkerPool pool) {
    if (runs < 1) {
      throw new IllegalArgumentException("runs must be at least 1");
    }
    long bytes = 0;
    for (String d : docs) {
      bytes += d.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }
    long[] tokens = {0};
    int threads = pool.threads();
    Runnable pass = () -> {
      int[][] out = new int[docs.size()][];
      int per = Math.max(1, docs.size() / (threads * 16));
      int tasks = threads == 1 ? 1 : (docs.size() + per - 1) / per;
      int size = threads == 1 ? docs.size() : per;
      pool.forEach(tasks, k -> {
        for (int i = k * size; i < Math.min(docs.size(), (k + 1) * size); i++) {
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
    tokenSink = tokens[0];
    return new BenchResult("tokenizer").put("tokenizer", name).put("threads", threads)
        .put("mb_per_s", bytes / timing.median() / 1e6).put("mb_per_s_best", bytes / timing.best() / 1e6)
        .put("tokens_per_s", tokens[0] / timing.median()).put("bytes", bytes).put("tokens", tokens[0])
        .put("docs", docs.size());
  }

  /** A benchmark preset's model: reference (text) or vit-reference (images), docs/BENCHMARKS.md. */
  public static EncoderConfig preset(String name) {
    return switch (name) {
      case "reference" -> EncoderConfig.reference();
      case "vit-reference" -> EncoderConfig.vitReference();
      default -> throw new IllegalArgumentException("unknown preset '" + name + "': use reference or vit-reference");
    };
  }

  /**
   * Training steps of a preset on random inputs: the reference step (64 sequences of 64 random
   * token ids, Matryoshka InfoNCE) reports tokens/s; vit-reference (128 random 28×28 images,
   * Matryoshka softmax classification with a head per prefix, AdamW wd 0.05 — the step of
   * torch_vit.py) reports images/s. Both: ms/step and peak RSS.
   */
  public static BenchResult train(String preset, int steps, int warmupSteps, WorkerPool pool) {
    var config = preset(preset);
    boolean images = config.patchDim() > 0;
    int rows = images ? 128 : 64, seq = images ? config.maxSeqLen() : 64;
    var enc = Encoder.init(config, 0);
    var heads = new dev.mtk.models.nn.autograd.Arena("loss heads");
    int[] labels = new int[rows];
    Encoder.Pass pass;
    if (images) {
      var objective = new dev.mtk.training.loss.MatryoshkaLoss(
          new dev.mtk.training.loss.SoftmaxClassification(10, false), config.nesting(), null, -1);
      pass = enc.build(pool, rows, seq, (g, a, embeddings, layers) -> objective.attach(
          new dev.mtk.training.loss.LossGraph(g, a, heads, pool, rows, 1, config.embeddingSize(),
              labels, null, null, 0), embeddings), false, 0);
    } else {
      pass = enc.build(pool, rows, seq, config.nesting(), 0.05f, false);
    }
    heads.freeze();
    float decay = images ? 0.05f : 0.01f;
    var opt = new AdamW(enc.parameters(), 0.9f, 0.999f, 1e-8f, decay);
    var headOpt = heads.size() > 0 ? new AdamW(heads, 0.9f, 0.999f, 1e-8f, decay) : null;
    SplittableRandom rnd = new SplittableRandom(0);
    Runnable step = () -> {
      if (images) {
        float[] x = pass.patches.data();
        for (int i = pass.patches.offset(); i < pass.patches.offset() + pass.patches.size(); i++) {
          x[i] = (float) rnd.nextDouble();
        }
        for (int i = 0; i < rows; i++) {
          labels[i] = rnd.nextInt(10);
        }
      } else {
        for (int i = 0; i < pass.ids.length; i++) {
          pass.ids[i] = rnd.nextInt(config.vocabSize());
        }
      }
      pass.graph.forward();
      enc.parameters().zeroGrad();
      if (headOpt != null) {
        heads.zeroGrad();
      }
      pass.graph.backward(pass.loss);
      opt.step(pool, 1e-3f);
      if (headOpt != null) {
        headOpt.step(pool, 1e-3f);
      }
    };
    for (int i = 0; i < warmupSteps; i++) {
      step.run();
    }
    long start = System.nanoTime();
    for (int i = 0; i < steps; i++) {
      step.run();
    }
    double secs = (System.nanoTime() - start) / 1e9;
    BenchResult r = new BenchResult("train").put("preset", preset).put("threads", pool.threads());
    r = images ? r.put("images_per_s", steps * (double) rows / secs)
        : r.put("tokens_per_s", steps * (double) rows * seq / secs);
    return r.put("ms_per_step", secs / steps * 1e3).put("peak_rss_mb", peakRssMb())
        .put("loss", (double) pass.loss.values()[0])
        .put("params_m", (enc.parameters().size() + heads.size()) / 1e6);
  }

  /**
   * Inference of a preset: 256 sequences of 64 random tokens per pass (tokens/s), or for
   * vit-reference 512 random 28×28 images per pass (images/s, as torch_vit.py's inference line).
   */
  public static BenchResult embed(String preset, int runs, double warmup, WorkerPool pool) {
    var config = preset(preset);
    boolean images = config.patchDim() > 0;
    int batch = images ? 512 : 256, seq = images ? config.maxSeqLen() : 64;
    var enc = Encoder.init(config, 0);
    var pass = enc.build(pool, batch, seq, null, 0f, false);
    SplittableRandom rnd = new SplittableRandom(0);
    if (images) {
      float[] x = pass.patches.data();
      for (int i = pass.patches.offset(); i < pass.patches.offset() + pass.patches.size(); i++) {
        x[i] = (float) rnd.nextDouble();
      }
    } else {
      for (int i = 0; i < pass.ids.length; i++) {
        pass.ids[i] = rnd.nextInt(config.vocabSize());
      }
    }
    Timing timing = Timing.measure(warmup, runs, pass.graph::forward);
    BenchResult r = new BenchResult("embed").put("preset", preset).put("threads", pool.threads());
    r = images ? r.put("images_per_s", batch / timing.median()).put("images_per_s_best", batch / timing.best())
        : r.put("tokens_per_s", batch * seq / timing.median()).put("tokens_per_s_best", batch * seq / timing.best());
    return r.put("ms_per_batch", timing.median() * 1e3).put("peak_rss_mb", peakRssMb());
  }

  /**
   * A model directory embedding real sentences end to end, as a user's call does: tokenization,
   * the cut to max_seq_len, batches of {@code batch} in input order, pooling and normalisation;
   * sentences/s and tokens/s (word pieces after the cut, template tokens included).
   */
  public static BenchResult embedModel(Path modelDir, List<String> sentences, int batch, int runs,
      double warmup, WorkerPool pool) throws IOException {
    return embedModel(modelDir, sentences, batch, 0, runs, warmup, pool);
  }

  /**
   * As above, the sentences given to the inference API {@code call} at a time in input order (as
   * a server's batches reach it; 0: all in one call, which sorts them all by length).
   */
  public static BenchResult embedModel(Path modelDir, List<String> sentences, int batch, int call, int runs,
      double warmup, WorkerPool pool) throws IOException {
    if (sentences.isEmpty()) {
      throw new IllegalArgumentException("no sentences to embed");
    }
    var model = dev.mtk.models.inference.EmbeddingModel.load(modelDir, pool);
    if (model.tokenizer() == null) {
      throw new IllegalArgumentException(modelDir + " is an image model; bench embed --model takes text models");
    }
    var options = dev.mtk.models.inference.EmbedOptions.DEFAULT.withBatch(batch);
    long tokens = 0;
    int longest = 0;
    for (int[] ids : model.tokenizer().encodeOrdinaryBatch(sentences, model.maxTokens(), pool)) {
      tokens += ids.length;
      longest = Math.max(longest, ids.length);
    }
    Timing timing = Timing.measure(warmup, runs, () -> {
      if (call <= 0) {
        model.embedTexts(sentences, options);
      } else {
        for (int i = 0; i < sentences.size(); i += call) {
          model.embedTexts(sentences.subList(i, Math.min(sentences.size(), i + call)), options);
        }
      }
    });
    return new BenchResult("embed").put("model", modelDir.toString()).put("threads", pool.threads())
        .put("batch", batch).put("call", call).put("sentences", sentences.size())
        .put("tokens_per_sentence", (double) tokens / sentences.size()).put("longest", longest)
        .put("sentences_per_s", sentences.size() / timing.median())
        .put("sentences_per_s_best", sentences.size() / timing.best())
        .put("tokens_per_s", tokens / timing.median()).put("ms_per_pass", timing.median() * 1e3)
        .put("peak_rss_mb", peakRssMb());
  }

  /** Peak resident memory of this process (VmHWM), in MB; -1 where /proc is not there. */
  public static double peakRssMb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: no number rather than a wrong one
    }
    return -1;
  }

  static float[] random(int n, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (rnd.nextDouble() * 2 - 1);
    }
    return x;
  }
}
