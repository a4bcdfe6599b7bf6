package dev.mtk.training.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mtk.core.io.AtomicFile;
import dev.mtk.core.kernel.KernelProvider;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.encoder.Encoder;
import dev.mtk.models.io.ModelDirectory;
import dev.mtk.models.nn.AdamW;
import dev.mtk.models.nn.GradientClipping;
import dev.mtk.models.nn.Optimizer;
import dev.mtk.models.nn.Sgd;
import dev.mtk.tokenizers.text.BpeTrainer;
import dev.mtk.tokenizers.text.HuggingFaceJson;
import dev.mtk.tokenizers.text.PreTokenizer;
import dev.mtk.tokenizers.text.Tokenizer;
import dev.mtk.training.eval.Embedder;
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
 * One training run, start to finish: tokenizer, encoder, the Matryoshka InfoNCE loop on the
 * reverse-dictionary pairs (definition → lemmas, in-batch negatives), then evaluation of the test
 * split at every prefix size. Writes the run directory:
 *
 * <pre>
 * config.json    the resolved configuration (every default filled in)
 * run.json       seed, versions (JDK, SIMD, threads)
 * metrics.jsonl  step, loss, learning rate, tokens/s
 * model/         config.json, model.safetensors, tokenizer.json (as mtk model init writes)
 * results.json   {"task", "dims", "methods": {"mrl": {metric: {dim: value}}}}
 * </pre>
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
    AtomicFile.write(out.resolve("run.json"), JSON.writeValueAsBytes(run));

    ReverseDictionary data = cfg.task().equals("pairs")
        ? ReverseDictionary.fromPairs(TextPairs.read(Path.of(cfg.data())))
        : ReverseDictionary.load();
    for (ReverseDictionary.Split s : ReverseDictionary.Split.values()) {
      if (data.examples(s).isEmpty()) {
        throw new IllegalArgumentException(cfg.data() + ": no pair fell into the " 
            + s.name().toLowerCase(java.util.Locale.ROOT) + " split (pairs are split 90/5/5 by "
            + "a hash of the anchor; give a few hundred at least)");
      }
    }
    Tokenizer tok = tokenizer(cfg, data, pool);
    var model = cfg.model();
    if (tok.vocabSize() > model.vocabSize()) {
      throw new IllegalArgumentException("the tokenizer has " + tok.vocabSize()
          + " tokens but the model's vocab_size is " + model.vocabSize());
    }
    int seq = model.maxSeqLen();
    List<ReverseDictionary.Example> train = data.examples(ReverseDictionary.Split.TRAIN);
    List<int[]> queries = tokenize(tok, train.stream().map(ReverseDictionary.Example::query).toList(), seq, pool);
    List<int[]> docs = tokenize(tok, data.documents(), seq, pool);

    Encoder enc = Encoder.init(model, cfg.seed());
    int b = cfg.batchPairs();
    Encoder.Pass pass = enc.build(pool, 2 * b, seq, cfg.dims(), cfg.temperature(), false, cfg.seed());
    Optimizer opt = cfg.optimizer().equals("sgd")
        ? new Sgd(enc.parameters(), cfg.momentum(), cfg.weightDecay())
        : new AdamW(enc.parameters(), 0.9f, 0.999f, 1e-8f, cfg.weightDecay());
    Batches batches = new Batches(train, cfg.seed());
    int first = 0;
    java.util.Optional<Path> checkpoint = resume ? Checkpoint.latest(out) : java.util.Optional.empty();
    if (checkpoint.isPresent()) {
      Checkpoint.State st = Checkpoint.load(checkpoint.get(), enc, opt);
      batches.restore(st.epoch(), st.position());
      first = st.step();
      keepMetricsUpTo(out.resolve("metrics.jsonl"), first);
    }
    try (OutputStream metrics = Files.newOutputStream(out.resolve("metrics.jsonl"),
        java.nio.file.StandardOpenOption.CREATE, first > 0 ? java.nio.file.StandardOpenOption.APPEND
            : java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
      long start = System.nanoTime(), tokens = 0;
      for (int step = first; step < cfg.steps(); step++) {
        // accumulation_steps micro-batches per update: gradients add up, then are averaged
        enc.parameters().zeroGrad();
        double loss = 0;
        for (int micro = 0; micro < cfg.accumulation(); micro++) {
          int[] batch = batches.next(b);
          java.util.Arrays.fill(pass.ids, 0);
          for (int i = 0; i < b; i++) {
            ReverseDictionary.Example e = train.get(batch[i]);
            tokens += place(pass, i, queries.get(batch[i]), seq) + place(pass, b + i, docs.get(e.document()), seq);
          }
          pass.graph.forward();
          pass.graph.backward(pass.loss);
          loss += pass.loss.values()[0] / cfg.accumulation();
        }
        if (cfg.accumulation() > 1) {
          enc.parameters().scaleGrad(1f / cfg.accumulation());
        }
        if (cfg.clipNorm() > 0) {
          GradientClipping.clip(enc.parameters(), cfg.clipNorm(), pool);
        }
        float lr = cfg.learningRate(step);
        opt.step(pool, lr);
        if ((step + 1) % cfg.logEvery() == 0 || step + 1 == cfg.steps()) {
          double secs = (System.nanoTime() - start) / 1e9;
          metrics.write(String.format(java.util.Locale.ROOT,
              "{\"step\": %d, \"loss\": %.6f, \"lr\": %.6g, \"tokens_per_s\": %.1f}%n",
              step + 1, loss, lr, tokens / secs).getBytes(StandardCharsets.UTF_8));
          metrics.flush();
          listener.step(step + 1, cfg.steps(), loss, tokens / secs);
        }
        if (cfg.checkpointEvery() > 0 && (step + 1) % cfg.checkpointEvery() == 0) {
          Checkpoint.save(out, enc, opt, new Checkpoint.State(step + 1, batches.epoch, batches.pos,
              opt.stepCount()));
        }
      }
    }
    Path modelDir = out.resolve("model");
    ModelDirectory.save(enc, modelDir);
    HuggingFaceJson.save(tok, modelDir.resolve(ModelDirectory.TOKENIZER));

    Map<String, Map<String, Double>> results = evaluate(enc, tok, data, ReverseDictionary.Split.TEST,
        ladder(model.embeddingSize()), pool);
    AtomicFile.write(out.resolve("results.json"), JSON.writeValueAsBytes(resultsJson(cfg.task(), results)));
    return results;
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
    List<Integer> dims = new ArrayList<>();
    for (int m = 8; m < width; m *= 2) {
      dims.add(m);
    }
    dims.add(width);
    return dims.stream().mapToInt(Integer::intValue).toArray();
  }

  /** metric → (dim → value) on a split, for one model. */
  public static Map<String, Map<String, Double>> evaluate(Encoder enc, Tokenizer tok,
      ReverseDictionary data, ReverseDictionary.Split split, int[] dims, WorkerPool pool) {
    Embedded e = embedSplit(enc, tok, data, split, pool);
    return RetrievalMetrics.byDim(pool, e.queries, e.relevant.length, e.docs, e.docCount, e.width, dims, e.relevant);
  }

  /**
   * A split's queries and its candidate answers, embedded at full width. The candidates are the
   * distinct answers of the split's own examples (a few thousand for dev or test): the task is to
   * pick the right word among the held-out words, not among all of WordNet's.
   */
  public record Embedded(float[] queries, float[] docs, int docCount, int width, int[] relevant) {}

  public static Embedded embedSplit(Encoder enc, Tokenizer tok, ReverseDictionary data,
      ReverseDictionary.Split split, WorkerPool pool) {
    int seq = enc.config().maxSeqLen(), width = enc.config().embeddingSize();
    List<ReverseDictionary.Example> ex = data.examples(split);
    Map<Integer, Integer> local = new LinkedHashMap<>();
    int[] relevant = new int[ex.size()];
    for (int i = 0; i < ex.size(); i++) {
      relevant[i] = local.computeIfAbsent(ex.get(i).document(), k -> local.size());
    }
    List<String> candidates = local.keySet().stream().map(data.documents()::get).toList();
    float[] q = Embedder.embed(enc, pool, tokenize(tok, ex.stream().map(ReverseDictionary.Example::query).toList(), seq, pool), 256);
    float[] d = Embedder.embed(enc, pool, tokenize(tok, candidates, seq, pool), 256);
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

  /** Token ids of each text (special token strings as plain text), cut to seq tokens. */
  public static List<int[]> tokenize(Tokenizer tok, List<String> texts, int seq, WorkerPool pool) {
    int[][] out = new int[texts.size()][];
    pool.forEach((texts.size() + 1023) / 1024, c -> {
      for (int i = c * 1024; i < Math.min(texts.size(), (c + 1) * 1024); i++) {
        int[] ids = tok.encodeOrdinary(texts.get(i));
        out[i] = ids.length > seq ? java.util.Arrays.copyOf(ids, seq) : ids;
      }
    });
    return java.util.Arrays.asList(out);
  }

  private static Tokenizer tokenizer(TrainConfig cfg, ReverseDictionary data, WorkerPool pool)
      throws IOException {
    if (cfg.tokenizer() != null) {
      return HuggingFaceJson.load(Path.of(cfg.tokenizer()));
    }
    List<String> corpus = new ArrayList<>();
    for (ReverseDictionary.Split s : ReverseDictionary.Split.values()) {
      data.examples(s).forEach(e -> corpus.add(e.query()));
    }
    corpus.addAll(data.documents());
    BpeTrainer.Config c = new BpeTrainer.Config(cfg.model().vocabSize(), 2, List.of(),
        PreTokenizer.named("o200k"), 0, null);
    return BpeTrainer.train(corpus.iterator(), c, pool, BpeTrainer.Progress.NONE);
  }

  /** Training examples in a seeded order, reshuffled each epoch; a batch never repeats an answer. */
  static final class Batches {
    private final List<ReverseDictionary.Example> examples;
    private final long seed;
    private int[] order;
    /** Shuffles done (the current order is shuffle number epoch − 1), and the next position. */
    int pos, epoch;

    Batches(List<ReverseDictionary.Example> examples, long seed) {
      this.examples = examples;
      this.seed = seed;
      shuffle();
    }

    private void shuffle() {
      order = new int[examples.size()];
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
      java.util.Set<Integer> answers = new java.util.HashSet<>();
      int filled = 0;
      while (filled < b) {
        if (pos == order.length) {
          shuffle();
          answers.clear();
        }
        int i = order[pos++];
        if (answers.add(examples.get(i).document())) {
          batch[filled++] = i;
        }
      }
      return batch;
    }
  }
}
