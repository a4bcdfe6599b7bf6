package dev.mtk.training.train;

import dev.mtk.core.matryoshka.Ladder;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mtk.core.io.AtomicFile;
import dev.mtk.core.kernel.KernelProvider;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.encoder.Encoder;
import dev.mtk.models.io.ModelDirectory;
import dev.mtk.models.nn.AdamW;
import dev.mtk.models.nn.Arena;
import dev.mtk.models.nn.Tensor;
import dev.mtk.training.loss.Loss;
import dev.mtk.training.loss.LossGraph;
import dev.mtk.models.nn.GradientClipping;
import dev.mtk.models.nn.Optimizer;
import dev.mtk.models.nn.Sgd;
import dev.mtk.tokenizers.text.BpeTrainer;
import dev.mtk.tokenizers.text.HuggingFaceJson;
import dev.mtk.tokenizers.text.PreTokenizer;
import dev.mtk.tokenizers.text.Tokenizer;
import dev.mtk.models.inference.EmbedOptions;
import dev.mtk.models.inference.EmbeddingModel;
import dev.mtk.training.eval.RetrievalMetrics;
import dev.mtk.training.data.TextPairs;
import dev.mtk.training.task.ReverseDictionary;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One training run, start to finish: the task's data (built-in WordNet tasks or the user's file),
 * the tokenizer, the encoder, the loss the config composes (docs/TRAINING.md), the loop, then
 * evaluation of the test split at every prefix size. Writes the run directory:
 *
 * <pre>
 * config.json    the resolved configuration (every default filled in)
 * run.json       seed, git commit, JDK, CPU, SIMD species, threads
 * metrics.jsonl  step, loss (and each part: per dim, per layer), learning rate, tokens/s
 * model/         config.json, model.safetensors, tokenizer.json (as mtk model init writes)
 * results.json   {"task", "dims", "methods": {"mrl": {metric: {dim: value}}}}
 * </pre>
 *
 * (mtk train also writes results.md and report.html beside them: experiments' TrainingRun.)
 *
 * Deterministic: the data order comes from the seed (a shuffled order per epoch, in-batch
 * duplicates of one answer skipped), the weights from the seed, and every op gives the same bits
 * for any number of threads — so the same config and seed give the same model.safetensors.
 */
public final class Trainer {

  /** Told after each logged step: step, total steps, loss, tokens/s. */
  @FunctionalInterface
  public interface Listener {
    void step(int step, int steps, double loss, double tokensPerSecond);
  }

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private Trainer() {}

  public static Map<String, Map<String, Double>> run(TrainConfig cfg, Path out, WorkerPool pool,
      Listener listener) throws IOException {
    return run(cfg, out, pool, listener, false);
  }

  /**
   * With {@code resume}, continues from the run directory's latest checkpoint (or starts fresh
   * when there is none); the final weights are then bit-identical to an uninterrupted run.
   */
  public static Map<String, Map<String, Double>> run(TrainConfig cfg, Path out, WorkerPool pool,
      Listener listener, boolean resume) throws IOException {
    Files.createDirectories(out);
    AtomicFile.write(out.resolve("config.json"), JSON.writeValueAsBytes(cfg.toJson()));
    ObjectNode run = JSON.createObjectNode();
    run.put("seed", cfg.seed());
    run.put("jdk", Runtime.version().toString());
    run.put("simd", KernelProvider.description());
    run.put("threads", pool.threads());
    run.put("git_commit", gitCommit());
    run.put("cpu", cpuName());
    AtomicFile.write(out.resolve("run.json"), JSON.writeValueAsBytes(run));

    Task data = Task.load(cfg);
    var model = cfg.model();
    Tokenizer tok = tokenizer(cfg, data.corpus(), pool);
    if (tok.vocabSize() > model.vocabSize()) {
      throw new IllegalArgumentException("the tokenizer has " + tok.vocabSize()
          + " tokens but the model's vocab_size is " + model.vocabSize());
    }
    int seq = model.maxSeqLen();
    Task.Prepared train = data.training();
    List<int[]> tokens = tok.encodeOrdinaryBatch(train.texts(), seq, pool);
    int k = train.rowsPerExample(), b = cfg.batchPairs(), rows = k * b;

    Encoder enc = Encoder.init(model, cfg.seed());
    Loss loss = cfg.loss().build(data.classes());
    Teacher teacher = cfg.teacher() == null ? null : Teacher.embed(Path.of(cfg.teacher()), train.texts(), pool);
    Arena heads = new Arena("loss heads");
    int[] labels = new int[b];
    LossGraph[] lossGraph = new LossGraph[1];
    Tensor[] teacherRows = new Tensor[1];
    Encoder.Pass pass = enc.build(pool, rows, seq, (g, a, embeddings, layers) -> {
      teacherRows[0] = teacher == null ? null : a.alloc("teacher", rows, teacher.width());
      lossGraph[0] = new LossGraph(g, a, heads, pool, b, k, model.embeddingSize(), labels,
          teacherRows[0], layers, cfg.seed());
      return loss.attach(lossGraph[0], embeddings);
    }, loss.needsLayers(), cfg.seed());
    heads.freeze(); // loss heads start at zero: the first steps train them before the encoder moves
    Optimizer opt = optimizer(cfg, enc.parameters());
    Optimizer headOpt = heads.size() > 0 ? optimizer(cfg, heads) : null;
    Arena[] trained = headOpt == null ? new Arena[] {enc.parameters()} : new Arena[] {enc.parameters(), heads};
    List<String> components = List.copyOf(lossGraph[0].components().keySet());

    Batches batches = new Batches(train.examples().length, train.keys(), cfg.seed());
    int first = 0;
    java.util.Optional<Path> checkpoint = resume ? Checkpoint.latest(out) : java.util.Optional.empty();
    if (checkpoint.isPresent()) {
      Checkpoint.State st = Checkpoint.load(checkpoint.get(), enc, opt, heads, headOpt);
      batches.restore(st.epoch(), st.position());
      first = st.step();
      keepMetricsUpTo(out.resolve("metrics.jsonl"), first);
    }
    try (OutputStream metrics = Files.newOutputStream(out.resolve("metrics.jsonl"),
        java.nio.file.StandardOpenOption.CREATE, first > 0 ? java.nio.file.StandardOpenOption.APPEND
            : java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
      long start = System.nanoTime(), tokenCount = 0;
      double[] parts = new double[components.size()];
      for (int step = first; step < cfg.steps(); step++) {
        // accumulation_steps micro-batches per update: gradients add up, then are averaged
        for (Arena a : trained) {
          a.zeroGrad();
        }
        double stepLoss = 0;
        java.util.Arrays.fill(parts, 0);
        lossGraph[0].beginStep(step);
        for (int micro = 0; micro < cfg.accumulation(); micro++) {
          int[] batch = batches.next(b);
          java.util.Arrays.fill(pass.ids, 0);
          for (int i = 0; i < b; i++) {
            int[] ex = train.examples()[batch[i]];
            for (int r = 0; r < k; r++) {
              tokenCount += place(pass, r * b + i, tokens.get(ex[r]), seq);
              if (teacher != null) {
                teacher.copy(ex[r], teacherRows[0], r * b + i);
              }
            }
            if (train.labels() != null) {
              labels[i] = train.labels()[batch[i]];
            }
          }
          pass.graph.forward();
          pass.graph.backward(pass.loss);
          stepLoss += pass.loss.values()[0] / cfg.accumulation();
          int c = 0;
          for (Tensor t : lossGraph[0].components().values()) {
            parts[c++] += t.data()[t.offset()] / cfg.accumulation();
          }
        }
        if (cfg.accumulation() > 1) {
          for (Arena a : trained) {
            a.scaleGrad(1f / cfg.accumulation());
          }
        }
        if (cfg.clipNorm() > 0) {
          GradientClipping.clip(cfg.clipNorm(), pool, trained);
        }
        float lr = cfg.learningRate(step);
        opt.step(pool, lr);
        if (headOpt != null) {
          headOpt.step(pool, lr);
        }
        if ((step + 1) % cfg.logEvery() == 0 || step + 1 == cfg.steps()) {
          double secs = (System.nanoTime() - start) / 1e9;
          StringBuilder line = new StringBuilder(String.format(java.util.Locale.ROOT,
              "{\"step\": %d, \"loss\": %.6f, \"lr\": %.6g, \"tokens_per_s\": %.1f",
              step + 1, stepLoss, lr, tokenCount / secs));
          if (components.size() > 1) {
            line.append(", \"losses\": {");
            for (int c = 0; c < parts.length; c++) {
              line.append(c == 0 ? "" : ", ").append('"').append(components.get(c)).append("\": ")
                  .append(String.format(java.util.Locale.ROOT, "%.6f", parts[c]));
            }
            line.append('}');
          }
          metrics.write((line + "}\n").getBytes(StandardCharsets.UTF_8));
          metrics.flush();
          listener.step(step + 1, cfg.steps(), stepLoss, tokenCount / secs);
        }
        if (cfg.evalEvery() > 0 && (step + 1) % cfg.evalEvery() == 0 && step + 1 < cfg.steps()) {
          int[] ends = {cfg.dims()[0], model.embeddingSize()};
          var dev = data.evaluate(EmbeddingModel.of(enc, tok, pool), ReverseDictionary.Split.DEV, ends, pool, cfg.seed());
          metrics.write(("{\"step\": " + (step + 1) + ", \"dev\": " + JSON.writer()
              .without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(dev) + "}\n")
              .getBytes(StandardCharsets.UTF_8));
          metrics.flush();
        }
        if (cfg.checkpointEvery() > 0 && (step + 1) % cfg.checkpointEvery() == 0) {
          Checkpoint.save(out, enc, opt, heads, headOpt, new Checkpoint.State(step + 1, batches.epoch,
              batches.pos, opt.stepCount()));
        }
      }
    }
    Path modelDir = out.resolve("model");
    ModelDirectory.save(enc, modelDir);
    HuggingFaceJson.save(tok, modelDir.resolve(ModelDirectory.TOKENIZER));

    Map<String, Map<String, Double>> results = data.evaluate(EmbeddingModel.of(enc, tok, pool), ReverseDictionary.Split.TEST,
        ladder(model.embeddingSize()), pool, cfg.seed());
    AtomicFile.write(out.resolve("results.json"), JSON.writeValueAsBytes(resultsJson(cfg.task(), results)));
    return results;
  }

  private static Optimizer optimizer(TrainConfig cfg, Arena params) {
    return cfg.optimizer().equals("sgd")
        ? new Sgd(params, cfg.momentum(), cfg.weightDecay())
        : new AdamW(params, 0.9f, 0.999f, 1e-8f, cfg.weightDecay());
  }

  /** The commit of the working directory's git checkout, or "unknown" outside one. */
  static String gitCommit() {
    try {
      Path dir = Path.of("").toAbsolutePath();
      while (dir != null && !Files.isDirectory(dir.resolve(".git"))) {
        dir = dir.getParent();
      }
      if (dir == null) {
        return "unknown";
      }
      String head = Files.readString(dir.resolve(".git/HEAD")).strip();
      if (!head.startsWith("ref: ")) {
        return head;
      }
      Path ref = dir.resolve(".git").resolve(head.substring(5));
      if (Files.exists(ref)) {
        return Files.readString(ref).strip();
      }
      Path packed = dir.resolve(".git/packed-refs");
      if (Files.exists(packed)) {
        for (String l : Files.readAllLines(packed)) {
          if (l.endsWith(" " + head.substring(5))) {
            return l.substring(0, l.indexOf(' '));
          }
        }
      }
      return "unknown";
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  /** The CPU's model name from /proc/cpuinfo (Linux), else the OS architecture. */
  static String cpuName() {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (l.startsWith("model name")) {
          return l.substring(l.indexOf(':') + 1).strip();
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: fall through
    }
    return System.getProperty("os.arch");
  }

  private static void keepMetricsUpTo(Path metrics, int step) throws IOException {
    if (!Files.exists(metrics)) {
      return;
    }
    List<String> kept = new ArrayList<>();
    for (String line : Files.readAllLines(metrics)) {
      var m = java.util.regex.Pattern.compile("\"step\": (\\d+)").matcher(line);
      if (m.find() && Integer.parseInt(m.group(1)) <= step) {
        kept.add(line);
      }
    }
    AtomicFile.write(metrics, (String.join("\n", kept) + (kept.isEmpty() ? "" : "\n")).getBytes(StandardCharsets.UTF_8));
  }

  /** 8, 16, 32 … up to the embedding size, which is always included. */
  public static int[] ladder(int width) {
    return Ladder.doubling(8, width);
  }


  /**
   * metric → (dim → value) of a model on any task's split: retrieval metrics for
   * reverse-dictionary and pairs, kNN and linear-probe accuracy for lexfile and labels.
   */
  public static Map<String, Map<String, Double>> evaluate(EmbeddingModel model, String task,
      String data, ReverseDictionary.Split split, int[] dims, WorkerPool pool, long seed)
      throws IOException {
    return Task.load(task, data).evaluate(model, split, dims, pool, seed);
  }

  /** metric → (dim → value) on a split, for one model. */
  public static Map<String, Map<String, Double>> evaluate(EmbeddingModel model,
      ReverseDictionary data, ReverseDictionary.Split split, int[] dims, WorkerPool pool) {
    Embedded e = embedSplit(model, data, split);
    return RetrievalMetrics.byDim(pool, e.queries, e.relevant.length, e.docs, e.docCount, e.width, dims, e.relevant);
  }

  /**
   * A split's queries and its candidate answers, embedded at full width. The candidates are the
   * distinct answers of the split's own examples (a few thousand for dev or test): the task is to
   * pick the right word among the held-out words, not among all of WordNet's.
   */
  public record Embedded(float[] queries, float[] docs, int docCount, int width, int[] relevant) {}

  public static Embedded embedSplit(EmbeddingModel model, ReverseDictionary data,
      ReverseDictionary.Split split) {
    int width = model.width();
    List<ReverseDictionary.Example> ex = data.examples(split);
    Map<Integer, Integer> local = new LinkedHashMap<>();
    int[] relevant = new int[ex.size()];
    for (int i = 0; i < ex.size(); i++) {
      relevant[i] = local.computeIfAbsent(ex.get(i).document(), k -> local.size());
    }
    List<String> candidates = local.keySet().stream().map(data.documents()::get).toList();
    float[] q = model.embedTexts(ex.stream().map(ReverseDictionary.Example::query).toList(),
        EmbedOptions.EVALUATION).vectors();
    float[] d = model.embedTexts(candidates, EmbedOptions.EVALUATION).vectors();
    return new Embedded(q, d, candidates.size(), width, relevant);
  }

  static ObjectNode resultsJson(String task, Map<String, Map<String, Double>> mrl) {
    ObjectNode o = JSON.createObjectNode();
    o.put("task", task);
    var dims = o.putArray("dims");
    mrl.values().iterator().next().keySet().forEach(k -> dims.add(Integer.parseInt(k)));
    ObjectNode methods = o.putObject("methods");
    methods.set("mrl", JSON.valueToTree(mrl));
    return o;
  }

  private static int place(Encoder.Pass pass, int row, int[] ids, int seq) {
    int len = Math.max(1, Math.min(seq, ids.length));
    System.arraycopy(ids, 0, pass.ids, row * seq, Math.min(seq, ids.length));
    pass.lengths[row] = len;
    return len;
  }

  private static Tokenizer tokenizer(TrainConfig cfg, List<String> corpus, WorkerPool pool)
      throws IOException {
    if (cfg.tokenizer() != null) {
      return HuggingFaceJson.load(Path.of(cfg.tokenizer()));
    }
    BpeTrainer.Config c = new BpeTrainer.Config(cfg.model().vocabSize(), 2, List.of(),
        PreTokenizer.named("o200k"), 0, null);
    return BpeTrainer.train(corpus.iterator(), c, pool, BpeTrainer.Progress.NONE);
  }

  /** Training examples in a seeded order, reshuffled each epoch; a batch never repeats a key (an answer). */
  static final class Batches {
    private final int count;
    private final int[] keys;
    private final long seed;
    private int[] order;
    /** Shuffles done (the current order is shuffle number epoch − 1), and the next position. */
    int pos, epoch;

    /** {@code keys}: examples with equal keys never share a batch (null: no such rule). */
    Batches(int count, int[] keys, long seed) {
      this.count = count;
      this.keys = keys;
      this.seed = seed;
      shuffle();
    }

    private void shuffle() {
      order = new int[count];
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
      SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch);
      for (int i = order.length - 1; i > 0; i--) {
        int j = rnd.nextInt(i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
      pos = 0;
      epoch++;
    }

    void restore(int savedEpoch, int savedPos) {
      epoch = savedEpoch - 1;
      shuffle();
      pos = savedPos;
    }

    int[] next(int b) {
      int[] batch = new int[b];
      java.util.Set<Integer> seen = new java.util.HashSet<>();
      int filled = 0;
      while (filled < b) {
        if (pos == order.length) {
          shuffle();
          seen.clear();
        }
        int i = order[pos++];
        if (keys == null || seen.add(keys[i])) {
          batch[filled++] = i;
        }
      }
      return batch;
    }
  }
}
