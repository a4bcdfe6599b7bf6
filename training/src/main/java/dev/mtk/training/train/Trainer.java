package dev.mtk.training.train;

import dev.mtk.core.matryoshka.Ladder;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.encoder.Encoder;
import dev.mtk.models.nn.optim.AdamW;
import dev.mtk.models.nn.autograd.Arena;
import dev.mtk.models.nn.autograd.Tensor;
import dev.mtk.training.loss.Loss;
import dev.mtk.training.loss.LossGraph;
import dev.mtk.models.nn.optim.GradientClipping;
import dev.mtk.models.nn.optim.Optimizer;
import dev.mtk.models.nn.optim.Sgd;
import dev.mtk.tokenizers.text.bpe.BpeTrainer;
import dev.mtk.tokenizers.text.formats.HuggingFaceJson;
import dev.mtk.tokenizers.text.pretokenize.PreTokenizer;
import dev.mtk.tokenizers.text.TextTokenizer;
import dev.mtk.models.inference.EarlyExit;
import dev.mtk.models.inference.EmbedOptions;
import dev.mtk.models.inference.ExitRule;
import dev.mtk.models.inference.EmbeddingModel;
import dev.mtk.training.eval.Classification;
import dev.mtk.training.eval.RetrievalMetrics;
import dev.mtk.training.task.ReverseDictionary;
import dev.mtk.models.classify.Cascade;
import dev.mtk.models.classify.Classifier;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One training run, start to finish: the task's data (built-in WordNet tasks or the user's file),
 * the tokenizer, the encoder, the loss the config composes (docs/TRAINING.md), the loop, then
 * evaluation of the test split at every prefix size, all recorded in a {@link RunDirectory}.
 *
 * <p>Deterministic: the data order comes from the seed (a shuffled order per epoch, in-batch
 * duplicates of one answer skipped), the weights from the seed, and every op gives the same bits
 * for any number of threads — so the same config and seed give the same model.safetensors.
 */
public final class Trainer {

  /** Told after each logged step: step, total steps, loss, tokens/s. */
  @FunctionalInterface
  public interface Listener {
    void step(int step, int steps, double loss, double tokensPerSecond);

    /** Something the user should know that does not stop the run (a damaged checkpoint skipped). */
    default void warning(String message) {
      System.err.println("mtk: warning: " + message);
    }

    /** A stretch of work before or after the steps that takes long enough to be told about. */
    default void phase(String message) {
      System.err.println("mtk train: " + message);
    }
  }

  private Trainer() {}

  /** A new run into {@code out} (refused when {@code out} already holds one). */
  public static Map<String, Map<String, Double>> run(TrainConfig cfg, Path out, WorkerPool pool,
      Listener listener) throws IOException {
    return run(cfg, out, pool, listener, RunDirectory.Mode.NEW);
  }

  public static Map<String, Map<String, Double>> run(TrainConfig cfg, Path out, WorkerPool pool,
      Listener listener, boolean resume) throws IOException {
    return run(cfg, out, pool, listener, resume ? RunDirectory.Mode.RESUME : RunDirectory.Mode.NEW);
  }

  /**
   * With {@code RESUME}, continues from the run directory's latest checkpoint (or starts fresh
   * when there is none); the final weights are then bit-identical to an uninterrupted run.
   */
  public static Map<String, Map<String, Double>> run(TrainConfig cfg, Path out, WorkerPool pool,
      Listener listener, RunDirectory.Mode mode) throws IOException {
    boolean resume = mode == RunDirectory.Mode.RESUME;
    var log = cfg.logging();
    int steps = cfg.optimization().steps();
    try (RunDirectory run = RunDirectory.start(out, cfg, pool, mode)) {
      Setup setup;
      try {
        setup = setUp(cfg, pool, listener);
      } catch (IOException | RuntimeException e) {
        if (!resume) {
          run.abandon(); // nothing trained: a corrected retry needs no --force
        }
        throw e;
      }
      Task data = setup.data();
      var format = cfg.imageFormat();
      TextTokenizer tok = setup.tok(), textTok = setup.textTok();
      Step step = setup.step();
      Batches batches = setup.batches();
      int first = 0;
      if (resume) {
        first = step.restoreNewestIntact(out, batches, listener);
      }
      run.openMetrics(first);
      long start = System.nanoTime(), tokens = 0;
      for (int s = first; s < steps; s++) {
        tokens += step.run(s, batches);
        step.checkFinite(s + 1);
        if ((s + 1) % log.logEvery() == 0 || s + 1 == steps) {
          double tps = tokens / ((System.nanoTime() - start) / 1e9);
          run.logStep(s + 1, step.loss, step.lr, tps, step.parts, step.partLosses);
          listener.step(s + 1, steps, step.loss, tps);
        }
        if (log.evalEvery() > 0 && (s + 1) % log.evalEvery() == 0 && s + 1 < steps) {
          int[] ends = {cfg.dims()[0], cfg.model().embeddingSize()};
          run.logDev(s + 1, data.evaluate(step.model(tok, format),
              ReverseDictionary.Split.DEV, ends, pool, cfg.seed()));
        }
        if (log.checkpointEvery() > 0 && (s + 1) % log.checkpointEvery() == 0) {
          step.checkWeights(s + 1);
          step.checkpoint(out, s + 1, batches);
          Checkpoint.prune(out, log.keepCheckpoints());
        }
      }
      step.checkWeights(steps);
      listener.phase("saving the model and evaluating it on the test split");
      run.saveModel(step.enc, tok, cfg.data().initModel() == null ? null
          : Path.of(cfg.data().tokenizerFile()), format, cfg.audioFormat());
      if (step.textEnc != null) {
        run.saveTextTower(step.textEnc, textTok);
      }
      if (cfg.loss().base().equals("classification")) {
        listener.phase("saving the classification heads and calibrating their cascade on the dev split");
        saveClassifier(cfg, step, data, model(step.enc, tok, format, pool), out.resolve("model"));
      }
      if (cfg.loss().adaptive() != null && data instanceof Task.Retrieval r) {
        listener.phase("calibrating early exit over layers on the dev split");
        calibrateEarlyExit(model(step.enc, tok, format, pool), r.data, ReverseDictionary.Split.DEV, pool)
            .save(out.resolve("model"));
      }
      Map<String, Map<String, Double>> results = data.evaluate(step.model(tok, format),
          ReverseDictionary.Split.TEST, ladder(cfg.model().embeddingSize()), pool, cfg.seed());
      run.saveResults(cfg.task().id(), results);
      return results;
    }
  }

  private record Setup(Task data, TextTokenizer tok, TextTokenizer textTok, Step step, Batches batches) {}

  /** The data, the tokenizers, the model and its loss, the data order: everything before step 1. */
  private static Setup setUp(TrainConfig cfg, WorkerPool pool, Listener listener) throws IOException {
    Task data = Task.load(cfg);
    TextTokenizer tok = cfg.imageFormat() != null ? null
        : tokenizer(cfg, data.corpus(), cfg.model().vocabSize(), pool);
    // a dual encoder's text tower reads the class names (the texts of the clips) with its own BPE
    TextTokenizer textTok = cfg.textModel() == null ? null
        : tokenizer(cfg, data.classNames(), cfg.textModel().vocabSize(), pool);
    Step step = new Step(cfg, data.training(), data.classes(), tok, textTok, pool, listener);
    Batches batches = new Batches(step.train.examples().length, step.train.keys(), cfg.seed());
    int distinct = batches.distinctKeys();
    if (distinct < step.batch) {
      // a batch never repeats a key: it could never be filled
      throw new IllegalArgumentException("batch_pairs " + step.batch + " is more than the " + distinct
          + (cfg.textModel() != null ? " words of the training clips: a batch holds each word once (a second "
              + "clip of a word would be a false negative)" : " distinct answers of the training pairs: a batch "
              + "holds each answer once") + "; set batch_pairs to at most " + distinct);
    }
    return new Setup(data, tok, textTok, step, batches);
  }

  /** Points of full-width top-1 the saved cascade may lose on the dev split. */
  public static final double CASCADE_MAX_LOSS = 0.2;

  /**
   * The trained heads saved with the model as its {@link Classifier}, with a max-probability
   * cascade over prefixes calibrated on the dev split to lose at most {@link #CASCADE_MAX_LOSS}
   * points (none when the dev split is empty). Under adaptive layers the heads of every earlier
   * layer are saved too, with an early exit over layers calibrated to the same goal.
   */
  private static void saveClassifier(TrainConfig cfg, Step step, Task data, EmbeddingModel model,
      Path modelDir) throws IOException {
    int layers = cfg.model().layers();
    boolean adaptive = cfg.loss().adaptive() != null;
    Classifier cl = Classifier.fromHeads(step.heads, adaptive ? "layer" + layers + "/" : "", cfg.dims(),
        data.classNames());
    if (adaptive) {
      Classifier[] earlier = new Classifier[layers - 1];
      for (int l = 1; l < layers; l++) {
        earlier[l - 1] = Classifier.fromHeads(step.heads, "layer" + l + "/", cfg.dims(), data.classNames());
      }
      cl = cl.withEarlierLayers(earlier);
    }
    LabelledSplit dev = data.labelled(model, ReverseDictionary.Split.DEV);
    if (dev.labels().length > 0) {
      cl = cl.withCascade(Cascade.calibrate(cl.table(dev.rows(), dev.labels().length, dev.width()),
          dev.labels(), Cascade.Confidence.MAX_PROB, CASCADE_MAX_LOSS));
      if (adaptive) {
        cl = cl.withEarlyExit(calibrateDepth(cl, model, data, dev, Cascade.Confidence.MAX_PROB, CASCADE_MAX_LOSS));
      }
    }
    cl.save(modelDir);
  }

  /**
   * The early exit over layers that loses at most {@code maxLossPoints} of full-depth top-1 on
   * the dev split ({@code dev}: its full-depth rows) at the fewest expected layers.
   */
  static Cascade calibrateDepth(Classifier cl, EmbeddingModel model, Task data, LabelledSplit dev,
      Cascade.Confidence confidence, double maxLossPoints) {
    int layers = cl.layers(), n = dev.labels().length;
    float[][] byLayer = new float[layers][];
    byLayer[layers - 1] = dev.rows();
    for (int l = 1; l < layers; l++) {
      byLayer[l - 1] = data.labelled(model, ReverseDictionary.Split.DEV, EmbedOptions.EVALUATION.withLayer(l)).rows();
    }
    return Cascade.calibrate(cl.depthTable(byLayer, n, dev.width()), dev.labels(), confidence, maxLossPoints);
  }

  /**
   * The early exit of a model's saved classifier, calibrated anew on a task's dev split
   * ({@code data} as for {@link #evaluate}).
   */
  public static Cascade calibrateDepth(Classifier cl, EmbeddingModel model, String task, String data,
      Cascade.Confidence confidence, double maxLossPoints) throws IOException {
    Task t = Task.load(task, data, model);
    return calibrateDepth(cl, model, t, t.labelled(model, ReverseDictionary.Split.DEV), confidence, maxLossPoints);
  }

  /**
   * A labelled split embedded (raw), how long the embedding took, and under early exit the
   * layer each row stopped at (else null).
   */
  public record LabelledSplit(float[] rows, int[] labels, int width, List<String> classes, double seconds,
      int[] layers) {}

  /** A classification task's split ({@code data} as for {@link #evaluate}), embedded and timed. */
  public static LabelledSplit labelled(EmbeddingModel model, String task, String data,
      ReverseDictionary.Split split) throws IOException {
    return labelled(model, task, data, split, EmbedOptions.EVALUATION);
  }

  /** As above with {@code options} (a layer, or early exit). */
  public static LabelledSplit labelled(EmbeddingModel model, String task, String data,
      ReverseDictionary.Split split, EmbedOptions options) throws IOException {
    return labelledTask(model, task, data).embed(split, options);
  }

  /** A classification task read once, to embed its splits several ways (timing them, say). */
  public interface LabelledTask {
    LabelledSplit embed(ReverseDictionary.Split split, EmbedOptions options);

    /** The split as bytes, for drawing (image, audio and video tasks); null for texts. */
    dev.mtk.training.data.LabelledImages images(ReverseDictionary.Split split);
  }

  /** The task ({@code data} as for {@link #evaluate}) for this model; refuses a retrieval task. */
  public static LabelledTask labelledTask(EmbeddingModel model, String task, String data) throws IOException {
    Task t = Task.load(task, data, model);
    if (t instanceof Task.Retrieval) {
      throw new IllegalArgumentException("task " + task + " has query → answer pairs, not labels");
    }
    return new LabelledTask() {
      @Override
      public LabelledSplit embed(ReverseDictionary.Split split, EmbedOptions options) {
        return t.labelled(model, split, options);
      }

      @Override
      public dev.mtk.training.data.LabelledImages images(ReverseDictionary.Split split) {
        return t instanceof Task.ImageClasses ic ? ic.split(split) : null;
      }
    };
  }

  private static EmbeddingModel model(Encoder enc, TextTokenizer tok,
      dev.mtk.tokenizers.image.ImageFormat format, WorkerPool pool) {
    return format != null ? EmbeddingModel.of(enc, format, pool) : EmbeddingModel.of(enc, tok, pool);
  }

  /**
   * One optimiser step and what it needs: the encoder with the loss graph on top (one batch
   * shape, built once), the optimisers of the encoder and of the loss heads, the training texts
   * as token ids. {@link #run} places a batch, runs forward and backward over the micro-batches,
   * clips and updates.
   */
  private static final class Step {
    final TrainConfig cfg;
    final TrainConfig.Optimization opt;
    final Task.Prepared train;
    final Encoder enc;
    final Encoder.Pass pass;
    /**
     * A dual encoder's text tower (else null): its pass over the batch's texts ends in their
     * embeddings, which the audio pass's loss reads from {@link #textRows} and whose gradient it
     * hands back there.
     */
    final Encoder textEnc;
    final Encoder.Pass textPass;
    final Tensor textRows;
    final Optimizer textOpt;
    final List<int[]> textTokens;
    final TextTokenizer textTokenizer;
    final LossGraph lossGraph;
    final Teacher teacher;
    final Tensor teacherRows;
    final int[] labels;
    final Arena heads = new Arena("loss heads");
    final Optimizer encoderOpt, headOpt;
    final Arena[] trained;
    final List<int[]> tokens;
    final Task.Images images;
    final TrainConfig.Augment augment;
    final WorkerPool pool;
    final int rowsPerExample, batch, seq;
    /** The last step's loss, its parts and learning rate. */
    final List<String> parts;
    final double[] partLosses;
    double loss;
    float lr;

    Step(TrainConfig cfg, Task.Prepared prepared, int classes, TextTokenizer tok, TextTokenizer textTok,
        WorkerPool pool, Listener listener) throws IOException {
      this.cfg = cfg;
      this.opt = cfg.optimization();
      this.textTokenizer = textTok;
      Loss objective = cfg.loss().build(classes);
      // supervised contrast sees every example twice, augmented apart
      Task.Prepared train = objective.needs() == dev.mtk.training.loss.LossGraph.Rows.VIEWS
          ? prepared.twoViews() : prepared;
      this.train = train;
      this.pool = pool;
      var model = cfg.model();
      if (tok != null && tok.vocabSize() > model.vocabSize()) {
        throw new IllegalArgumentException("the tokenizer has " + tok.vocabSize()
            + " tokens but the model's vocab_size is " + model.vocabSize());
      }
      images = train.images();
      seq = images != null ? images.format().tokens() : cfg.trainTokens();
      tokens = images != null ? null : tok.encodeOrdinaryBatch(train.texts(), seq, pool);
      augment = cfg.data().augment();
      rowsPerExample = train.rowsPerExample();
      batch = opt.batchPairs();
      int rows = rowsPerExample * batch;
      enc = cfg.data().initModel() != null
          ? dev.mtk.models.io.ModelDirectory.load(Path.of(cfg.data().initModel()), model)
          : Encoder.init(model, cfg.seed(), opt.init());
      if (images != null && cfg.data().teacher() != null) {
        throw new IllegalArgumentException("distillation (teacher:) is for text tasks");
      }
      if (cfg.data().teacher() != null) {
        listener.phase(String.format(java.util.Locale.ROOT,
            "embedding the %,d training texts with the teacher %s (once)", train.texts().size(),
            cfg.data().teacher()));
      }
      teacher = cfg.data().teacher() == null ? null
          : Teacher.embed(Path.of(cfg.data().teacher()), train.texts(), pool);
      if (cfg.data().rotate()) {
        listener.phase("rotate: pca — fitting the rotation to the init model's embeddings");
        rotate(cfg, train.texts(), pool);
      }
      labels = new int[batch];
      LossGraph[] graph = new LossGraph[1];
      Tensor[] teacherSlot = new Tensor[1], textSlot = new Tensor[1];
      var textModel = cfg.textModel();
      int width = model.embeddingSize();
      pass = enc.build(pool, rows, seq, (g, a, embeddings, layers) -> {
        teacherSlot[0] = teacher == null ? null : a.alloc("teacher", rows, teacher.width());
        Tensor scored = embeddings;
        if (textModel != null) {
          // the clips, then their texts: the (anchor, positive) rows of a pair loss
          textSlot[0] = a.alloc("text_rows", batch, width);
          scored = a.alloc("audio_then_text", 2 * batch, width);
          g.add(new dev.mtk.models.nn.ops.ConcatRows(embeddings, textSlot[0], scored));
        }
        graph[0] = new LossGraph(g, a, heads, pool, batch, rowsPerExample + (textModel != null ? 1 : 0),
            width, labels, teacherSlot[0], layers, cfg.seed());
        return objective.attach(graph[0], scored);
      }, objective.needsLayers(), cfg.seed());
      lossGraph = graph[0];
      teacherRows = teacherSlot[0];
      textRows = textSlot[0];
      if (textModel != null) {
        if (textTok.vocabSize() > textModel.vocabSize()) {
          throw new IllegalArgumentException("the text tower's tokenizer has " + textTok.vocabSize()
              + " tokens but text_model's vocab_size is " + textModel.vocabSize());
        }
        // its own seed: two towers drawn from one stream would start as copies where shapes agree
        textEnc = Encoder.init(textModel, cfg.seed() ^ 0x7E47L, opt.init());
        textTokens = textTok.encodeOrdinaryBatch(train.texts(), textModel.maxSeqLen(), pool);
        textPass = textEnc.build(pool, batch, textModel.maxSeqLen(), (g, a, embeddings, layers) -> embeddings,
            false, cfg.seed() ^ 0x7E47L);
        textOpt = optimizer(textEnc.parameters());
      } else {
        textEnc = null;
        textTokens = null;
        textPass = null;
        textOpt = null;
      }
      heads.freeze(); // loss heads start at zero: the first steps train them before the encoder moves
      encoderOpt = optimizer(enc.parameters());
      headOpt = heads.size() > 0 ? optimizer(heads) : null;
      List<Arena> all = new ArrayList<>(List.of(enc.parameters()));
      if (headOpt != null) {
        all.add(heads);
      }
      if (textEnc != null) {
        all.add(textEnc.parameters());
      }
      trained = all.toArray(Arena[]::new);
      parts = List.copyOf(lossGraph.components().keySet());
      partLosses = new double[parts.size()];
    }

    /**
     * Sets the added projection to the uncentred PCA rotation of the init model's embeddings of
     * (at most 20,000 of) the training texts — the teacher's vectors when the teacher is that
     * model. A rotation keeps every full-width cosine; its first m rows are the m directions that
     * hold the most of the embeddings' energy, so short prefixes start as good as PCA makes them.
     */
    private void rotate(TrainConfig cfg, List<String> texts, WorkerPool pool) throws IOException {
      Path init = Path.of(cfg.data().initModel()).toAbsolutePath().normalize();
      List<String> sample = dev.mtk.training.eval.Classification.spread(texts, 20_000);
      float[] v;
      int d = cfg.model().dModel();
      boolean self = teacher != null
          && Path.of(cfg.data().teacher()).toAbsolutePath().normalize().equals(init);
      if (self) {
        List<Integer> rows = dev.mtk.training.eval.Classification.spread(
            java.util.stream.IntStream.range(0, texts.size()).boxed().toList(), 20_000);
        v = new float[rows.size() * d];
        for (int i = 0; i < rows.size(); i++) {
          teacher.copyTo(rows.get(i), v, i * d);
        }
      } else {
        v = EmbeddingModel.load(init, pool).embedTexts(sample, EmbedOptions.EVALUATION).vectors();
      }
      var pca = dev.mtk.training.eval.Baselines.pca(v, v.length / d, d, false);
      Tensor w = enc.namedParameters().get("projection.weight");
      System.arraycopy(pca.weight(), 0, w.data(), w.offset(), d * d);
      // projection.bias stays 0: a rotation, nothing added
      if (self) {
        // the student now speaks in the rotated basis: so must the teacher's vectors, or every
        // coordinate-wise term (the anchor, MSE) would pull the rotation back to the identity
        teacher.rotate(pca.weight());
      }
    }

    private Optimizer optimizer(Arena params) {
      return opt.optimizer() == TrainConfig.Optimizer.SGD
          ? new Sgd(params, opt.momentum(), opt.weightDecay())
          : new AdamW(params, 0.9f, 0.999f, 1e-8f, opt.weightDecay());
    }

    /** Step {@code step} (0-based); returns the tokens it read. */
    long run(int step, Batches batches) {
      // accumulation_steps micro-batches per update: gradients add up, then are averaged
      for (Arena a : trained) {
        a.zeroGrad();
      }
      long read = 0;
      int micros = opt.accumulation();
      loss = 0;
      java.util.Arrays.fill(partLosses, 0);
      lossGraph.beginStep(step);
      for (int micro = 0; micro < micros; micro++) {
        int[] picked = batches.next(batch);
        java.util.Arrays.fill(pass.ids, 0);
        for (int i = 0; i < batch; i++) {
          int[] ex = train.examples()[picked[i]];
          for (int r = 0; r < rowsPerExample; r++) {
            read += images != null ? placeImage(r * batch + i, ex[r], step, micro)
                : place(r * batch + i, tokens.get(ex[r]));
            if (teacher != null) {
              teacher.copy(ex[r], teacherRows, r * batch + i);
            }
          }
          if (train.labels() != null) {
            labels[i] = train.labels()[picked[i]];
          }
        }
        if (textPass != null) {
          placeTexts();
        }
        pass.graph.forward();
        pass.graph.backward(pass.loss);
        if (textPass != null) {
          textPass.graph.backwardFrom(textPass.pooled, textRows);
        }
        loss += pass.loss.values()[0] / micros;
        int c = 0;
        for (Tensor t : lossGraph.components().values()) {
          partLosses[c++] += t.data()[t.offset()] / micros;
        }
      }
      if (micros > 1) {
        for (Arena a : trained) {
          a.scaleGrad(1f / micros);
        }
      }
      if (opt.clipNorm() > 0) {
        GradientClipping.clip(opt.clipNorm(), pool, trained);
      }
      lr = opt.learningRate(step);
      encoderOpt.step(pool, lr);
      if (headOpt != null) {
        headOpt.step(pool, lr);
      }
      if (textOpt != null) {
        textOpt.step(pool, lr);
      }
      return read;
    }

    /**
     * The text of each example of the batch (its class name: {@code labels}) through the text
     * tower, its embeddings into the audio pass's {@link #textRows}.
     */
    private void placeTexts() {
      int tseq = textPass.seqLen;
      java.util.Arrays.fill(textPass.ids, 0);
      for (int i = 0; i < batch; i++) {
        int[] ids = textTokens.get(labels[i]);
        System.arraycopy(ids, 0, textPass.ids, i * tseq, Math.min(tseq, ids.length));
        textPass.lengths[i] = Math.max(1, Math.min(tseq, ids.length));
      }
      textPass.graph.forward();
      System.arraycopy(textPass.pooled.data(), textPass.pooled.offset(), textRows.data(), textRows.offset(),
          textRows.size());
    }

    /** The model as trained so far, with its text tower when it has one. */
    EmbeddingModel model(TextTokenizer tok, dev.mtk.tokenizers.image.ImageFormat format) {
      EmbeddingModel m = Trainer.model(enc, tok, format, pool).withAudio(cfg.audioFormat());
      return textEnc == null ? m : m.withTextTower(EmbeddingModel.of(textEnc, textTokenizer, pool));
    }

    /**
     * Image {@code item}'s patches into a row, augmented (a random crop of the padded image, a
     * random flip) by a hash of the seed, the step, the micro-batch and the row: the same bits for
     * any thread count, and after a resume.
     */
    private int placeImage(int row, int item, int step, int micro) {
      var data = images.data();
      var f = images.format();
      int pad = augment.cropPadding();
      long h = mix(mix(mix(cfg.seed() ^ 0x1A6E5L) + step) + micro * 65_537L + row);
      int span = 2 * pad + 1;
      int dy = (int) Long.remainderUnsigned(h, span), dx = (int) Long.remainderUnsigned(h >>> 20, span);
      boolean flip = augment.flip() && ((h >>> 40) & 1) == 1;
      byte[] px = data.pixels();
      int from = item * data.size();
      if (augment.masks() > 0) {
        px = masked(px, from, data, h);
        from = 0;
      }
      f.patches(px, from, pad, dy, dx, flip, pass.patches.data(),
          pass.patches.offset() + row * seq * f.patchDim());
      pass.lengths[row] = seq;
      return seq;
    }

    private byte[] maskScratch;

    private byte[] masked(byte[] px, int from, dev.mtk.training.data.LabelledImages data, long h) {
      if (maskScratch == null) {
        maskScratch = new byte[data.size()];
      }
      mask(px, from, data.channels(), data.height(), data.width(), augment.masks(), augment.maskSize(), h, maskScratch);
      return maskScratch;
    }

    /** SplitMix64's finaliser: a well-mixed 64-bit hash of a 64-bit value. */
    static long mix(long z) {
      z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
      z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
      return z ^ (z >>> 31);
    }

    private int place(int row, int[] ids) {
      int len = Math.max(1, Math.min(seq, ids.length));
      System.arraycopy(ids, 0, pass.ids, row * seq, Math.min(seq, ids.length));
      pass.lengths[row] = len;
      return len;
    }

    /** Stops the run at the first non-finite loss, naming the step and the part that went bad. */
    void checkFinite(int stepNumber) {
      if (Double.isFinite(loss)) {
        return;
      }
      String part = "";
      for (int c = 0; c < parts.size(); c++) {
        if (!Double.isFinite(partLosses[c])) {
          part = " (first bad part: " + parts.get(c) + " = " + partLosses[c] + ")";
          break;
        }
      }
      throw new IllegalStateException("training diverged at step " + stepNumber + ": the loss is "
          + loss + part + " at lr " + lr + "; nothing of this step was saved (the last checkpoint, "
          + "if any, is from before it); lower lr, or set clip_norm");
    }

    /** Refuses to save weights that hold a NaN or an infinity. */
    void checkWeights(int stepNumber) {
      String bad = dev.mtk.models.io.ModelDirectory.firstNonFinite(enc);
      if (bad == null && textEnc != null) {
        bad = dev.mtk.models.io.ModelDirectory.firstNonFinite(textEnc);
      }
      if (bad != null) {
        throw new IllegalStateException("training diverged by step " + stepNumber + ": " + bad
            + "; not saved; lower lr, or set clip_norm");
      }
    }

    /** Loads a checkpoint into the weights, optimisers and data order; returns its step. */
    int restore(Path checkpoint, Batches batches) throws IOException {
      Checkpoint.State st = Checkpoint.load(checkpoint, enc, encoderOpt, checkpointParts());
      batches.restore(st.epoch(), st.position());
      return st.step();
    }

    /**
     * Restores the newest checkpoint that loads whole, skipping (with a warning) damaged newer ones;
     * returns its step, or 0 when the run has no checkpoint. Every checkpoint damaged is an error:
     * starting over silently would not be the run that was asked for.
     */
    int restoreNewestIntact(Path runDir, Batches batches, Listener listener) throws IOException {
      Checkpoint.removeUnfinished(runDir);
      List<Path> all = Checkpoint.newestFirst(runDir);
      List<String> damaged = new java.util.ArrayList<>();
      for (Path cp : all) {
        try {
          int at = restore(cp, batches);
          if (!damaged.isEmpty()) {
            listener.warning("resuming from " + cp.getFileName() + ": skipped " + damaged.size()
                + " damaged newer checkpoint(s): " + String.join("; ", damaged));
          }
          return at;
        } catch (IOException | IllegalArgumentException e) {
          damaged.add(e.getMessage());
        }
      }
      if (!damaged.isEmpty()) {
        throw new IOException("every checkpoint of " + runDir + " is damaged: "
            + String.join("; ", damaged) + " (start over with --force)");
      }
      return 0;
    }

    /** What a checkpoint holds beside the encoder: the loss heads, the text tower. */
    private List<Checkpoint.Part> checkpointParts() {
      List<Checkpoint.Part> parts = new ArrayList<>();
      if (headOpt != null) {
        parts.add(new Checkpoint.Part("heads.safetensors", heads, headOpt));
      }
      if (textOpt != null) {
        parts.add(new Checkpoint.Part("text.safetensors", textEnc.parameters(), textOpt));
      }
      return parts;
    }

    void checkpoint(Path runDir, int step, Batches batches) throws IOException {
      Checkpoint.save(runDir, enc, encoderOpt, checkpointParts(), new Checkpoint.State(step,
          batches.epoch, batches.pos, encoderOpt.stepCount()));
    }
  }

  /**
   * An image copied into {@code out} with {@code masks} bands of rows and as many of columns
   * blanked (0: for a spectrogram, silence in a band or over a stretch of time — SpecAugment's
   * masks), each 0 to {@code maxSize} wide at a place drawn from {@code hash}, in every channel.
   */
  static void mask(byte[] px, int from, int channels, int height, int width, int masks, int maxSize, long hash,
      byte[] out) {
    int plane = height * width;
    System.arraycopy(px, from, out, 0, channels * plane);
    long r = Step.mix(hash ^ 0x5EC_A06L);
    for (int m = 0; m < 2 * masks; m++) {
      boolean rows = m < masks;
      int extent = rows ? height : width;
      r = Step.mix(r + m);
      int len = (int) Long.remainderUnsigned(r, maxSize + 1);
      int at = (int) Long.remainderUnsigned(r >>> 24, Math.max(1, extent - len + 1));
      for (int ch = 0; ch < channels; ch++) {
        for (int i = at; i < Math.min(extent, at + len); i++) {
          if (rows) {
            java.util.Arrays.fill(out, ch * plane + i * width, ch * plane + (i + 1) * width, (byte) 0);
          } else {
            for (int y = 0; y < height; y++) {
              out[ch * plane + y * width + i] = 0;
            }
          }
        }
      }
    }
  }

  /** 8, 16, 32 … up to the embedding size, which is always included. */
  public static int[] ladder(int width) {
    return Ladder.doubling(8, width);
  }


  /**
   * metric → (dim → value) of a model on any task's split: retrieval metrics for
   * reverse-dictionary and pairs, kNN and linear-probe accuracy for lexfile and labels, and for
   * fashion-mnist mAP@10 too ({@code data}: the IDX folder, null for Debian's place).
   */
  public static Map<String, Map<String, Double>> evaluate(EmbeddingModel model, String task,
      String data, ReverseDictionary.Split split, int[] dims, WorkerPool pool, long seed)
      throws IOException {
    return Task.load(task, data, model).evaluate(model, split, dims, pool, seed);
  }

  /**
   * A classification task's split at full width: the reference rows (training examples: kNN
   * neighbours, the probe's training set, the retrieval database when {@code retrieval}) and the
   * split's rows as queries, with their labels.
   */
  public record Features(float[] references, int[] referenceLabels, float[] queries, int[] queryLabels,
      int width, int classes, boolean retrieval, dev.mtk.training.data.LabelledImages referenceImages,
      dev.mtk.training.data.LabelledImages queryImages) {

    /** Texts: nothing to draw. */
    public Features(float[] references, int[] referenceLabels, float[] queries, int[] queryLabels,
        int width, int classes, boolean retrieval) {
      this(references, referenceLabels, queries, queryLabels, width, classes, retrieval, null, null);
    }

    /** metric → dim → value: kNN and probe accuracy (and mAP@10 with retrieval) per prefix. */
    public Map<String, Map<String, Double>> score(WorkerPool pool, int[] dims, long seed) {
      return Classification.byDim(pool, references, referenceLabels, queries, queryLabels, width,
          classes, dims, seed, retrieval);
    }

    /** Both sides mapped through a projection of the same width (PCA, a random projection). */
    public Features project(dev.mtk.training.eval.Baselines.Projection p) {
      return new Features(p.apply(references, referenceLabels.length), referenceLabels,
          p.apply(queries, queryLabels.length), queryLabels, p.out(), classes, retrieval,
          referenceImages, queryImages);
    }
  }

  /** {@link Features} of a classification task's split ({@code data} as for evaluate). */
  public static Features features(EmbeddingModel model, String task, String data,
      ReverseDictionary.Split split) throws IOException {
    return Task.load(task, data, model).features(model, split);
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
  public record Embedded(float[] queries, float[] docs, int docCount, int width, int[] relevant,
      double meanLayer) {
    public Embedded(float[] queries, float[] docs, int docCount, int width, int[] relevant) {
      this(queries, docs, docCount, width, relevant, 0);
    }
  }

  /** A retrieval task's pairs ({@code data} as for {@link #evaluate}); refuses a classification task. */
  public static ReverseDictionary retrieval(String task, String data) throws IOException {
    if (!(Task.load(task, data, (dev.mtk.tokenizers.image.ImageFormat) null) instanceof Task.Retrieval r)) {
      throw new IllegalArgumentException("task " + task + " has labels, not query → answer pairs");
    }
    return r.data;
  }

  public static Embedded embedSplit(EmbeddingModel model, ReverseDictionary data,
      ReverseDictionary.Split split) {
    return embedSplit(model, data, split, EmbedOptions.EVALUATION);
  }

  /** As above, embedded with {@code options} (raw rows; a layer, say). */
  public static Embedded embedSplit(EmbeddingModel model, ReverseDictionary data,
      ReverseDictionary.Split split, EmbedOptions options) {
    int width = model.width();
    List<ReverseDictionary.Example> ex = data.examples(split);
    Map<Integer, Integer> local = new LinkedHashMap<>();
    int[] relevant = new int[ex.size()];
    for (int i = 0; i < ex.size(); i++) {
      relevant[i] = local.computeIfAbsent(ex.get(i).document(), k -> local.size());
    }
    List<String> candidates = local.keySet().stream().map(data.documents()::get).toList();
    var q = model.embedTexts(ex.stream().map(ReverseDictionary.Example::query).toList(), options.raw());
    var d = model.embedTexts(candidates, options.raw());
    double layer = q.layers() == null ? 0
        : (q.meanLayer() * q.rows() + d.meanLayer() * d.rows()) / Math.max(1, q.rows() + d.rows());
    return new Embedded(q.vectors(), d.vectors(), candidates.size(), width, relevant, layer);
  }

  /** Thresholds tried by {@link #calibrateEarlyExit}: this many quantiles of the layer-to-layer cosines. */
  static final int EXIT_CANDIDATES = 40;

  /**
   * The curve of the stable early exit ({@link ExitRule#stable}, one threshold for every layer)
   * on a retrieval split: for each threshold, recall@10 at full width with every query and
   * candidate embedded at the layer it would stop at, and the mean layer. It is simulated from
   * each layer's embeddings, which are the bits early exit produces (EarlyExitTest), so the real
   * run gives these numbers.
   */
  public static EarlyExit calibrateEarlyExit(EmbeddingModel model, ReverseDictionary data,
      ReverseDictionary.Split split, WorkerPool pool) {
    int layers = model.layers(), w = model.width();
    Embedded[] at = new Embedded[layers];
    for (int l = 1; l <= layers; l++) {
      at[l - 1] = embedSplit(model, data, split, EmbedOptions.EVALUATION.withLayer(l));
    }
    int nq = at[0].relevant().length, nd = at[0].docCount(), n = nq + nd;
    // cos[l][i]: row i (queries, then candidates) between layers l and l + 1 (from 0)
    float[][] cos = new float[layers - 1][n];
    float[] all = new float[(layers - 1) * n];
    for (int l = 0; l + 1 < layers; l++) {
      for (int i = 0; i < n; i++) {
        float[] a = i < nq ? at[l].queries() : at[l].docs(), b = i < nq ? at[l + 1].queries() : at[l + 1].docs();
        int r = i < nq ? i : i - nq;
        cos[l][i] = (float) ExitRule.cosine(b, r * w, a, r * w, w);
        all[l * n + i] = cos[l][i];
      }
    }
    java.util.Arrays.sort(all);
    java.util.TreeSet<Float> thresholds = new java.util.TreeSet<>(java.util.Comparator.reverseOrder());
    for (int c = 0; c < EXIT_CANDIDATES; c++) {
      // denser towards 1, where the useful thresholds are: ranks from the top, squared spacing
      double f = (double) c / (EXIT_CANDIDATES - 1);
      thresholds.add(all[(int) Math.round((all.length - 1) * (1 - f * f))]);
    }
    double full = RetrievalMetrics.evaluate(pool, at[layers - 1].queries(), nq, at[layers - 1].docs(), nd, w, w,
        at[0].relevant()).get("recall@10");
    float[] q = new float[nq * w], d = new float[nd * w];
    List<EarlyExit.Point> points = new ArrayList<>();
    for (float t : thresholds) {
      long spent = 0;
      for (int i = 0; i < n; i++) {
        int stop = layers; // layer 1 has nothing to compare with (ExitRule.stable)
        for (int l = 2; l < layers; l++) {
          if (cos[l - 2][i] >= t) {
            stop = l;
            break;
          }
        }
        spent += stop;
        boolean isQuery = i < nq;
        int r = isQuery ? i : i - nq;
        System.arraycopy(isQuery ? at[stop - 1].queries() : at[stop - 1].docs(), r * w, isQuery ? q : d, r * w, w);
      }
      double v = RetrievalMetrics.evaluate(pool, q, nq, d, nd, w, w, at[0].relevant()).get("recall@10");
      points.add(new EarlyExit.Point(t, v, full > 0 ? (full - v) / full : 0, (double) spent / n));
    }
    return new EarlyExit("reverse-dictionary", split.name().toLowerCase(java.util.Locale.ROOT), "recall@10",
        full, layers, points);
  }

  private static TextTokenizer tokenizer(TrainConfig cfg, List<String> corpus, int vocabSize, WorkerPool pool)
      throws IOException {
    if (cfg.data().initModel() != null) {
      return HuggingFaceJson.loadText(Path.of(cfg.data().tokenizerFile()));
    }
    if (cfg.data().tokenizer() != null) {
      return HuggingFaceJson.load(Path.of(cfg.data().tokenizer()));
    }
    BpeTrainer.Config c = new BpeTrainer.Config(vocabSize, 2, List.of(),
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

    /** How many different keys the examples have (the count of examples when there are no keys). */
    int distinctKeys() {
      return keys == null ? count : (int) java.util.Arrays.stream(keys).distinct().count();
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
