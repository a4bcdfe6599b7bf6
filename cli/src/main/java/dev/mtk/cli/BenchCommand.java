package dev.mtk.cli;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.experiments.bench.BenchResult;
import dev.mtk.experiments.bench.Benchmarks;
import dev.mtk.experiments.bench.MediaThroughput;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code mtk bench …}: each subcommand measures through experiments' bench package and prints. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Measure kernels, tokenizers, the encoder, search and media on this machine: "
        + "warm-up, then timed runs; the median (and the best) reported.",
    subcommands = {BenchCommand.GemmBench.class, BenchCommand.DotBench.class,
        BenchCommand.TokenizerBench.class, BenchCommand.TrainBench.class,
        BenchCommand.EmbedBench.class, SearchBenchCommand.class, BenchCommand.MediaBench.class,
        BenchCommand.ServeBenchCommand.class})
final class BenchCommand extends Shared.Group {

  static void print(BenchResult r, Shared.Json json) {
    System.out.println(json.json ? r.json() : r.line());
  }

  @Command(name = "gemm", mixinStandardHelpOptions = true,
      description = "C = A·B for square n×n float32 matrices on the packed SIMD GEMM.")
  static final class GemmBench implements Callable<Integer> {
    @Option(names = "--n", defaultValue = "1024", description = "Matrix size (default ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--runs", defaultValue = "10", description = "Timed runs (default ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", defaultValue = "2", description = "Warm-up seconds (default ${DEFAULT-VALUE}).")
    double warmup;

    @Option(names = "--scalar", description = "Time the scalar twin instead of the SIMD kernel.")
    boolean scalar;

    @Mixin Shared.Threads threads;
    @Mixin Shared.Json json;

    @Override
    public Integer call() {
      try (WorkerPool pool = threads.pool()) {
        print(Benchmarks.gemm(n, runs, warmup, scalar, pool), json);
      }
      return 0;
    }
  }

  @Command(name = "dot", mixinStandardHelpOptions = true,
      description = "Dot products of float32 vectors held in cache, one thread (SIMD and scalar).")
  static final class DotBench implements Callable<Integer> {
    @Option(names = "--dim", defaultValue = "768", description = "Vector length (default ${DEFAULT-VALUE}).")
    int dim;

    @Option(names = "--runs", defaultValue = "10", description = "Timed runs (default ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", defaultValue = "2", description = "Warm-up seconds (default ${DEFAULT-VALUE}).")
    double warmup;

    @Mixin Shared.Json json;

    @Override
    public Integer call() {
      print(Benchmarks.dot(dim, runs, warmup), json);
      return 0;
    }
  }

  @Command(name = "tokenizer", mixinStandardHelpOptions = true,
      description = "Encoding throughput on a JSON Lines or text file held in memory "
          + "(one thread unless --threads).")
  static final class TokenizerBench implements Callable<Integer> {
    @ArgGroup(exclusive = true, multiplicity = "1")
    TokenizerCommand.Which which;

    @Option(names = "--input", required = true, description = "docs.jsonl ({\"text\": …} lines) or a text file.")
    Path input;

    @Option(names = "--runs", defaultValue = "5", description = "Timed passes (default ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", defaultValue = "3", description = "Warm-up seconds (default ${DEFAULT-VALUE}).")
    double warmup;

    @Mixin Shared.Threads threads;
    @Mixin Shared.Json json;

    @Override
    public Integer call() throws Exception {
      List<String> docs = Inputs.texts(input);
      try (WorkerPool pool = new WorkerPool(threads.threads == null ? 1 : threads.count())) {
        String name = which.encoding != null ? which.encoding : which.file.toString();
        print(Benchmarks.tokenizer(which.load(), name, docs, runs, warmup, pool), json);
      }
      return 0;
    }
  }

  @Command(name = "train", mixinStandardHelpOptions = true,
      description = "Training steps of a preset on random inputs (docs/BENCHMARKS.md): reference "
          + "(text, tokens/s) or vit-reference (28×28 images, images/s); ms/step, peak RSS.")
  static final class TrainBench implements Callable<Integer> {
    @Option(names = "--preset", defaultValue = "reference", description = "reference or "
        + "vit-reference (default ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--steps", defaultValue = "10", description = "Timed steps (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--warmup", defaultValue = "3", description = "Untimed steps first (default ${DEFAULT-VALUE}).")
    int warmupSteps;

    @Mixin Shared.Threads threads;
    @Mixin Shared.Json json;

    @Override
    public Integer call() {
      try (WorkerPool pool = threads.pool()) {
        print(Benchmarks.train(preset, steps, warmupSteps, pool), json);
      }
      return 0;
    }
  }

  @Command(name = "embed", mixinStandardHelpOptions = true,
      description = {"Inference of a preset: reference (256 sequences of 64 random tokens per "
          + "pass, tokens/s) or vit-reference (512 random 28×28 images per pass, images/s). With "
          + "--model, a model directory embedding real sentences end to end (tokenizer, batches, "
          + "pooling): sentences/s and tokens/s.",
          "",
          "  ./mtk bench embed --model models/minilm --json      (2,000 WordNet glosses, built in)",
          "  ./mtk bench embed --model models/minilm --input sentences.txt"})
  static final class EmbedBench implements Callable<Integer> {
    @Option(names = "--preset", defaultValue = "reference", description = "reference or "
        + "vit-reference (default ${DEFAULT-VALUE}); not with --model.")
    String preset;

    @Option(names = "--model", paramLabel = "DIR", description = "A text model directory (mtk "
        + "train or mtk model import wrote it) to embed --input with.")
    java.nio.file.Path model;

    @Option(names = "--input", paramLabel = "FILE", description = "Sentences, one per line (with "
        + "--model; default: 2,000 WordNet glosses, one in twenty eight glosses long).")
    java.nio.file.Path input;

    @Option(names = "--batch", defaultValue = "64", description = "Sentences per encoder pass "
        + "(with --model; default ${DEFAULT-VALUE}, as mtk embed).")
    int batch;

    @Option(names = "--call", defaultValue = "0", paramLabel = "N", description = "With --model: the sentences "
        + "given N at a time in file order, as a server's batches reach the encoder (default: all in one call, "
        + "sorted by length).")
    int call;

    @Option(names = "--runs", defaultValue = "5", description = "Timed passes (default ${DEFAULT-VALUE}).")
    int runs;

    // The JIT is still compiling the last row-wise and GEMM helpers 6-8 s into a run (both cores
    // busy leave its compiler threads little time): a shorter warm-up measured them half-compiled.
    @Option(names = "--warmup", defaultValue = "10",
        description = "Warm-up seconds, until the JIT has compiled everything (default ${DEFAULT-VALUE}).")
    double warmup;

    @Mixin Shared.Threads threads;
    @Mixin Shared.Json json;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      if (model == null && input != null) {
        throw new IllegalArgumentException("--input goes with --model DIR");
      }
      if (batch < 1) {
        throw new IllegalArgumentException("--batch must be at least 1, got " + batch);
      }
      try (WorkerPool pool = threads.pool()) {
        if (model == null) {
          print(Benchmarks.embed(preset, runs, warmup, pool), json);
          return 0;
        }
        if (spec.commandLine().getParseResult().hasMatchedOption("--preset")) {
          throw new IllegalArgumentException("--preset and --model are two different benchmarks: give one");
        }
        java.util.List<String> sentences;
        if (input == null) {
          sentences = dev.mtk.training.data.BenchmarkSentences.of(2000);
        } else {
          Inputs.mustExist(java.util.List.of(input));
          sentences = new java.util.ArrayList<>();
          for (String line : java.nio.file.Files.readAllLines(input)) {
            if (!line.isBlank()) {
              sentences.add(line);
            }
          }
        }
        print(Benchmarks.embedModel(model, sentences, batch, call, runs, warmup, pool), json);
      }
      return 0;
    }
  }

  @Command(name = "media", mixinStandardHelpOptions = true,
      description = {"Image and audio tokenizer throughput, one thread: a 224×224 image file → "
          + "ViT patches (images/s), Whisper log-mel (× real time), and 1 s audio clips → log-mel "
          + "spectrogram image → embedding by experiments/spoken-words.yaml's encoder (audio_clips_per_s).",
          "Without --image it makes its own 224×224 image of smooth noise; the audio is 60 s of "
              + "16 kHz tones and noise."})
  static final class MediaBench implements Callable<Integer> {
    @Option(names = "--image", description = "An image to tokenize (default: a generated 224×224 JPEG).")
    Path image;

    @Option(names = "--format", defaultValue = "jpg", description = "Format of the generated image: "
        + "jpg or png (default ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--seconds", defaultValue = "3", description = "Timing per measurement (default ${DEFAULT-VALUE}).")
    double seconds;

    @Mixin Shared.Json json;

    @Override
    public Integer call() throws Exception {
      if (image != null) {
        Inputs.mustExist(List.of(image));
      }
      print(MediaThroughput.measure(image, format, seconds), json);
      return 0;
    }
  }

  @Command(name = "serve", mixinStandardHelpOptions = true,
      description = {"mtk serve under load: a server in this process on a loopback port (or the one at "
          + "--url, started apart with mtk serve), C clients each sending one short text per request (WordNet "
          + "lemmas), after a warm-up round of the same; requests/s, inputs served per s, p50 and p99 latency, "
          + "errors, 429s (rejected_429), and the same texts embedded offline in one call."})
  static final class ServeBenchCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "A text model directory.")
    Path model;

    @Option(names = "--clients", defaultValue = "64", description = "Concurrent clients (default ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--requests", defaultValue = "4000", description = "Requests in the timed round (default ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--url", paramLabel = "http://HOST:PORT", description = "A server already running (mtk serve "
        + "--model DIR, the same model) to load instead of one in this process.")
    java.net.URI url;

    @Mixin Shared.Threads threads;
    @Mixin Shared.Json json;

    @Override
    public Integer call() throws Exception {
      try (var pool = threads.pool()) {
        var m = dev.mtk.models.inference.EmbeddingModel.load(model, pool);
        List<String> texts = new java.util.ArrayList<>(new java.util.LinkedHashSet<>(
            dev.mtk.training.data.WordNet.load().stream().flatMap(s -> s.lemmas().stream()).limit(20_000).toList()));
        print(dev.mtk.experiments.bench.ServeBench.measure(m, texts, clients, requests,
            dev.mtk.experiments.serve.EmbeddingServer.Settings.defaults(), url), json);
      }
      return 0;
    }
  }
}
