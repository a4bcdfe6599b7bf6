package dev.mtk.training.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.encoder.Encoder;
import dev.mtk.models.encoder.EncoderConfig;
import dev.mtk.models.nn.optim.AdamW;
import dev.mtk.tokenizers.text.bpe.BpeTrainer;
import dev.mtk.tokenizers.text.pretokenize.PreTokenizer;
import dev.mtk.tokenizers.text.Tokenizer;
import dev.mtk.models.inference.EmbedOptions;
import dev.mtk.models.inference.EmbeddingModel;
import dev.mtk.training.eval.RetrievalMetrics;
import dev.mtk.training.task.ReverseDictionary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {

  @Test
  void theLoopLearnsToRetrieveWhatItWasTrainedOn() {
    // 96 definition → lemma pairs, trained on repeatedly: retrieval among their 96 answers must go
    // from chance (recall@1 ≈ 1%) to most of them, at the full width and at a short prefix.
    ReverseDictionary data = ReverseDictionary.load();
    List<ReverseDictionary.Example> ex = new ArrayList<>();
    java.util.Set<Integer> seen = new java.util.HashSet<>();
    for (ReverseDictionary.Example e : data.examples(ReverseDictionary.Split.TRAIN)) {
      if (seen.add(e.document()) && ex.size() < 96) {
        ex.add(e);
      }
    }
    List<String> corpus = new ArrayList<>();
    ex.forEach(e -> corpus.add(e.query()));
    ex.forEach(e -> corpus.add(data.documents().get(e.document())));
    try (WorkerPool pool = new WorkerPool(2)) {
      Tokenizer tok = BpeTrainer.train(corpus.iterator(), new BpeTrainer.Config(600, 1, List.of(),
          PreTokenizer.named("o200k"), 0, null), pool, BpeTrainer.Progress.NONE);
      EncoderConfig c = new EncoderConfig(600, 32, 2, 64, 1, 16, 1e-5f, new int[] {8, 32});
      Encoder enc = Encoder.init(c, 1);
      List<int[]> q = tok.encodeOrdinaryBatch(ex.stream().map(ReverseDictionary.Example::query).toList(), 16, pool);
      List<int[]> d = tok.encodeOrdinaryBatch(ex.stream().map(e -> data.documents().get(e.document())).toList(), 16, pool);
      EmbeddingModel model = EmbeddingModel.of(enc, tok, pool);
      EmbedOptions raw = EmbedOptions.EVALUATION.withBatch(32);
      int[] relevant = new int[ex.size()];
      for (int i = 0; i < relevant.length; i++) {
        relevant[i] = i;
      }
      double before = RetrievalMetrics.evaluate(pool, model.embedTokenIds(q, raw).vectors(), ex.size(),
          model.embedTokenIds(d, raw).vectors(), ex.size(), 32, 32, relevant).get("recall@1");
      int b = 32;
      Encoder.Pass pass = enc.build(pool, 2 * b, 16, new int[] {8, 32}, 0.1f, false);
      AdamW opt = new AdamW(enc.parameters(), 0.9f, 0.999f, 1e-8f, 0f);
      for (int step = 0; step < 150; step++) {
        java.util.Arrays.fill(pass.ids, 0);
        for (int i = 0; i < b; i++) {
          int k = (step * b + i) % ex.size();
          int[] a = q.get(k), p = d.get(k);
          System.arraycopy(a, 0, pass.ids, i * 16, a.length);
          pass.lengths[i] = Math.max(1, a.length);
          System.arraycopy(p, 0, pass.ids, (b + i) * 16, p.length);
          pass.lengths[b + i] = Math.max(1, p.length);
        }
        pass.graph.forward();
        enc.parameters().zeroGrad();
        pass.graph.backward(pass.loss);
        opt.step(pool, 3e-3f);
      }
      float[] qe = model.embedTokenIds(q, raw).vectors(), de = model.embedTokenIds(d, raw).vectors();
      Map<String, Double> full = RetrievalMetrics.evaluate(pool, qe, ex.size(), de, ex.size(), 32, 32, relevant);
      Map<String, Double> short8 = RetrievalMetrics.evaluate(pool, qe, ex.size(), de, ex.size(), 32, 8, relevant);
      System.out.println("recall@1 before " + before + ", after: full " + full + ", 8 dims " + short8);
      assertTrue(before < 0.1, "untrained: " + before);
      assertTrue(full.get("recall@1") > 0.6, "trained, full width: " + full);
      assertTrue(short8.get("recall@10") > 0.6, "trained, 8 dims: " + short8);
    }
  }

  @Test
  void metricsOnAKnownRanking() {
    // two queries, three documents in 2 dims: query 0 ranks its document first, query 1 second
    float[] q = {1, 0, 0, 1};
    float[] d = {1, 0.1f, 0, 1, 0.5f, 0.9f};
    try (WorkerPool pool = new WorkerPool(1)) {
      Map<String, Double> m = RetrievalMetrics.evaluate(pool, q, 2, d, 3, 2, 2, new int[] {0, 2});
      assertEquals(0.5, m.get("recall@1"), 1e-9);
      assertEquals(1.0, m.get("recall@10"), 1e-9);
      assertEquals((1 + 0.5) / 2, m.get("mrr@10"), 1e-9);
      assertEquals((1 + 1 / (Math.log(3) / Math.log(2))) / 2, m.get("ndcg@10"), 1e-9);
    }
  }

  @Test
  void usageExamplesAreMatchedToTheirDefinitionAndSplitBySynset() {
    List<dev.mtk.training.data.WordNet.Synset> wn = dev.mtk.training.data.WordNet.load();
    ReverseDictionary ex = ReverseDictionary.examplesToDefinitions(wn);
    int train = ex.examples(ReverseDictionary.Split.TRAIN).size(), test = ex.examples(ReverseDictionary.Split.TEST).size();
    assertTrue(train > 30_000 && test > 1_000, train + " / " + test);
    java.util.Map<String, dev.mtk.training.data.WordNet.Synset> byId = new java.util.HashMap<>();
    wn.forEach(s -> byId.put(s.id(), s));
    for (ReverseDictionary.Example e : ex.examples(ReverseDictionary.Split.TEST).subList(0, 200)) {
      var s = byId.get(e.synset());
      assertTrue(s.examples().contains(e.query()), e.toString());
      assertEquals(s.definition(), ex.documents().get(e.document()));
      assertEquals(ReverseDictionary.Split.TEST, ReverseDictionary.split(s.id()));
    }
  }

  @Test
  void splitsAreFixedAndDisjoint() {
    ReverseDictionary data = ReverseDictionary.load();
    int train = data.examples(ReverseDictionary.Split.TRAIN).size();
    int test = data.examples(ReverseDictionary.Split.TEST).size();
    assertTrue(train > 80_000 && test > 3_000, train + " / " + test);
    assertEquals(ReverseDictionary.Split.TRAIN, ReverseDictionary.split(data.examples(ReverseDictionary.Split.TRAIN).get(0).synset()));
  }

  /**
   * init: DIR starts from a model directory (here a small BERT-variant encoder with MiniLM's
   * WordPiece tokenizer, as ./mtk model import would leave it) and self-distils it: the weights
   * move from the imported ones by at most a few AdamW steps, the tokenizer is the model's own,
   * byte for byte, and the trained ladder replaces the old one.
   */
  @Test
  void aRunStartsFromAModelDirectoryWithItsTokenizer(@TempDir Path dir) throws Exception {
    Path init = dir.resolve("init"), tok = dir.resolve("tokenizer.json"), cfg = dir.resolve("c.yaml");
    try (var in = TrainerTest.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
      Files.copy(in, tok);
    }
    EncoderConfig c = new EncoderConfig(30522, 16, 2, 32, 1, 24, 1e-12f, new int[] {8, 16},
        EncoderConfig.Pooling.MEAN, 0f, 0, 0, EncoderConfig.Norm.POST, 2);
    Encoder start = Encoder.init(c, 9);
    dev.mtk.models.io.ModelDirectory.create(start, tok, init, false);
    String yaml = String.join("\n", "task: example-definition", "seed: 2", "init: " + init,
        "teacher: " + init, "max_tokens: 12", "steps: 3", "batch_pairs: 4", "lr: 0.001",
        "warmup_steps: 1", "log_every: 1",
        "loss: {base: similarity, anchor_weight: 2, matryoshka: {dims: [4, 16]}}");
    Files.writeString(cfg, yaml);
    TrainConfig config = TrainConfig.read(cfg);
    assertEquals(12, config.trainTokens());
    Path out = dir.resolve("run");
    try (WorkerPool pool = new WorkerPool(2)) {
      Trainer.run(config, out, pool, (s, n, l, t) -> {});
    }
    Encoder trained = dev.mtk.models.io.ModelDirectory.load(out.resolve("model"));
    assertArrayEquals(new int[] {4, 16}, trained.config().nesting());
    assertEquals(EncoderConfig.Norm.POST, trained.config().norm());
    assertArrayEquals(Files.readAllBytes(tok), Files.readAllBytes(out.resolve("model/tokenizer.json")));
    float[] a = start.parameters().data(), b = trained.parameters().data();
    double moved = 0;
    for (int i = 0; i < a.length; i++) {
      moved = Math.max(moved, Math.abs(a[i] - b[i]));
    }
    // three AdamW steps of lr ≤ 0.001 move no weight by much more than 0.003; a fresh init would
    // differ by ~0.05
    assertTrue(moved > 0 && moved < 0.006, "moved " + moved);
    String metrics = Files.readString(out.resolve("metrics.jsonl"));
    assertTrue(metrics.contains("dim16/anchor") && metrics.contains("dim4"), metrics);

    // what cannot go with init: DIR is refused by name
    Files.writeString(cfg, yaml + "\nmodel: {vocab_size: 10, d_model: 8, heads: 2, ffn: 8, layers: 1, max_seq_len: 4}");
    var e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.read(cfg));
    assertTrue(e.getMessage().contains("remove the model: section"), e.getMessage());
    Files.writeString(cfg, yaml + "\ntokenizer: " + tok);
    e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.read(cfg));
    assertTrue(e.getMessage().contains("brings its tokenizer"), e.getMessage());
    Files.writeString(cfg, yaml.replace("init: " + init, "init: " + dir.resolve("nowhere")));
    e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.read(cfg));
    assertTrue(e.getMessage().contains("neither a scheme (normal, fan_in) nor a model directory"), e.getMessage());
    Files.writeString(cfg, yaml.replace("max_tokens: 12", "max_tokens: 99"));
    e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.read(cfg));
    assertTrue(e.getMessage().contains("max_tokens 99 is above the model's max_seq_len 24"), e.getMessage());
    Files.writeString(cfg, yaml.replace("teacher: " + init, "teacher: null"));
    e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.read(cfg));
    assertTrue(e.getMessage().contains("loss base similarity distils a teacher"), e.getMessage());

    // steps: 0 saves and evaluates the init model as it is: the same weights, bit for bit
    Files.writeString(cfg, yaml.replace("steps: 3", "steps: 0"));
    Path untouched = dir.resolve("run0");
    try (WorkerPool pool = new WorkerPool(2)) {
      Trainer.run(TrainConfig.read(cfg), untouched, pool, (s, n, l, t) -> {});
    }
    assertArrayEquals(start.parameters().data(),
        dev.mtk.models.io.ModelDirectory.load(untouched.resolve("model")).parameters().data());
    assertTrue(Files.exists(untouched.resolve("results.json")));
  }

  /**
   * rotate: pca adds a projection that starts as the uncentred PCA rotation of the model's own
   * embeddings: orthonormal, so after a step of negligible learning rate every full-width cosine
   * is the init model's, and the first rows carry more of the embeddings' energy than the last.
   */
  @Test
  void rotatePcaKeepsFullWidthCosinesAndOrdersTheDirections(@TempDir Path dir) throws Exception {
    Path init = dir.resolve("init"), tok = dir.resolve("tokenizer.json"), cfg = dir.resolve("c.yaml");
    try (var in = TrainerTest.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
      Files.copy(in, tok);
    }
    EncoderConfig c = new EncoderConfig(30522, 16, 2, 32, 1, 24, 1e-12f, new int[] {16},
        EncoderConfig.Pooling.MEAN, 0f, 0, 0, EncoderConfig.Norm.POST, 2);
    dev.mtk.models.io.ModelDirectory.create(Encoder.init(c, 4), tok, init, false);
    Files.writeString(cfg, String.join("\n", "task: example-definition", "seed: 2", "init: " + init,
        "teacher: " + init, "rotate: pca", "max_tokens: 24", "steps: 1", "batch_pairs: 4",
        "lr: 1e-12", "warmup_steps: 0", "loss: {base: similarity, matryoshka: {dims: [4, 16]}}"));
    Path out = dir.resolve("run");
    List<String> texts = List.of("a small dog", "the stock market fell", "a large hound",
        "to run quickly", "an apple pie", "shares dropped in price");
    try (WorkerPool pool = new WorkerPool(2)) {
      Trainer.run(TrainConfig.read(cfg), out, pool, (s, n, l, t) -> {});
      var rotated = EmbeddingModel.load(out.resolve("model"), pool);
      assertEquals(16, rotated.config().projection());
      float[] w = dev.mtk.models.io.ModelDirectory.load(out.resolve("model")).namedParameters()
          .get("projection.weight").values();
      for (int i = 0; i < 16; i++) {
        for (int j = 0; j < 16; j++) {
          double dot = 0;
          for (int k = 0; k < 16; k++) {
            dot += w[i * 16 + k] * w[j * 16 + k];
          }
          assertEquals(i == j ? 1 : 0, dot, 1e-4, "W Wᵀ at " + i + "," + j);
        }
      }
      float[] a = EmbeddingModel.load(init, pool).embedTexts(texts, EmbedOptions.EVALUATION).vectors();
      float[] b = rotated.embedTexts(texts, EmbedOptions.EVALUATION).vectors();
      double first = 0, last = 0;
      for (int i = 0; i < texts.size(); i++) {
        for (int j = 0; j < texts.size(); j++) {
          double ca = 0, cb = 0;
          for (int k = 0; k < 16; k++) {
            ca += a[i * 16 + k] * a[j * 16 + k];
            cb += b[i * 16 + k] * b[j * 16 + k];
          }
          assertEquals(ca, cb, 1e-4, "cosine of texts " + i + " and " + j);
        }
        first += b[i * 16] * b[i * 16];
        last += b[i * 16 + 15] * b[i * 16 + 15];
      }
      assertTrue(first > last, first + " vs " + last);
    }
    // the teacher's vectors were rotated with the student: at the start (texts cut alike, to the
    // model's 24 tokens) the anchor term is ~0
    var line = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
        Files.readAllLines(out.resolve("metrics.jsonl")).get(0));
    assertTrue(line.path("losses").path("dim16/anchor").asDouble(1) < 1e-6, line.toString());
  }

  @Test
  void sameConfigAndSeedGiveTheSameWeightsForAnyThreadCount(@TempDir Path dir) throws Exception {
    Path cfg = dir.resolve("c.yaml");
    Files.writeString(cfg, String.join("\n", "seed: 3", "model: {vocab_size: 400, d_model: 16, heads: 2,",
        "  ffn: 32, layers: 1, max_seq_len: 8, nesting: [8, 16]}", "steps: 6", "batch_pairs: 8",
        "warmup_steps: 2", "log_every: 3"));
    TrainConfig c = TrainConfig.read(cfg);
    byte[] first = null;
    for (int threads : new int[] {1, 2}) {
      Path out = dir.resolve("run" + threads);
      try (WorkerPool pool = new WorkerPool(threads)) {
        Trainer.run(c, out, pool, (s, n, l, t) -> {});
      }
      byte[] w = Files.readAllBytes(out.resolve("model/model.safetensors"));
      if (first == null) {
        first = w;
      } else {
        assertArrayEquals(first, w, "bit-identical weights");
      }
      assertEquals(2, Files.readAllLines(out.resolve("metrics.jsonl")).size());
      assertTrue(Files.readString(out.resolve("results.json")).contains("\"mrl\""));
    }
  }

  @Test
  void resumingAfterACrashGivesTheSameWeights(@TempDir Path dir) throws Exception {
    // once with AdamW, once with SGD, gradient accumulation and clipping
    for (String extra : List.of("optimizer: adamw", "optimizer: sgd\naccumulation_steps: 2\nclip_norm: 0.5")) {
      Path cfg = dir.resolve("c.yaml");
      Files.writeString(cfg, String.join("\n", "seed: 5", "model: {vocab_size: 400, d_model: 16, heads: 2,",
          "  ffn: 32, layers: 1, max_seq_len: 8, nesting: [8, 16]}", "steps: 8", "batch_pairs: 8",
          "warmup_steps: 2", "log_every: 1", "checkpoint_every: 3", extra));
      TrainConfig c = TrainConfig.read(cfg);
      Path whole = dir.resolve("whole-" + c.optimization().optimizer()), crashed = dir.resolve("crashed-" + c.optimization().optimizer());
      try (WorkerPool pool = new WorkerPool(2)) {
        Trainer.run(c, whole, pool, (s, n, l, t) -> {});
        // die after step 7: checkpoints at 3 and 6 exist, step 7 is lost
        assertThrows(IllegalStateException.class, () -> Trainer.run(c, crashed, pool, (s, n, l, t) -> {
          if (s == 7) {
            throw new IllegalStateException("simulated crash");
          }
        }));
        assertTrue(Files.isDirectory(crashed.resolve("checkpoints/step-6")));
        Trainer.run(c, crashed, pool, (s, n, l, t) -> {}, true);
      }
      assertArrayEquals(Files.readAllBytes(whole.resolve("model/model.safetensors")),
          Files.readAllBytes(crashed.resolve("model/model.safetensors")), "resumed = uninterrupted, " + extra);
      assertEquals(Files.readAllLines(whole.resolve("metrics.jsonl")).stream().map(l -> l.replaceAll(", \"tokens_per_s\".*", "")).toList(),
          Files.readAllLines(crashed.resolve("metrics.jsonl")).stream().map(l -> l.replaceAll(", \"tokens_per_s\".*", "")).toList(),
          "the same losses step by step, none twice");
    }
  }

  @Test
  void aResumeSkipsDamagedCheckpointsAndOnlyTheNewestAreKept(@TempDir Path dir) throws Exception {
    Path cfg = dir.resolve("c.yaml");
    String base = String.join("\n", "seed: 5", "model: {vocab_size: 400, d_model: 16, heads: 2,",
        "  ffn: 32, layers: 1, max_seq_len: 8, nesting: [8, 16]}", "steps: 8", "batch_pairs: 8",
        "warmup_steps: 2", "log_every: 1", "checkpoint_every: 1");
    Files.writeString(cfg, base);
    TrainConfig c = TrainConfig.read(cfg);
    Path whole = dir.resolve("whole"), crashed = dir.resolve("crashed");
    try (WorkerPool pool = new WorkerPool(2)) {
      Trainer.run(c, whole, pool, (s, n, l, t) -> {});
      assertEquals(List.of("step-6", "step-7", "step-8"), AtomicFileNames.list(whole.resolve("checkpoints")),
          "the default keeps the newest 3");
      // dies after step 8, before its checkpoint: 5, 6 and 7 are kept
      assertThrows(IllegalStateException.class, () -> Trainer.run(c, crashed, pool, (s, n, l, t) -> {
        if (s == 8) {
          throw new IllegalStateException("simulated crash");
        }
      }));
      // the newest checkpoint's weights cut short (a power cut), the one before has a broken state.json
      Path newest = crashed.resolve("checkpoints/step-7/model.safetensors");
      byte[] w = Files.readAllBytes(newest);
      Files.write(newest, java.util.Arrays.copyOf(w, w.length / 2));
      Files.writeString(crashed.resolve("checkpoints/step-6/state.json"), "{\"step\": 6, \"epo");
      List<String> warnings = new java.util.ArrayList<>();
      Trainer.run(c, crashed, pool, new Trainer.Listener() {
        @Override
        public void step(int s, int n, double l, double t) {}

        @Override
        public void warning(String message) {
          warnings.add(message);
        }
      }, RunDirectory.Mode.RESUME);
      assertEquals(1, warnings.size(), warnings.toString());
      assertTrue(warnings.get(0).startsWith("resuming from step-5: skipped 2 damaged")
          && warnings.get(0).contains("step-7" + java.io.File.separator + "model.safetensors")
          && warnings.get(0).contains("step-6" + java.io.File.separator + "state.json: not valid JSON"), warnings.get(0));
      assertArrayEquals(Files.readAllBytes(whole.resolve("model/model.safetensors")),
          Files.readAllBytes(crashed.resolve("model/model.safetensors")), "resumed from step 5 = uninterrupted");
      // every checkpoint damaged: an error, not a silent fresh start
      Files.writeString(cfg, base + "\nkeep_checkpoints: 0");
      TrainConfig keepAll = TrainConfig.read(cfg);
      Path all = dir.resolve("all");
      Trainer.run(keepAll, all, pool, (s, n, l, t) -> {});
      assertEquals(8, AtomicFileNames.list(all.resolve("checkpoints")).size(), "keep_checkpoints: 0 keeps all");
      for (String step : AtomicFileNames.list(all.resolve("checkpoints"))) {
        Files.writeString(all.resolve("checkpoints").resolve(step).resolve("state.json"), "[]");
      }
      var e = assertThrows(java.io.IOException.class,
          () -> Trainer.run(keepAll, all, pool, (s, n, l, t) -> {}, RunDirectory.Mode.RESUME));
      assertTrue(e.getMessage().startsWith("every checkpoint of " + all + " is damaged")
          && e.getMessage().contains("\"step\" is missing"), e.getMessage());
    }
  }

  /** Sorted file names of a directory. */
  static final class AtomicFileNames {
    static List<String> list(Path d) throws java.io.IOException {
      try (var s = Files.list(d)) {
        return s.map(p -> p.getFileName().toString()).sorted().toList();
      }
    }
  }

  @Test
  void aRunDirectoryIsNeverSilentlyReusedNorSharedNorResumedWithAnotherConfig(@TempDir Path dir)
      throws Exception {
    Path cfg = dir.resolve("c.yaml"), out = dir.resolve("run");
    String base = String.join("\n", "seed: 3", "model: {vocab_size: 400, d_model: 16, heads: 2,",
        "  ffn: 32, layers: 1, max_seq_len: 8, nesting: [8, 16]}", "steps: 4", "batch_pairs: 8",
        "warmup_steps: 1", "log_every: 2", "checkpoint_every: 2");
    Files.writeString(cfg, base);
    TrainConfig c = TrainConfig.read(cfg);
    try (WorkerPool pool = new WorkerPool(2)) {
      Trainer.run(c, out, pool, (s, n, l, t) -> {});
      byte[] weights = Files.readAllBytes(out.resolve("model/model.safetensors"));
      var e = assertThrows(IllegalArgumentException.class, () -> Trainer.run(c, out, pool, (s, n, l, t) -> {}));
      assertTrue(e.getMessage().contains("already holds a run") && e.getMessage().contains("--force"), e.getMessage());
      assertArrayEquals(weights, Files.readAllBytes(out.resolve("model/model.safetensors")), "left as it was");
      // a changed setting is named when resuming
      Files.writeString(cfg, base.replace("steps: 4", "steps: 6"));
      TrainConfig longer = TrainConfig.read(cfg);
      e = assertThrows(IllegalArgumentException.class,
          () -> Trainer.run(longer, out, pool, (s, n, l, t) -> {}, RunDirectory.Mode.RESUME));
      assertTrue(e.getMessage().contains("steps is 4 in the run, 6 now"), e.getMessage());
      // while one run holds the directory, a second is refused, naming the holder
      try (RunDirectory held = RunDirectory.start(out, c, pool, RunDirectory.Mode.RESUME)) {
        var busy = assertThrows(IllegalStateException.class,
            () -> Trainer.run(c, out, pool, (s, n, l, t) -> {}, RunDirectory.Mode.REPLACE));
        assertTrue(busy.getMessage().contains("in use by another run")
            && busy.getMessage().contains("pid " + ProcessHandle.current().pid()), busy.getMessage());
      }
      // --force replaces the whole run: no checkpoint of the old one survives
      Files.writeString(cfg, base.replace("checkpoint_every: 2", "checkpoint_every: 0"));
      Trainer.run(TrainConfig.read(cfg), out, pool, (s, n, l, t) -> {}, RunDirectory.Mode.REPLACE);
      assertTrue(!Files.exists(out.resolve("checkpoints")), "old checkpoints removed");
      assertArrayEquals(weights, Files.readAllBytes(out.resolve("model/model.safetensors")), "same config and seed");
    }
  }

  @Test
  void aDivergingRunStopsAtTheFirstBadLossAndSavesNoBrokenModel(@TempDir Path dir) throws Exception {
    Path cfg = dir.resolve("c.yaml"), out = dir.resolve("run");
    Files.writeString(cfg, String.join("\n", "seed: 3", "model: {vocab_size: 400, d_model: 16, heads: 2,",
        "  ffn: 32, layers: 1, max_seq_len: 8, nesting: [8, 16]}", "steps: 30", "batch_pairs: 8",
        "warmup_steps: 0", "log_every: 1", "lr: 1e30"));
    try (WorkerPool pool = new WorkerPool(2)) {
      var e = assertThrows(IllegalStateException.class,
          () -> Trainer.run(TrainConfig.read(cfg), out, pool, (s, n, l, t) -> {}));
      assertTrue(e.getMessage().contains("training diverged") && e.getMessage().contains("lower lr"), e.getMessage());
    }
    assertTrue(!Files.exists(out.resolve("model")), "no model of NaN weights");
    // and the metrics hold only finite losses
    for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
      assertTrue(!line.contains("NaN") && !line.contains("Infinity"), line);
    }
  }

  @Test
  void yamlSyntaxErrorsNameTheLineAndColumnOfTheProblem(@TempDir Path dir) throws Exception {
    Path cfg = dir.resolve("c.yaml");
    for (String[] bad : new String[][] {
        {"task: reverse-dictionary\nsteps: 10\n  lr: 0.1\n", ":3:5: not valid YAML: mapping values are not allowed here"},
        {"task: reverse-dictionary\nsteps: [10\nlr: 0.1\n", ":3:3: not valid YAML: expected ',' or ']', but got : (while parsing a flow sequence from line 2)"},
        {"task: reverse-dictionary\n\tsteps: 10\n", ":2:1: not valid YAML: found character 'TAB' that cannot start any token. (Do not use TAB for indentation)"},
        {"seed: 1\ntask: \"reverse-dictionary\nsteps: 10\n", ":4:1: not valid YAML: found unexpected end of stream (while scanning a quoted scalar from line 2)"}}) {
      Files.writeString(cfg, bad[0]);
      var e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.read(cfg));
      assertTrue(e.getMessage().startsWith(cfg + bad[1]), bad[0] + " → " + e.getMessage());
    }
  }

  @Test
  void badConfigsNameTheSetting(@TempDir Path dir) throws Exception {
    Path cfg = dir.resolve("c.yaml");
    Files.writeString(cfg, "model: {vocab_size: 10, d_model: 8, heads: 2, ffn: 8, layers: 1, max_seq_len: 4}\nstepz: 3\n");
    var e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.read(cfg));
    assertTrue(e.getMessage().contains("stepz"), e.getMessage());
    Files.writeString(cfg, "steps: 3\n");
    e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.read(cfg));
    assertTrue(e.getMessage().contains("model"), e.getMessage());
    // a value of the wrong type is refused by key, never replaced by the default
    String model = "model: {vocab_size: 10, d_model: 8, heads: 2, ffn: 8, layers: 1, max_seq_len: 4}\n";
    for (String[] bad : new String[][] {{"steps: \"forty\"", "steps must be a whole number"},
        {"lr: fast", "lr must be a number"}, {"steps: 2.5", "steps must be a whole number"},
        {"optimizer: adam", "optimizer must be one of [adamw, sgd]"},
        {"schedule: 3", "schedule must be a word"}, {"steps: 0", "steps must be at least 1"},
        {"dims: 8", "dims must be a list"}, {"steps: 3\nsteps: 4", "Duplicate field 'steps'"},
        {"keep_checkpoints: -1", "keep_checkpoints must be 0 (all) or more"}}) {
      Files.writeString(cfg, model + bad[0] + "\n");
      e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.read(cfg), bad[0]);
      assertTrue(e.getMessage().contains(bad[1]) && e.getMessage().startsWith(cfg.toString()),
          bad[0] + ": " + e.getMessage());
    }
    for (String[] bad : new String[][] {{"layers: 1.7", "\"layers\" must be a whole number"},
        {"layers: 1, pooling: mean, poling: cls", "unknown model setting \"poling\""}}) {
      Files.writeString(cfg, "model: {vocab_size: 10, d_model: 8, heads: 2, ffn: 8, max_seq_len: 4, "
          + bad[0] + "}\n");
      e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.read(cfg), bad[0]);
      assertTrue(e.getMessage().contains(bad[1]), bad[0] + ": " + e.getMessage());
    }
  }

  @Test
  void trainsOnUserPairsFromJsonlAndTsv(@TempDir Path dir) throws Exception {
    // 600 pairs "colour N" → "N paint": learnable from shared tokens, split 90/5/5 by anchor
    StringBuilder jsonl = new StringBuilder(), tsv = new StringBuilder("anchor\tpositive\n");
    for (int i = 0; i < 600; i++) {
      jsonl.append("{\"anchor\": \"shade number ").append(i).append("\", \"positive\": \"paint ")
          .append(i).append("\"}\n");
      tsv.append("shade number ").append(i).append("\tpaint ").append(i).append('\n');
    }
    Path j = dir.resolve("pairs.jsonl"), t = dir.resolve("pairs.tsv");
    Files.writeString(j, jsonl);
    Files.writeString(t, tsv);
    assertEquals(dev.mtk.training.data.TextPairs.read(j), dev.mtk.training.data.TextPairs.read(t));
    Path cfg = dir.resolve("c.yaml");
    Files.writeString(cfg, String.join("\n", "task: pairs", "data: " + j, "seed: 3",
        "model: {vocab_size: 400, d_model: 16, heads: 2,",
        "  ffn: 32, layers: 1, max_seq_len: 8, nesting: [8, 16]}", "steps: 4", "batch_pairs: 8",
        "warmup_steps: 1", "log_every: 2"));
    TrainConfig c = TrainConfig.read(cfg);
    Path out = dir.resolve("run");
    try (WorkerPool pool = new WorkerPool(2)) {
      Trainer.run(c, out, pool, (s, n, l, tps) -> {});
    }
    String results = Files.readString(out.resolve("results.json"));
    assertTrue(results.contains("\"task\":\"pairs\"") || results.contains("\"task\" : \"pairs\""), results);
    assertTrue(Files.readString(out.resolve("config.json")).contains("\"data\""));

    // bad data names the file and line
    Path bad = dir.resolve("bad.jsonl");
    Files.writeString(bad, "{\"anchor\": \"a\", \"positive\": \"b\"}\n{\"anchor\": \"a\"}\n");
    var e = assertThrows(IllegalArgumentException.class, () -> dev.mtk.training.data.TextPairs.read(bad));
    assertTrue(e.getMessage().contains("bad.jsonl:2"), e.getMessage());
    Files.writeString(bad, "{\"anchor\": \"a\", \"positive\": \"b\", \"negative\": \"c\"}\n\n"
        + "{\"anchor\": \"d\", \"positive\": \"e\"}\n");
    e = assertThrows(IllegalArgumentException.class, () -> dev.mtk.training.data.TextPairs.read(bad));
    assertTrue(e.getMessage().contains("bad.jsonl:3") && e.getMessage().contains("no negative"), e.getMessage());
    Path badTsv = dir.resolve("bad.tsv");
    Files.writeString(badTsv, "a\tb\nc\td\te\tf\n");
    e = assertThrows(IllegalArgumentException.class, () -> dev.mtk.training.data.TextPairs.read(badTsv));
    assertTrue(e.getMessage().contains("bad.tsv:2") && e.getMessage().contains("found 4"), e.getMessage());
    Files.writeString(cfg, "task: pairs\nmodel: {vocab_size: 10, d_model: 8, heads: 2, ffn: 8, layers: 1, max_seq_len: 4}\n");
    e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.read(cfg));
    assertTrue(e.getMessage().contains("data"), e.getMessage());
  }
}
