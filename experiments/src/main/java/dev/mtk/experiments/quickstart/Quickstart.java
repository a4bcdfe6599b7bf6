package dev.mtk.experiments.quickstart;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mtk.core.io.AtomicFile;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.encoder.Encoder;
import dev.mtk.models.encoder.EncoderConfig;
import dev.mtk.models.io.ModelDirectory;
import dev.mtk.tokenizers.text.bpe.BpeTrainer;
import dev.mtk.tokenizers.text.formats.HuggingFaceJson;
import dev.mtk.tokenizers.text.pretokenize.PreTokenizer;
import dev.mtk.tokenizers.text.Tokenizer;
import dev.mtk.training.eval.Baselines;
import dev.mtk.training.eval.Classification;
import dev.mtk.training.data.WordNet;
import dev.mtk.experiments.report.Report;
import dev.mtk.experiments.run.TrainingRun;
import dev.mtk.experiments.search.TextIndex;
import dev.mtk.search.index.IndexFile;
import dev.mtk.models.inference.EmbedOptions;
import dev.mtk.models.inference.EmbeddingModel;
import dev.mtk.training.eval.Hierarchy;
import dev.mtk.training.eval.RetrievalMetrics;
import dev.mtk.training.loss.LossConfig;
import dev.mtk.training.task.ReverseDictionary;
import dev.mtk.training.train.RunDirectory;
import dev.mtk.training.train.TrainConfig;
import dev.mtk.training.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The quickstart experiment: the trade-off mtk exists for, on a CPU in minutes. On the WordNet
 * reverse dictionary it trains one BPE tokenizer, then with the same budget: a Matryoshka model
 * (loss over 8 … 256 dimensions), a standard model (loss at 256 only), and a fixed-feature model
 * for each smaller size (the same backbone plus a linear projection to m, trained at m). The
 * backbone is one pre-LN layer of width 256 (4 heads, FFN 512): measured, it beats two layers of
 * width 128 at the same time budget (recall@10 at full width 0.19 against 0.085), and two layers
 * of 128 with a projection to 256 were worse still (0.062). It evaluates
 * every method at every size on the test split: MRL's prefixes, the standard model truncated, PCA
 * and a random projection of the standard model's embeddings, and each FF model at its own size.
 * Then, for every method, kNN and linear-probe accuracy of WordNet levels per size, and adaptive
 * retrieval with the Matryoshka model through mtk's search ({@link AdaptiveRetrieval}). Writes DIR/results.json,
 * DIR/results.md, DIR/report.html, the Matryoshka model in DIR/model and an index of every
 * WordNet answer embedded with it in DIR/index (for mtk query).
 */
public final class Quickstart {

  public static final int[] DIMS = {8, 16, 32, 64, 128, 256};
  /** Neighbours in the hierarchy's kNN vote. */
  static final int K = 10;
  static final int FULL = 256;
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Told what runs now: a phase, and the step within it. */
  @FunctionalInterface
  public interface Listener {
    void update(String phase, int step, int steps, double loss);
  }

  private Quickstart() {}

  static EncoderConfig model(int projection, int[] nesting) {
    return new EncoderConfig(4096, FULL, 4, 512, 1, 24, 1e-5f, nesting, EncoderConfig.Pooling.MEAN,
        0f, projection, 0);
  }

  /**
   * The Matryoshka loss's weights for 8 … 256. Uniform weights left the full size 23% below the
   * standard model (recall@10 0.146 against 0.190 at τ = 0.1): the five smaller sizes outvote it.
   * Measured with the quickstart's settings, one run each, recall@10 at 256 on test / dev against
   * the standard model's 0.223 / 0.213 (τ = 0.05): 8 on 256 → 0.206 / —; 16 → 0.212 / 0.202;
   * 2 on 128 and 32 on 256 → 0.215 / 0.202; 2 and 64 → 0.217 / 0.207, within 5% on both splits
   * and every metric, at 8 dimensions still 1.6–1.8× the standard model's prefix. docs/RESULTS.md.
   */
  static final float[] MRL_WEIGHTS = {1, 1, 1, 1, 2, 64};
  /** InfoNCE temperature of every model: 0.05 beat 0.1 for both the standard and the MRL model. */
  static final float TEMPERATURE = 0.05f;

  static TrainConfig config(EncoderConfig model, int[] dims, String tokenizer, int steps, long seed) {
    float[] weights = dims.length == DIMS.length ? MRL_WEIGHTS : null;
    return new TrainConfig(
        new TrainConfig.Data(TrainConfig.TaskName.REVERSE_DICTIONARY, null, tokenizer, null),
        seed, model,
        new LossConfig("infonce", TEMPERATURE, false, "separate", dims, weights, -1, null),
        new TrainConfig.Optimization(steps, 64, TrainConfig.Optimizer.ADAMW, 1e-3f, 0.01f, 0.9f,
            steps / 10, TrainConfig.Schedule.COSINE, 0f, 1),
        new TrainConfig.Logging(20, 0, 0));
  }


  /**
   * The settings of a quickstart run: steps per model, the seed, how many training definitions
   * serve as the WordNet-levels references (the kNN neighbours and the probe's training set),
   * and the timing per adaptive-retrieval row (0: that section left out).
   */
  public record Settings(int steps, long seed, int levelReferences, double searchSeconds) {
    public Settings {
      if (steps < 10) {
        throw new IllegalArgumentException("steps must be at least 10, got " + steps);
      }
      if (levelReferences < 100) {
        throw new IllegalArgumentException("level references must be at least 100, got " + levelReferences);
      }
      if (!(searchSeconds >= 0)) {
        throw new IllegalArgumentException("search seconds must be 0 or more, got " + searchSeconds);
      }
    }
  }

  /** method → metric → dim → value; writes everything the class comment lists into {@code out}. */
  public static Map<String, Map<String, Map<String, Double>>> run(Path out, WorkerPool pool,
      Settings settings, Listener listener) throws IOException {
    int steps = settings.steps(), levelReferences = settings.levelReferences();
    long seed = settings.seed();
    Files.createDirectories(out);
    ReverseDictionary data = ReverseDictionary.load();
    listener.update("tokenizer", 0, 1, 0);
    Tokenizer tok = BpeTrainer.train(data.allTexts().iterator(), new BpeTrainer.Config(4096, 2, List.of(),
        PreTokenizer.named("o200k"), 0, null), pool, BpeTrainer.Progress.NONE);
    Path tokFile = out.resolve("tokenizer.json");
    HuggingFaceJson.save(tok, tokFile);

    Map<String, Map<String, Map<String, Double>>> methods = new LinkedHashMap<>();
    Path runs = out.resolve("runs");
    methods.put("mrl", train("mrl", config(model(0, DIMS), DIMS, tokFile.toString(), steps, seed),
        runs, pool, listener));
    Map<String, Map<String, Double>> standard = train("standard",
        config(model(0, new int[] {FULL}), new int[] {FULL}, tokFile.toString(), steps, seed), runs, pool, listener);
    methods.put("standard_truncated", standard);
    Map<String, Map<String, Double>> ff = new LinkedHashMap<>();
    for (int m : DIMS) {
      Map<String, Map<String, Double>> r = m == FULL ? standard
          : train("ff-" + m, config(model(m, new int[] {m}), new int[] {m}, tokFile.toString(), steps, seed),
              runs, pool, listener);
      r.forEach((metric, byDim) -> ff.computeIfAbsent(metric, k -> new LinkedHashMap<>())
          .put(String.valueOf(m), byDim.get(String.valueOf(m))));
    }
    methods.put("ff", ff);

    listener.update("baselines", 0, 1, 0);
    EmbeddingModel std = EmbeddingModel.of(ModelDirectory.load(runs.resolve("standard/model")), tok, pool);
    Trainer.Embedded test = Trainer.embedSplit(std, data, ReverseDictionary.Split.TEST);
    // PCA is fitted on training embeddings (queries and answers), never on the test split
    // (10,000 examples spread over the split: its first ones are WordNet's first nouns)
    List<String> fitTexts = new ArrayList<>();
    for (ReverseDictionary.Example e : Classification.spread(data.examples(ReverseDictionary.Split.TRAIN), 10_000)) {
      fitTexts.add(e.query());
      fitTexts.add(data.documents().get(e.document()));
    }
    float[] fit = std.embedTexts(fitTexts, EmbedOptions.EVALUATION).vectors();
    Baselines.Projection pca = Baselines.pca(fit, fitTexts.size(), FULL);
    Baselines.Projection rp = Baselines.randomProjection(FULL, seed);
    int q = test.relevant().length, n = test.docCount();
    methods.put("pca", RetrievalMetrics.byDim(pool, pca.apply(test.queries(), q), q,
        pca.apply(test.docs(), n), n, FULL, DIMS, test.relevant()));
    methods.put("random_projection", RetrievalMetrics.byDim(pool, rp.apply(test.queries(), q), q,
        rp.apply(test.docs(), n), n, FULL, DIMS, test.relevant()));

    // coarse and mid-level labels of WordNet's hierarchy: do short prefixes keep them?
    listener.update("hierarchy", 0, 1, 0);
    Hierarchy.Levels levels = Hierarchy.levels(WordNet.load(), levelReferences);
    int nRef = levels.referenceTexts().size(), nTest = levels.testTexts().size();
    Map<String, Map<String, Map<String, Double>>> hierarchy = new LinkedHashMap<>();
    EmbeddingModel mrl = EmbeddingModel.of(ModelDirectory.load(runs.resolve("mrl/model")), tok, pool);
    float[][] me = Hierarchy.embed(mrl, levels);
    hierarchy.put("mrl", Hierarchy.evaluate(pool, levels, me[0], me[1], FULL, DIMS, K, true, seed));
    float[][] se = Hierarchy.embed(std, levels);
    hierarchy.put("standard_truncated", Hierarchy.evaluate(pool, levels, se[0], se[1], FULL, DIMS, K, true, seed));
    Map<String, Map<String, Double>> ffLevels = new LinkedHashMap<>();
    for (int m : DIMS) {
      Map<String, Map<String, Double>> r = m == FULL ? hierarchy.get("standard_truncated")
          : evaluateAt(EmbeddingModel.of(ModelDirectory.load(runs.resolve("ff-" + m + "/model")), tok, pool),
              levels, m, pool, seed);
      r.forEach((metric, byDim) -> ffLevels.computeIfAbsent(metric, k -> new LinkedHashMap<>())
          .put(String.valueOf(m), byDim.get(String.valueOf(m))));
    }
    hierarchy.put("ff", ffLevels);
    hierarchy.put("pca", Hierarchy.evaluate(pool, levels, pca.apply(se[0], nRef), pca.apply(se[1], nTest),
        FULL, DIMS, K, true, seed));
    hierarchy.put("random_projection", Hierarchy.evaluate(pool, levels, rp.apply(se[0], nRef),
        rp.apply(se[1], nTest), FULL, DIMS, K, true, seed));

    List<Map<String, Object>> funnels = List.of();
    if (settings.searchSeconds() > 0) {
      listener.update("adaptive retrieval", 0, 1, 0);
      Trainer.Embedded mt = Trainer.embedSplit(mrl, data, ReverseDictionary.Split.TEST);
      funnels = new AdaptiveRetrieval(pool, settings.searchSeconds()).measure(mt.queries(), q,
          mt.docs(), mt.docCount(), FULL, mt.relevant(), out.resolve("search"));
    }

    // the Matryoshka model is the experiment's model
    copyTree(runs.resolve("mrl/model"), out.resolve("model"));
    // and every WordNet answer indexed with it, so that mtk query answers at once
    listener.update("indexing WordNet", 0, 1, 0);
    TextIndex.buildWordNet(mrl, out.resolve("index"), IndexFile.Progress.NONE);
    ObjectNode results = JSON.createObjectNode();
    results.put("task", "reverse-dictionary");
    var d = results.putArray("dims");
    for (int m : DIMS) {
      d.add(m);
    }
    results.put("split", "test");
    results.put("queries", q);
    results.put("candidates", n);
    results.put("steps_per_model", steps);
    results.put("seed", seed);
    results.set("methods", JSON.valueToTree(methods));
    ObjectNode h = results.putObject("hierarchy");
    h.put("reference_definitions", nRef);
    h.put("test_definitions", nTest);
    h.put("k", K);
    h.set("majority_class", JSON.valueToTree(Hierarchy.majority(levels)));
    h.set("methods", JSON.valueToTree(hierarchy));
    if (!funnels.isEmpty()) {
      results.set("adaptive_retrieval", JSON.valueToTree(funnels));
    }
    AtomicFile.write(out.resolve("results.json"), JSON.writeValueAsBytes(results));
    String md = Report.markdown(methods, DIMS, Report.METRICS) + "\n### WordNet levels (kNN@" + K
        + " and linear probe accuracy)\n" + Report.markdown(hierarchy, DIMS, Report.LEVEL_METRICS)
        + (funnels.isEmpty() ? "" : "\n### Adaptive retrieval (mrl, test split)\n\n" + Report.funnelTable(funnels));
    AtomicFile.write(out.resolve("results.md"), md.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    AtomicFile.write(out.resolve("report.html"), Report.html(methods, hierarchy, Hierarchy.majority(levels),
        funnels, DIMS, q, n, steps).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return methods;
  }

  /** kNN, probe: a fixed-feature model at its own size m. */
  private static Map<String, Map<String, Double>> evaluateAt(EmbeddingModel model,
      Hierarchy.Levels levels, int m, WorkerPool pool, long seed) {
    float[][] e = Hierarchy.embed(model, levels);
    return Hierarchy.evaluate(pool, levels, e[0], e[1], m, new int[] {m}, K, true, seed);
  }

  private static Map<String, Map<String, Double>> train(String name, TrainConfig cfg, Path runs,
      WorkerPool pool, Listener listener) throws IOException {
    // the quickstart owns its output directory: a second quickstart replaces its runs
    return TrainingRun.run(cfg, runs.resolve(name), pool, RunDirectory.Mode.REPLACE,
        (run, step, steps, loss, tps) -> listener.update("training " + name, step, steps, loss)).get("mrl");
  }

  private static void copyTree(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    try (var files = Files.list(from)) {
      for (Path f : files.toList()) {
        Files.copy(f, to.resolve(f.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }
}
