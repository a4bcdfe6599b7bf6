package dev.mtk.training.train;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.encoder.Encoder;
import dev.mtk.tokenizers.text.Tokenizer;
import dev.mtk.models.inference.Input;
import dev.mtk.tokenizers.image.ImageFormat;
import dev.mtk.training.data.LabelledImages;
import dev.mtk.training.data.TextPairs;
import dev.mtk.training.data.WordNet;
import dev.mtk.training.eval.Classification;
import dev.mtk.models.inference.EmbedOptions;
import dev.mtk.models.inference.EmbeddingModel;
import dev.mtk.training.task.Labelled;
import dev.mtk.training.task.ReverseDictionary;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a run trains on and how it is scored: a retrieval task (pairs or triplets of texts, scored
 * by recall, MRR and nDCG on held-out queries) or a classification task (labelled texts, scored by
 * kNN and linear-probe accuracy). Either way the trainer sees the same thing: distinct texts and,
 * per example, the texts of its rows (anchor, positive[, negative] — or one text) and a label.
 */
abstract class Task {

  /**
   * The training split: {@code examples[i]} holds indexes into {@code texts}, one per row of the
   * example; {@code labels} (classification) and {@code keys} (retrieval: examples with one key,
   * the same answer, never share a batch) may be null.
   */
  record Prepared(List<String> texts, int[][] examples, int[] labels, int[] keys, int rowsPerExample,
      Images images) {
    Prepared(List<String> texts, int[][] examples, int[] labels, int[] keys, int rowsPerExample) {
      this(texts, examples, labels, keys, rowsPerExample, null);
    }

    /** Each example twice (rows of two views, augmented apart): what supervised contrast needs. */
    Prepared twoViews() {
      int[][] two = new int[examples.length][];
      for (int i = 0; i < two.length; i++) {
        two[i] = new int[] {examples[i][0], examples[i][0]};
      }
      return new Prepared(texts, two, labels, keys, 2, images);
    }
  }

  /** Training images (image tasks; {@code examples[i]} indexes them) and how they become patches. */
  record Images(LabelledImages data, ImageFormat format) {}

  static Task load(TrainConfig cfg) throws IOException {
    return load(cfg.task().id(), cfg.data().file(), cfg.imageFormat(), cfg.audioFormat());
  }

  /** The task for a loaded model: its image (and audio) format, if any. */
  static Task load(String task, String data, EmbeddingModel model) throws IOException {
    return load(task, data, model.imageFormat(), model.audioFormat());
  }

  static Task load(String task, String data, ImageFormat format) throws IOException {
    return load(task, data, format, null);
  }

  /**
   * A task by name; {@code data} is the file of the user-data tasks (pairs, labels, images),
   * {@code format} how images become patches (image tasks: the model's; else null).
   */
  static Task load(String task, String data, ImageFormat format, dev.mtk.tokenizers.audio.AudioFormat audio)
      throws IOException {
    if ((task.equals("pairs") || task.equals("labels") || task.equals("images") || task.equals("spoken-words")
        || task.equals("moving-digits") || task.equals("text-speech")) && data == null) {
      throw new IllegalArgumentException("task " + task + " needs a data file");
    }
    if ((task.equals("fashion-mnist") || task.equals("images")) && (format == null || audio != null
        || format.frames() > 1)) {
      throw new IllegalArgumentException("task " + task + " takes images: this model takes "
          + (audio != null ? "audio" : format != null ? "video" : "text"));
    }
    if ((task.equals("moving-digits") || task.equals("spoken-words") || task.equals("text-speech"))
        && !java.nio.file.Files.exists(Path.of(data))) {
      throw new IllegalArgumentException(data + ": not found; make the set with ./mtk corpus "
          + (task.equals("text-speech") ? "spoken-words" : task)
          + " --output DIR and point data: at DIR/manifest.jsonl (or give your own .jsonl)");
    }
    if (task.equals("moving-digits")) {
      if (format == null || format.frames() < 2) {
        throw new IllegalArgumentException("task moving-digits takes video clips: this model takes "
            + (audio != null ? "audio" : format != null ? "images" : "text"));
      }
      var splits = dev.mtk.training.task.ImageFolder.read(Path.of(data), format);
      return new ImageClasses(splits.get(ReverseDictionary.Split.TRAIN), splits.get(ReverseDictionary.Split.DEV),
          splits.get(ReverseDictionary.Split.TEST), format);
    }
    if (task.equals("spoken-words") || task.equals("text-speech")) {
      if (audio == null) {
        throw new IllegalArgumentException("task " + task + " takes audio: this model takes "
            + (format != null ? "images" : "text"));
      }
      var splits = dev.mtk.training.task.ImageFolder.read(Path.of(data), format, audio);
      return task.equals("spoken-words")
          ? new ImageClasses(splits.get(ReverseDictionary.Split.TRAIN), splits.get(ReverseDictionary.Split.DEV),
              splits.get(ReverseDictionary.Split.TEST), format)
          : new TextSpeech(splits.get(ReverseDictionary.Split.TRAIN), splits.get(ReverseDictionary.Split.DEV),
              splits.get(ReverseDictionary.Split.TEST), format);
    }
    if (task.equals("fashion-mnist")) {
      if (format.channels() != 1 || format.height() != 28 || format.width() != 28) {
        throw new IllegalArgumentException("Fashion-MNIST's images are grey 28×28; this model takes "
            + format.channels() + "×" + format.height() + "×" + format.width());
      }
      return new ImageClasses(LabelledImages.fashionMnist(data == null ? null : Path.of(data)), format);
    }
    if (task.equals("images")) {
      var splits = dev.mtk.training.task.ImageFolder.read(Path.of(data), format);
      return new ImageClasses(splits.get(ReverseDictionary.Split.TRAIN), splits.get(ReverseDictionary.Split.DEV),
          splits.get(ReverseDictionary.Split.TEST), format);
    }
    Task t = switch (task) {
      case "reverse-dictionary" -> new Retrieval(ReverseDictionary.load());
      case "example-definition" -> new Retrieval(ReverseDictionary.examplesToDefinitions(WordNet.load()));
      case "pairs" -> new Retrieval(ReverseDictionary.fromPairs(TextPairs.read(Path.of(data))));
      case "lexfile" -> new Labels(Labelled.lexFiles(WordNet.load()));
      case "labels" -> new Labels(Labelled.read(Path.of(data)));
      default -> throw new IllegalArgumentException("task '" + task + "' is not known: "
          + "reverse-dictionary, example-definition, lexfile, pairs, labels, fashion-mnist, images, spoken-words, "
          + "moving-digits or text-speech");
    };
    for (ReverseDictionary.Split s : ReverseDictionary.Split.values()) {
      if (t.size(s) == 0) {
        throw new IllegalArgumentException(data + ": no example fell into the "
            + s.name().toLowerCase(Locale.ROOT) + " split (examples are split 90/5/5 by a hash; "
            + "give a few hundred at least)");
      }
    }
    return t;
  }

  abstract int size(ReverseDictionary.Split split);

  /** Texts to train the BPE tokenizer on. */
  abstract List<String> corpus();

  /** Number of classes (classification), else 0. */
  abstract int classes();

  /** The class names in label order (classification), else empty. */
  List<String> classNames() {
    return List.of();
  }

  /**
   * A classification task's split embedded (raw, full width) with its labels, and the seconds
   * the embedding took.
   */
  Trainer.LabelledSplit labelled(EmbeddingModel model, ReverseDictionary.Split split) {
    return labelled(model, split, EmbedOptions.EVALUATION);
  }

  /** As above, embedded with {@code options} (raw rows; a layer, or early exit). */
  Trainer.LabelledSplit labelled(EmbeddingModel model, ReverseDictionary.Split split, EmbedOptions options) {
    throw new IllegalArgumentException("a retrieval task has pairs, not labels");
  }

  abstract Prepared training();

  /** metric → dim → value on a split. */
  Map<String, Map<String, Double>> evaluate(EmbeddingModel model,
      ReverseDictionary.Split split, int[] dims, WorkerPool pool, long seed) {
    return features(model, split).score(pool, dims, seed);
  }

  /** A classification task's split embedded with its references (retrieval tasks have none). */
  Trainer.Features features(EmbeddingModel model, ReverseDictionary.Split split) {
    throw new IllegalArgumentException("a retrieval task is scored by its pairs, not by labels");
  }

  static final class Retrieval extends Task {
    final ReverseDictionary data;

    Retrieval(ReverseDictionary data) {
      this.data = data;
    }

    @Override
    int size(ReverseDictionary.Split split) {
      return data.examples(split).size();
    }

    @Override
    List<String> corpus() {
      return data.allTexts();
    }

    @Override
    int classes() {
      return 0;
    }

    @Override
    Prepared training() {
      List<ReverseDictionary.Example> train = data.examples(ReverseDictionary.Split.TRAIN);
      boolean triplets = data.hasNegatives();
      int k = triplets ? 3 : 2, docs = train.size(), negs = docs + data.documents().size();
      List<String> texts = new ArrayList<>(train.stream().map(ReverseDictionary.Example::query).toList());
      texts.addAll(data.documents());
      int[][] ex = new int[train.size()][];
      int[] keys = new int[train.size()];
      for (int i = 0; i < ex.length; i++) {
        ReverseDictionary.Example e = train.get(i);
        ex[i] = triplets ? new int[] {i, docs + e.document(), negs + i} : new int[] {i, docs + e.document()};
        keys[i] = e.document();
      }
      if (triplets) {
        train.forEach(e -> texts.add(e.negative()));
      }
      return new Prepared(texts, ex, null, keys, k);
    }

    @Override
    Map<String, Map<String, Double>> evaluate(EmbeddingModel model,
        ReverseDictionary.Split split, int[] dims, WorkerPool pool, long seed) {
      return Trainer.evaluate(model, data, split, dims, pool);
    }
  }

  static final class Labels extends Task {
    /** Training texts embedded as kNN references and probe training data, at most this many. */
    static final int MAX_REFERENCE = 20_000;
    final Labelled data;

    Labels(Labelled data) {
      this.data = data;
    }

    @Override
    int size(ReverseDictionary.Split split) {
      return data.examples(split).size();
    }

    @Override
    List<String> corpus() {
      List<String> corpus = new ArrayList<>();
      for (ReverseDictionary.Split s : ReverseDictionary.Split.values()) {
        data.examples(s).forEach(e -> corpus.add(e.text()));
      }
      return corpus;
    }

    @Override
    int classes() {
      return data.classes().size();
    }

    @Override
    List<String> classNames() {
      return data.classes();
    }

    @Override
    Trainer.LabelledSplit labelled(EmbeddingModel model, ReverseDictionary.Split split, EmbedOptions options) {
      List<Labelled.Example> rows = data.examples(split);
      long t0 = System.nanoTime();
      var e = model.embedTexts(rows.stream().map(Labelled.Example::text).toList(), options.raw());
      return new Trainer.LabelledSplit(e.vectors(), rows.stream().mapToInt(Labelled.Example::label).toArray(),
          model.width(), classNames(), (System.nanoTime() - t0) / 1e9, e.layers());
    }

    @Override
    Prepared training() {
      List<Labelled.Example> train = data.examples(ReverseDictionary.Split.TRAIN);
      int[][] ex = new int[train.size()][];
      int[] labels = new int[train.size()];
      for (int i = 0; i < ex.length; i++) {
        ex[i] = new int[] {i};
        labels[i] = train.get(i).label();
      }
      return new Prepared(train.stream().map(Labelled.Example::text).toList(), ex, labels, null, 1);
    }

    @Override
    Trainer.Features features(EmbeddingModel model, ReverseDictionary.Split split) {
      List<Labelled.Example> ref = Classification.spread(data.examples(ReverseDictionary.Split.TRAIN), MAX_REFERENCE);
      float[] r = model.embedTexts(ref.stream().map(Labelled.Example::text).toList(), EmbedOptions.EVALUATION).vectors();
      Trainer.LabelledSplit q = labelled(model, split);
      return new Trainer.Features(r, ref.stream().mapToInt(Labelled.Example::label).toArray(), q.rows(),
          q.labels(), model.width(), classes(), false);
    }
  }

  /**
   * Labelled images: Fashion-MNIST (the last 5,000 training images — 10% of fewer than 50,000 — are
   * the dev split, the dataset's test set the test split) or the user's (split 90/5/5, {@link
   * dev.mtk.training.task.ImageFolder}). Scored like labelled text — kNN and linear-probe accuracy
   * per prefix — and by retrieval: mAP@10 of the split's images against the training images
   * (at most {@link Labels#MAX_REFERENCE}, spread evenly), relevant = the same class.
   */
  static class ImageClasses extends Task {
    static final int DEV = 5_000;
    final LabelledImages train, devSplit, test;
    /** How training images become the model's patches. */
    final ImageFormat format;

    ImageClasses(LabelledImages train, LabelledImages devSplit, LabelledImages test, ImageFormat format) {
      this.train = train;
      this.devSplit = devSplit;
      this.test = test;
      this.format = format;
    }

    ImageClasses(LabelledImages.Split data, ImageFormat format) {
      this.format = format;
      int n = data.train().count(), dev = n >= 10 * DEV ? DEV : n / 10; // small (test) sets: 10%
      this.train = data.train().range(0, n - dev);
      this.devSplit = data.train().range(n - dev, n);
      this.test = data.test();
    }

    LabelledImages split(ReverseDictionary.Split s) {
      return switch (s) {
        case TRAIN -> train;
        case DEV -> devSplit;
        case TEST -> test;
      };
    }

    @Override
    int size(ReverseDictionary.Split s) {
      return split(s).count();
    }

    @Override
    List<String> corpus() {
      return List.of();
    }

    @Override
    int classes() {
      return train.classes().size();
    }

    @Override
    List<String> classNames() {
      return train.classes();
    }

    @Override
    Trainer.LabelledSplit labelled(EmbeddingModel model, ReverseDictionary.Split s, EmbedOptions options) {
      LabelledImages q = split(s);
      int[] all = new int[q.count()];
      java.util.Arrays.setAll(all, i -> i);
      int[] layers = options.exit() == null ? null : new int[all.length];
      long t0 = System.nanoTime();
      float[] v = embed(model, model.imageFormat(), q, all, options.raw(), layers);
      return new Trainer.LabelledSplit(v, q.labels().clone(), model.width(), classNames(),
          (System.nanoTime() - t0) / 1e9, layers);
    }

    @Override
    Prepared training() {
      int[][] ex = new int[train.count()][];
      for (int i = 0; i < ex.length; i++) {
        ex[i] = new int[] {i};
      }
      return new Prepared(null, ex, train.labels().clone(), null, 1, new Images(train, format));
    }

    @Override
    Trainer.Features features(EmbeddingModel model, ReverseDictionary.Split s) {
      var format = model.imageFormat();
      int[] refRows = referenceRows();
      LabelledImages q = split(s);
      float[] r = embed(model, format, train, refRows);
      float[] e = labelled(model, s).rows();
      int[] refLabels = new int[refRows.length];
      for (int i = 0; i < refRows.length; i++) {
        refLabels[i] = train.labels()[refRows[i]];
      }
      return new Trainer.Features(r, refLabels, e, q.labels(), model.width(), classes(), true,
          train.rows(refRows), q);
    }

    /** The training images that serve as kNN references, probe data and retrieval database. */
    int[] referenceRows() {
      return Classification.spread(java.util.stream.IntStream.range(0, train.count()).boxed()
          .toList(), Labels.MAX_REFERENCE).stream().mapToInt(Integer::intValue).toArray();
    }

    /** Raw (unnormalised) embeddings of some images, without augmentation, a batch at a time. */
    static float[] embed(EmbeddingModel model, ImageFormat format,
        LabelledImages images, int[] rows) {
      return embed(model, format, images, rows, EmbedOptions.EVALUATION, null);
    }

    /** Rows of the images embedded with {@code options}; each row's exit layer into {@code layers} (or null). */
    static float[] embed(EmbeddingModel model, ImageFormat format,
        LabelledImages images, int[] rows, EmbedOptions options, int[] layers) {
      int width = model.width(), chunk = 4096, dim = format.tokens() * format.patchDim();
      float[] out = new float[rows.length * width];
      for (int from = 0; from < rows.length; from += chunk) {
        int to = Math.min(rows.length, from + chunk);
        List<Input> in = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
          float[] patches = new float[dim];
          format.patches(images.pixels(), rows[i] * images.size(), 0, 0, 0, false, patches, 0);
          in.add(new Input.Patches(patches, format.tokens()));
        }
        var e = model.embed(in, options);
        System.arraycopy(e.vectors(), 0, out, from * width, e.vectors().length);
        if (layers != null) {
          System.arraycopy(e.layers(), 0, layers, from, e.rows());
        }
      }
      return out;
    }
  }

  /**
   * Spoken words for a dual encoder: each clip's text is its label (the written word), embedded
   * by the model's text tower; scored by {@link dev.mtk.training.eval.CrossModal} — every word of
   * the split against the split's clips and back. The audio side alone stays a labelled set
   * (kNN, probe: {@link ImageClasses}).
   */
  static final class TextSpeech extends ImageClasses {

    TextSpeech(LabelledImages train, LabelledImages devSplit, LabelledImages test, ImageFormat format) {
      super(train, devSplit, test, format);
    }

    /** The texts: the class names, which the text tower's BPE is trained on. */
    @Override
    List<String> corpus() {
      return classNames();
    }

    /** One clip per example; its text is texts[label]; no two clips of one word share a batch. */
    @Override
    Prepared training() {
      Prepared p = super.training();
      return new Prepared(classNames(), p.examples(), p.labels(), p.labels(), 1, p.images());
    }

    @Override
    Map<String, Map<String, Double>> evaluate(EmbeddingModel model, ReverseDictionary.Split split, int[] dims,
        WorkerPool pool, long seed) {
      if (model.textTower() == null) {
        throw new IllegalArgumentException("task text-speech scores a dual encoder (a model directory "
            + "with text/ beside the audio tower): this model has no text tower");
      }
      float[] texts = model.embedTexts(classNames(), EmbedOptions.EVALUATION).vectors();
      Trainer.LabelledSplit clips = labelled(model, split);
      return dev.mtk.training.eval.CrossModal.byDim(texts, classes(), clips.rows(), clips.labels(), model.width(),
          dims);
    }
  }
}
