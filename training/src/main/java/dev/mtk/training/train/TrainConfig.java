package dev.mtk.training.train;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.mtk.models.encoder.Encoder;
import dev.mtk.models.encoder.EncoderConfig;
import dev.mtk.models.io.ModelDirectory;
import dev.mtk.training.loss.LossConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * A training run, read from YAML: what it learns from ({@link Data}), the model, the loss, how
 * it optimises ({@link Optimization}) and what it records ({@link Logging}). Every field has a
 * default except the model; unknown fields, duplicate keys and values of the wrong type are
 * refused by name, so a typo never silently falls back to a default.
 *
 * <pre>
 * task: reverse-dictionary     # retrieval, built in: WordNet definition → lemmas
 *                              # example-definition: built in: a usage example → its definition
 *                              # pairs: data: FILE (.jsonl anchor/positive[/negative], or .tsv)
 *                              # lexfile: classification, built in: definition → lexicographer file
 *                              # labels: data: FILE (.jsonl text/label, or .tsv)
 *                              # fashion-mnist: built in (Debian's dataset-fashion-mnist)
 *                              # images: data: ROOT/CLASS/*.png|jpg or FILE.jsonl image/label
 * image: {channels: 3, size: 32}  # task images: what the images are decoded to
 * audio: {mels: 80, frames: 96, band_rate: 8000}  # task spoken-words: clips as spectrogram images
 * video: {frames: 8, size: 32, tubelet: 4}  # task moving-digits: clips cut into tubelets
 * seed: 1
 * model: {vocab_size: 4096, d_model: 128, heads: 4, ffn: 512, layers: 2, max_seq_len: 32,
 *         nesting: [8, 16, 32, 64, 128]}
 * steps: 300
 * batch_pairs: 64              # examples per batch: pairs, triplets or labelled texts
 * lr: 0.001
 * weight_decay: 0.01
 * warmup_steps: 30
 * schedule: cosine            # cosine, linear or constant after warm-up
 * temperature: 0.05          # shorthand for loss: {base: infonce, temperature: …,
 * dims: [8, 16, 32, 64, 128]  #   matryoshka: {dims: …}}; [128] alone trains a standard model
 * loss: …                     # the full form, see LossConfig: base infonce | classification | mse,
 *                             # matryoshka dims/weights/dims_per_step, adaptive_layers (2D)
 * teacher: null               # a model directory to distil from (loss base mse)
 * eval_every: 0               # evaluate on the dev split every N steps (0: only at the end)
 * tokenizer: null             # a tokenizer.json, or null to train BPE on the task's texts
 * log_every: 10
 * checkpoint_every: 100       # 0: none; a checkpoint holds everything --resume needs
 * keep_checkpoints: 3         # the newest N checkpoints stay, older ones are removed (0: all)
 * optimizer: adamw            # adamw or sgd
 * momentum: 0.9               # sgd only
 * clip_norm: 0                # clip gradients to this global L2 norm; 0: no clipping
 * accumulation_steps: 1       # micro-batches per update (gradients averaged)
 * baselines: []              # classification tasks: also train and score standard, ff,
 *                             # ff_narrow, pca, random_projection (see Baseline)
 * init: normal                # normal: every matrix N(0, 0.02²) (GPT-2); fan_in: linear layers
 *                             # N(0, 1/(3·fan_in)) as PyTorch's default (learns small ViTs faster);
 *                             # or a model directory (imported or trained): its weights, config and
 *                             # tokenizer are the start (then no model: or tokenizer:)
 * max_tokens: null            # texts are cut to this many tokens in training (default max_seq_len)
 * rotate: none                # with init: DIR, pca adds a d×d projection after pooling that starts
 *                             # as the uncentred PCA rotation of the model's own embeddings of the
 *                             # training texts: full-width cosines unchanged, prefixes = top components
 * text_model: {…}             # task text-speech: the text tower (keys as model:), trained
 *                             # with the audio tower (model:) into one space; embedding sizes equal
 * </pre>
 */
public record TrainConfig(Data data, long seed, EncoderConfig model, LossConfig loss,
    Optimization optimization, Logging logging, List<Baseline> baselines, EncoderConfig textModel) {

  public TrainConfig(Data data, long seed, EncoderConfig model, LossConfig loss,
      Optimization optimization, Logging logging) {
    this(data, seed, model, loss, optimization, logging, List.of());
  }

  public TrainConfig(Data data, long seed, EncoderConfig model, LossConfig loss,
      Optimization optimization, Logging logging, List<Baseline> baselines) {
    this(data, seed, model, loss, optimization, logging, baselines, null);
  }

  /**
   * What a Matryoshka run is compared with, each trained with the run's own data, steps, seed and
   * settings (the MRL paper's baselines). {@code STANDARD}: the model trained at full width only,
   * then cut to m. {@code FF}: a fixed-feature model per smaller size m — the same backbone and a
   * linear projection to m, trained at m. {@code FF_NARROW}: a model per m whose encoder is m
   * wide (d_model m, FFN scaled alike). {@code PCA}, {@code RANDOM_PROJECTION}: the standard
   * model's embeddings reduced to m (PCA fitted on training embeddings).
   */
  public enum Baseline {
    STANDARD, FF, FF_NARROW, PCA, RANDOM_PROJECTION;

    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** The built-in and user-data tasks. */
  public enum TaskName {
    REVERSE_DICTIONARY(true, false), EXAMPLE_DEFINITION(true, false), PAIRS(true, true),
    LEXFILE(false, false), LABELS(false, true), FASHION_MNIST(false, false, true),
    IMAGES(false, true, true), SPOKEN_WORDS(false, true, true), MOVING_DIGITS(false, true, true),
    TEXT_SPEECH(false, true, true);

    /** Retrieval (pairs of texts) rather than classification (labelled texts). */
    public final boolean retrieval;
    /** Reads the user's data: file rather than WordNet. */
    public final boolean userData;
    /** Images (a patch model) rather than texts; audio clips are spectrogram images. */
    public final boolean images;

    TaskName(boolean retrieval, boolean userData) {
      this(retrieval, userData, false);
    }

    TaskName(boolean retrieval, boolean userData, boolean images) {
      this.retrieval = retrieval;
      this.userData = userData;
      this.images = images;
    }

    /** As written in configs: reverse-dictionary, example-definition, pairs, lexfile, labels. */
    public String id() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Audio clips (spectrogram images): spoken-words, and text-speech's audio tower. */
    public boolean audio() {
      return this == SPOKEN_WORDS || this == TEXT_SPEECH;
    }

    public static TaskName parse(String s) {
      for (TaskName t : values()) {
        if (t.id().equals(s)) {
          return t;
        }
      }
      throw new IllegalArgumentException("task '" + s + "' is not known: reverse-dictionary, "
          + "example-definition, lexfile or fashion-mnist (built in), pairs or labels (with data: "
          + "FILE.jsonl|.tsv), images (with data: ROOT/CLASS/*.png or FILE.jsonl), spoken-words (with "
          + "data: ROOT/CLASS/*.wav or FILE.jsonl of {\"audio\", \"label\"}; mtk corpus spoken-words makes one), "
          + "moving-digits (with data: FILE.jsonl of {\"video\": PATH.y4m, \"label\"}; mtk corpus moving-digits makes one), "
          + "text-speech (a dual encoder; data: as spoken-words, the label is the text)");
    }
  }

  /**
   * What the run learns from: the task, the user's file for pairs and labels, a tokenizer.json
   * to use (null: train BPE on the task's texts), a teacher model directory (distillation).
   */
  public record Data(TaskName task, String file, String tokenizer, String teacher, Augment augment,
      ImageSize image, String initModel, int maxTokens, boolean rotate,
      dev.mtk.tokenizers.audio.AudioFormat audio, VideoSize video) {
    public Data(TaskName task, String file, String tokenizer, String teacher) {
      this(task, file, tokenizer, teacher, task.images ? Augment.defaultFor(task) : null,
          task == TaskName.IMAGES ? ImageSize.DEFAULT : null);
    }

    public Data(TaskName task, String file, String tokenizer, String teacher, Augment augment,
        ImageSize image) {
      this(task, file, tokenizer, teacher, augment, image, null, 0, false,
          task.audio() ? DEFAULT_AUDIO : null, task == TaskName.MOVING_DIGITS ? VideoSize.DEFAULT : null);
    }

    /** The tokenizer.json the run uses: init's own, the one given, or null (BPE trained). */
    public String tokenizerFile() {
      return initModel != null ? Path.of(initModel, ModelDirectory.TOKENIZER).toString() : tokenizer;
    }

    public Data {
      check(initModel == null || tokenizer == null, "init: DIR brings its tokenizer; remove tokenizer:");
      check(initModel == null || !task.images, "init: DIR is for text tasks");
      check(maxTokens >= 0, "max_tokens must be at least 1, got " + maxTokens);
      check(!rotate || initModel != null, "rotate: pca rotates a pretrained model's embeddings: it needs init: MODEL_DIR");
      check(task.images == (augment != null), "augment: is for image and audio tasks");
      check(task.audio() == (audio != null), "audio: is for task spoken-words and text-speech");
      check((task == TaskName.MOVING_DIGITS) == (video != null), "video: is for task moving-digits");
      check(task != TaskName.MOVING_DIGITS || file != null, "task moving-digits needs data: a .jsonl of "
          + "{\"video\": PATH.y4m, \"label\": …} per line (mtk corpus moving-digits --output DIR writes DIR/manifest.jsonl)");
      check((task == TaskName.IMAGES) == (image != null), task == TaskName.FASHION_MNIST
          ? "image: is for task images; Fashion-MNIST's are grey 28×28" : "image: is for task images");
      check(task != TaskName.IMAGES || file != null, "task images needs data: a folder ROOT/CLASS/*.png "
          + "(or .jpg) or a .jsonl of {\"image\": PATH, \"label\": …} per line");
      check(!task.audio() || file != null, "task " + task.id() + " needs data: a folder "
          + "ROOT/CLASS/*.wav or a .jsonl of {\"audio\": PATH, \"label\": …} per line (mtk corpus "
          + "spoken-words --output DIR writes DIR/manifest.jsonl)");
      check(!task.images || tokenizer == null, "tokenizer: is for text tasks; images need none");
      // image tasks: data: is optional, the folder of the four IDX files (default: Debian's place)
      if (!task.images && task.userData != (file != null)) {
        throw new IllegalArgumentException(task.userData
            ? "task " + task.id() + " needs data: FILE (" + (task == TaskName.PAIRS
                ? "JSON Lines {\"anchor\", \"positive\"[, \"negative\"]} or TSV)"
                : "JSON Lines {\"text\", \"label\"} or TSV text TAB label)")
            : "data: is for the tasks pairs and labels; " + task.id() + " is built in");
      }
    }
  }

  /**
   * Training-time augmentation of images, seeded per step and row (so a run is the same bits for
   * any thread count and after a resume): a random crop of the image padded with cropPadding
   * zeros on each side, and a horizontal flip with probability ½ when flip is set.
   */
  public record Augment(int cropPadding, boolean flip, int masks, int maskSize) {
    public static final Augment DEFAULT = new Augment(2, true);
    /** Spectrograms: none (a flip would play the clip backwards; the corpus augments the sound). */
    public static final Augment AUDIO = new Augment(0, false);

    public Augment(int cropPadding, boolean flip) {
      this(cropPadding, flip, 0, 0);
    }

    /** Clips: a small crop, no flip (it would turn left into right). */
    public static final Augment VIDEO = new Augment(2, false);

    static Augment defaultFor(TaskName task) {
      return task.audio() ? AUDIO : task == TaskName.MOVING_DIGITS ? VIDEO : DEFAULT;
    }

    public Augment {
      check(cropPadding >= 0 && cropPadding <= 64, "augment.crop_padding must be 0 to 64, got " + cropPadding);
      check(masks >= 0 && masks <= 16, "augment.masks must be 0 to 16, got " + masks);
      check(maskSize >= 0 && maskSize <= 256, "augment.mask_size must be 0 to 256, got " + maskSize);
      check(masks == 0 || maskSize > 0, "augment.masks needs mask_size: the most rows or columns one mask blanks");
    }
  }

  /**
   * What the clips of task moving-digits are made: their first {@code frames} frames, resized to
   * size × size, cut into tubelets of {@code tubelet} frames (the patch side from patch_dim).
   */
  public record VideoSize(int frames, int size, int tubelet) {
    public static final VideoSize DEFAULT = new VideoSize(8, 32, 4);

    public VideoSize {
      check(frames >= 1 && frames <= 1024, "video.frames must be 1 to 1024, got " + frames);
      check(size >= 1 && size <= 1024, "video.size must be 1 to 1024 pixels, got " + size);
      check(tubelet >= 1 && frames % tubelet == 0, "video.tubelet must divide video.frames (" + frames + "), got " + tubelet);
    }
  }

  /** Spoken words: 80 Whisper mel bands × 0.96 s, telephone band (the real test recordings are 8 kHz). */
  public static final dev.mtk.tokenizers.audio.AudioFormat DEFAULT_AUDIO =
      new dev.mtk.tokenizers.audio.AudioFormat(80, 96, 8000);

  /**
   * The size the images of task images are decoded to: channels (1 grey, 3 RGB) and a square
   * side (the shorter side resized to it, then centre-cropped).
   */
  public record ImageSize(int channels, int size) {
    public static final ImageSize DEFAULT = new ImageSize(3, 32);

    public ImageSize {
      check(channels == 1 || channels == 3, "image.channels must be 1 (grey) or 3 (RGB), got " + channels);
      check(size >= 1 && size <= 1024, "image.size must be 1 to 1024 pixels, got " + size);
    }
  }

  public enum Optimizer { ADAMW, SGD }

  /** The learning rate after warm-up: cosine or linear decay to 0, or constant. */
  public enum Schedule { COSINE, LINEAR, CONSTANT }

  /**
   * How the weights start and move: the initialisation, steps of batchPairs examples, the
   * optimizer and its schedule.
   */
  public record Optimization(int steps, int batchPairs, Optimizer optimizer, float lr,
      float weightDecay, float momentum, int warmupSteps, Schedule schedule, float clipNorm,
      int accumulation, Encoder.Init init) {
    public Optimization(int steps, int batchPairs, Optimizer optimizer, float lr, float weightDecay,
        float momentum, int warmupSteps, Schedule schedule, float clipNorm, int accumulation) {
      this(steps, batchPairs, optimizer, lr, weightDecay, momentum, warmupSteps, schedule, clipNorm,
          accumulation, Encoder.Init.NORMAL);
    }

    public Optimization {
      java.util.Objects.requireNonNull(init, "init");
      check(steps >= 0, "steps must be 0 (init: DIR only) or more, got " + steps);
      check(batchPairs >= 2, "batch_pairs must be at least 2, got " + batchPairs);
      check(warmupSteps >= 0, "warmup_steps must be 0 or more, got " + warmupSteps);
      check(lr > 0 && Float.isFinite(lr), "lr must be a finite number above 0, got " + lr);
      check(weightDecay >= 0, "weight_decay must be 0 or more, got " + weightDecay);
      check(momentum >= 0, "momentum must be 0 or more, got " + momentum);
      check(clipNorm >= 0, "clip_norm must be 0 (off) or more, got " + clipNorm);
      check(accumulation >= 1, "accumulation_steps must be at least 1, got " + accumulation);
    }

    /** The learning rate at a step (0-based): linear warm-up, then the schedule down to 0. */
    public float learningRate(int step) {
      if (step < warmupSteps) {
        return lr * (step + 1) / warmupSteps;
      }
      double t = (double) (step - warmupSteps) / Math.max(1, steps - warmupSteps);
      return switch (schedule) {
        case COSINE -> (float) (lr * 0.5 * (1 + Math.cos(Math.PI * t)));
        case LINEAR -> (float) (lr * (1 - t));
        case CONSTANT -> lr;
      };
    }
  }

  /** What the run directory records: metrics every logEvery steps, checkpoints, dev scores. */
  public record Logging(int logEvery, int checkpointEvery, int evalEvery, int keepCheckpoints) {
    /**
     * Two, so that a resume whose newest checkpoint was damaged (a power cut while it was
     * written) has an intact one to fall back on, and one more.
     */
    public static final int KEEP_CHECKPOINTS = 3;

    public Logging(int logEvery, int checkpointEvery, int evalEvery) {
      this(logEvery, checkpointEvery, evalEvery, KEEP_CHECKPOINTS);
    }

    public Logging {
      check(logEvery >= 1, "log_every must be at least 1, got " + logEvery);
      check(checkpointEvery >= 0, "checkpoint_every must be 0 (none) or more, got " + checkpointEvery);
      check(keepCheckpoints >= 0, "keep_checkpoints must be 0 (all) or more, got " + keepCheckpoints);
      check(evalEvery >= 0, "eval_every must be 0 (only at the end) or more, got " + evalEvery);
    }
  }

  private static final Set<String> FIELDS = Set.of("task", "seed", "model", "steps", "batch_pairs",
      "lr", "weight_decay", "warmup_steps", "schedule", "temperature", "dims", "loss", "tokenizer",
      "log_every", "checkpoint_every", "optimizer", "momentum", "clip_norm", "accumulation_steps",
      "data", "teacher", "eval_every", "keep_checkpoints", "augment", "init", "baselines", "image",
      "max_tokens", "rotate", "audio", "video", "text_model");
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  public TrainConfig {
    String base = loss.base();
    TaskName task = data.task();
    check(!base.equals("infonce") || task.retrieval || task == TaskName.TEXT_SPEECH, "loss base infonce "
        + "needs pairs (task reverse-dictionary, example-definition, pairs or text-speech); for task " + task.id()
        + " use base: classification");
    check(task != TaskName.TEXT_SPEECH || base.equals("infonce"), "task text-speech trains its two towers "
        + "contrastively: loss base infonce (symmetric: true, as CLIP)");
    check((task == TaskName.TEXT_SPEECH) == (textModel != null), task == TaskName.TEXT_SPEECH
        ? "task text-speech needs text_model: the text tower (keys as model:, patch_dim 0)"
        : "text_model: is for task text-speech");
    if (textModel != null) {
      check(textModel.patchDim() == 0, "text_model: takes text; remove its patch_dim");
      check(textModel.embeddingSize() == model.embeddingSize(), "text_model's embeddings are "
          + textModel.embeddingSize() + " wide, model's " + model.embeddingSize() + ": one space needs one width");
      check(loss.adaptive() == null, "loss.adaptive_layers is not built for dual encoders");
    }
    check(!base.equals("supcon") || task.images, "loss base supcon contrasts two augmented views "
        + "of labelled images (task fashion-mnist or images); for task " + task.id() + " use "
        + (task.retrieval ? "base: infonce" : "base: classification"));
    check(!base.equals("classification") || !task.retrieval, "loss base classification needs "
        + "labelled data (task lexfile, labels or fashion-mnist); for task " + task.id() + " use base: infonce");
    check(task.images == (model.patchDim() > 0), task.images
        ? "task " + task.id() + " takes images: the model needs patch_dim (16 for 4×4 patches of a "
            + "grey 28×28 image, with max_seq_len 49)"
        : "patch_dim is for image tasks (fashion-mnist); task " + task.id() + " takes text");
    if (task.images) {
      imageFormat(data, model); // checks that the model's patches fit the task's images
    }
    // zero steps: evaluate a pretrained model as it is, or with rotate: pca alone
    check(optimization.steps() >= 1 || data.initModel() != null,
        "steps must be at least 1 (0 only with init: DIR, to evaluate or rotate a pretrained model)");
    boolean distils = base.equals("mse") || base.equals("similarity");
    check(distils == (data.teacher() != null), distils
        ? "loss base " + base + " distils a teacher: set teacher: MODEL_DIR"
        : "teacher: is for loss base mse or similarity (distillation)");
    check(data.maxTokens() <= model.maxSeqLen(), "max_tokens " + data.maxTokens()
        + " is above the model's max_seq_len " + model.maxSeqLen());
    check(loss.adaptive() == null || model.layers() >= 2,
        "loss.adaptive_layers needs a model with at least 2 layers");
    if (loss.dims() != null) {
      for (int m : loss.dims()) {
        check(m >= 1 && m <= model.embeddingSize(), "dims " + Arrays.toString(loss.dims())
            + " must lie within 1.." + model.embeddingSize() + " (the model's embedding size)");
      }
    }
    // validates weights, dims order and the rest with the loss's own messages
    loss.build(2);
    baselines = List.copyOf(baselines);
    if (!baselines.isEmpty()) {
      check(!task.retrieval, "baselines: are for classification tasks (lexfile, labels, "
          + "fashion-mnist); the reverse dictionary's are what ./mtk quickstart trains");
      check(task != TaskName.TEXT_SPEECH || baselines.equals(List.of(Baseline.STANDARD)),
          "task text-speech compares with baselines: [standard] only");
      check(loss.dims() != null && loss.dims().length >= 2 && loss.adaptive() == null,
          "baselines: compare a Matryoshka model with others at its sizes: give loss.matryoshka.dims "
              + "with two sizes or more (and no adaptive_layers)");
      check(loss.dims()[loss.dims().length - 1] == model.embeddingSize(), "baselines: need the "
          + "Matryoshka sizes to end at the full width " + model.embeddingSize());
      check(!(baselines.contains(Baseline.PCA) || baselines.contains(Baseline.RANDOM_PROJECTION))
          || baselines.contains(Baseline.STANDARD), "baselines pca and random_projection reduce "
          + "the standard model's embeddings: list standard too");
      check(baselines.stream().distinct().count() == baselines.size(), "baselines lists a method twice");
    }
  }

  /** The standard baseline: this run with its model trained at full width only. */
  public TrainConfig standardBaseline() {
    int full = model.embeddingSize();
    return baseline(withNesting(model, new int[] {full}), full);
  }

  /** The text tower of the baselines: the run's, trained at the baseline's one size m. */
  private EncoderConfig textBaseline(int m) {
    return textModel == null ? null : withNesting(textModel, new int[] {m});
  }

  /** The fixed-feature baseline at m: this run's backbone with a linear projection to m. */
  public TrainConfig fixedFeatureBaseline(int m) {
    EncoderConfig c = model;
    return baseline(new EncoderConfig(c.vocabSize(), c.dModel(), c.heads(), c.ffn(), c.layers(),
        c.maxSeqLen(), c.layerNormEps(), new int[] {m}, c.pooling(), c.dropout(), m, c.patchDim()), m);
  }

  /**
   * The narrow fixed-feature baseline at m: an encoder m wide (no projection), its FFN scaled by
   * m / d_model, as many heads as divide m up to the run's.
   */
  public TrainConfig narrowBaseline(int m) {
    EncoderConfig c = model;
    int heads = Math.min(c.heads(), m);
    while (m % heads != 0) {
      heads--;
    }
    int ffn = Math.max(1, (int) ((long) c.ffn() * m / c.embeddingSize()));
    return baseline(new EncoderConfig(c.vocabSize(), m, heads, ffn, c.layers(), c.maxSeqLen(),
        c.layerNormEps(), new int[] {m}, c.pooling(), c.dropout(), 0, c.patchDim()), m);
  }

  private TrainConfig baseline(EncoderConfig m, int dim) {
    LossConfig l = loss;
    return new TrainConfig(data, seed, m, new LossConfig(l.base(), l.temperature(), l.symmetric(),
        l.head(), new int[] {dim}, null, -1, null), optimization, logging, List.of(), textBaseline(dim));
  }

  private static EncoderConfig withNesting(EncoderConfig c, int[] nesting) {
    return new EncoderConfig(c.vocabSize(), c.dModel(), c.heads(), c.ffn(), c.layers(), c.maxSeqLen(),
        c.layerNormEps(), nesting, c.pooling(), c.dropout(), c.projection(), c.patchDim(),
        c.norm(), c.tokenTypes());
  }

  /** How the task's images become the model's patches (image tasks), else null. */
  public dev.mtk.tokenizers.image.ImageFormat imageFormat() {
    return data.task().images ? imageFormat(data, model) : null;
  }

  /** How the task's WAV clips become spectrogram images (task spoken-words), else null. */
  public dev.mtk.tokenizers.audio.AudioFormat audioFormat() {
    return data.audio();
  }

  /**
   * The task's images (Fashion-MNIST: grey 28×28; task images: image.channels, image.size) in
   * square patches of patch_dim values (channels · side²), normalised as ViTs do ((x − 0.5) / 0.5).
   */
  private static dev.mtk.tokenizers.image.ImageFormat imageFormat(Data data, EncoderConfig model) {
    if (data.audio() != null) {
      return spectrogramFormat(data.audio(), model);
    }
    if (data.video() != null) {
      VideoSize v = data.video();
      int pd = model.patchDim(), p = (int) Math.round(Math.sqrt(pd / (double) v.tubelet()));
      if (p * p * v.tubelet() != pd || v.size() % p != 0) {
        StringBuilder fits = new StringBuilder();
        for (int q = 1; q <= v.size(); q++) {
          if (v.size() % q == 0) {
            fits.append(fits.isEmpty() ? "" : ", ").append(v.tubelet() * q * q).append(" (").append(v.tubelet())
                .append('×').append(q).append('×').append(q).append(')');
          }
        }
        throw new IllegalArgumentException("patch_dim " + pd + " is not a tubelet of " + v.tubelet() + " grey frames × "
            + "a square patch of " + v.size() + "×" + v.size() + ": use " + fits);
      }
      var format = new dev.mtk.tokenizers.image.ImageFormat(1, v.size(), v.size(), p,
          dev.mtk.tokenizers.image.ImageTransforms.Norm.VIT, v.frames(), v.tubelet());
      check(model.maxSeqLen() >= format.tokens(), "max_seq_len " + model.maxSeqLen() + " is below the "
          + format.tokens() + " tubelets of " + v.frames() + " frames of " + v.size() + "×" + v.size());
      return format;
    }
    ImageSize size = data.image() != null ? data.image() : new ImageSize(1, 28);
    int c = size.channels(), side = size.size(), pd = model.patchDim();
    int p = (int) Math.round(Math.sqrt(pd / (double) c));
    String what = (c == 1 ? "grey " : "RGB ") + side + "×" + side + " image";
    if (pd % c != 0 || p * p * c != pd || side % p != 0) {
      StringBuilder fits = new StringBuilder();
      for (int q = 1; q <= side; q++) {
        if (side % q == 0 && side / q <= 64) {
          fits.append(fits.isEmpty() ? "" : ", ").append(c * q * q).append(" (").append(q).append('×').append(q).append(')');
        }
      }
      throw new IllegalArgumentException("patch_dim " + pd + " is not a square patch of a " + what
          + ": use " + fits);
    }
    int tokens = (side / p) * (side / p);
    check(model.maxSeqLen() >= tokens, "max_seq_len " + model.maxSeqLen() + " is below the "
        + tokens + " patches of a " + what + " in " + p + "×" + p + " patches");
    return new dev.mtk.tokenizers.image.ImageFormat(c, side, side, p,
        dev.mtk.tokenizers.image.ImageTransforms.Norm.VIT);
  }

  /** A spectrogram (mels × frames) in square patches of patch_dim values (side²). */
  private static dev.mtk.tokenizers.image.ImageFormat spectrogramFormat(dev.mtk.tokenizers.audio.AudioFormat a,
      EncoderConfig model) {
    int pd = model.patchDim(), p = (int) Math.round(Math.sqrt(pd));
    if (p * p != pd || a.mels() % p != 0 || a.frames() % p != 0) {
      StringBuilder fits = new StringBuilder();
      for (int q = 1; q <= Math.min(a.mels(), a.frames()); q++) {
        if (a.mels() % q == 0 && a.frames() % q == 0) {
          fits.append(fits.isEmpty() ? "" : ", ").append(q * q).append(" (").append(q).append('×').append(q).append(')');
        }
      }
      throw new IllegalArgumentException("patch_dim " + pd + " is not a square patch of a " + a.mels() + " mels × "
          + a.frames() + " frames spectrogram: use " + fits);
    }
    int tokens = (a.mels() / p) * (a.frames() / p);
    check(model.maxSeqLen() >= tokens, "max_seq_len " + model.maxSeqLen() + " is below the " + tokens
        + " patches of a " + a.mels() + "×" + a.frames() + " spectrogram in " + p + "×" + p + " patches");
    return a.imageFormat(p);
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  public TaskName task() {
    return data.task();
  }

  /** Tokens per text in the training batch: max_tokens, or the model's max_seq_len. */
  public int trainTokens() {
    return data.maxTokens() > 0 ? data.maxTokens() : model.maxSeqLen();
  }

  /** The Matryoshka prefix sizes trained, or just the full width without a Matryoshka loss. */
  public int[] dims() {
    return loss.dims() != null ? loss.dims() : new int[] {model.embeddingSize()};
  }

  public TrainConfig withSeed(long newSeed) {
    return new TrainConfig(data, newSeed, model, loss, optimization, logging, baselines, textModel);
  }

  public static TrainConfig read(Path file) throws IOException {
    return read(file, Map.of());
  }

  /**
   * The config of {@code file} with settings replaced first: each key a dotted path into the
   * YAML ({@code seed}, {@code steps}, {@code loss.matryoshka.weights}), each value YAML
   * ({@code 3}, {@code 0.001}, {@code [1, 1, 2, 4]}, {@code cosine}); sections are created as
   * needed. What {@code mtk train --set} and the sweeps' grids use.
   */
  public static TrainConfig read(Path file, Map<String, String> overrides) throws IOException {
    JsonNode root;
    try {
      root = YAML.readTree(file.toFile());
    } catch (IOException e) {
      throw new IllegalArgumentException(yamlError(file, e));
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException(file + ": expected a mapping of settings");
    }
    for (Map.Entry<String, String> o : overrides.entrySet()) {
      override((com.fasterxml.jackson.databind.node.ObjectNode) root, o.getKey(), o.getValue(), file);
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!FIELDS.contains(f)) {
        throw new IllegalArgumentException(file + ": unknown setting '" + f + "' (known: "
            + new TreeSet<>(FIELDS) + ")");
      }
    }
    Fields f = new Fields(root);
    String initModel = initModel(f, file);
    if (initModel != null && root.has("model")) {
      throw new IllegalArgumentException(file + ": init: " + initModel + " brings the model's "
          + "shape (its config.json); remove the model: section");
    }
    if (initModel == null && !root.has("model")) {
      throw new IllegalArgumentException(file + ": the 'model' section is required (or init: "
          + "MODEL_DIR to start from an imported or trained model)");
    }
    EncoderConfig model = initModel != null
        ? ModelDirectory.readConfig(Path.of(initModel, ModelDirectory.CONFIG))
        : ModelDirectory.configFrom(root.get("model"), file);
    try {
      TaskName task = TaskName.parse(f.text("task", "reverse-dictionary"));
      LossConfig loss;
      if (root.has("loss")) {
        check(!root.has("dims") && !root.has("temperature"), "dims and temperature are shorthand "
            + "for a loss: section; with loss: given, put them under loss.matryoshka.dims and loss.temperature");
        loss = LossConfig.parse(root.get("loss"));
      } else {
        int[] dims = root.has("dims") ? f.integers("dims") : model.nesting();
        loss = task.retrieval
            ? LossConfig.matryoshkaInfoNce(dims, (float) f.number("temperature", 0.05))
            : new LossConfig("classification", 0.05f, false, "separate", dims, null, -1, null);
      }
      Augment augment = null;
      Fields af = f.section("augment", "{crop_padding: 2, flip: true, masks: 0, mask_size: 0}", "crop_padding",
          "flip", "masks", "mask_size");
      if (af != null) {
        Augment d = Augment.defaultFor(task);
        augment = new Augment(af.integer("crop_padding", d.cropPadding()), af.bool("flip", d.flip()),
            af.integer("masks", 0), af.integer("mask_size", 0));
      } else if (task.images) {
        augment = Augment.defaultFor(task);
      }
      dev.mtk.tokenizers.audio.AudioFormat audio = null;
      Fields auf = f.section("audio", "{mels: 80, frames: 96, band_rate: 8000}", "mels", "frames", "band_rate");
      if (auf != null) {
        try {
          audio = new dev.mtk.tokenizers.audio.AudioFormat(auf.integer("mels", DEFAULT_AUDIO.mels()),
              auf.integer("frames", DEFAULT_AUDIO.frames()), auf.integer("band_rate", DEFAULT_AUDIO.bandRate()));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("audio: " + e.getMessage());
        }
      } else if (task.audio()) {
        audio = DEFAULT_AUDIO;
      }
      VideoSize video = null;
      Fields vf = f.section("video", "{frames: 8, size: 32, tubelet: 4}", "frames", "size", "tubelet");
      if (vf != null) {
        video = new VideoSize(vf.integer("frames", VideoSize.DEFAULT.frames()), vf.integer("size", VideoSize.DEFAULT.size()),
            vf.integer("tubelet", VideoSize.DEFAULT.tubelet()));
      } else if (task == TaskName.MOVING_DIGITS) {
        video = VideoSize.DEFAULT;
      }
      ImageSize image = null;
      Fields imf = f.section("image", "{channels: 3, size: 32}", "channels", "size");
      if (imf != null) {
        image = new ImageSize(imf.integer("channels", ImageSize.DEFAULT.channels()),
            imf.integer("size", ImageSize.DEFAULT.size()));
      } else if (task == TaskName.IMAGES) {
        image = ImageSize.DEFAULT;
      }
      String rotate = f.text("rotate", "none");
      check(rotate.equals("none") || rotate.equals("pca"), "rotate must be none or pca, not '" + rotate + "'");
      if (rotate.equals("pca")) {
        check(model.projection() == 0, "rotate: pca adds a projection; " + initModel + " has one already");
        EncoderConfig c = model;
        model = new EncoderConfig(c.vocabSize(), c.dModel(), c.heads(), c.ffn(), c.layers(),
            c.maxSeqLen(), c.layerNormEps(), c.nesting(), c.pooling(), c.dropout(), c.dModel(),
            c.patchDim(), c.norm(), c.tokenTypes());
      }
      if (initModel != null && loss.dims() != null) {
        model = withNesting(model, loss.dims()); // the trained model's ladder is the trained one
      }
      Data data = new Data(task, f.path("data", file), f.path("tokenizer", null),
          f.path("teacher", file), augment, image, initModel, f.integer("max_tokens", 0),
          rotate.equals("pca"), audio, video);
      Optimization opt = new Optimization(f.integer("steps", 300), f.integer("batch_pairs", 64),
          f.choice("optimizer", Optimizer.ADAMW), (float) f.number("lr", 1e-3),
          (float) f.number("weight_decay", 0.01), (float) f.number("momentum", 0.9),
          f.integer("warmup_steps", 30), f.choice("schedule", Schedule.COSINE),
          (float) f.number("clip_norm", 0), f.integer("accumulation_steps", 1),
          initModel != null ? Encoder.Init.NORMAL : f.choice("init", Encoder.Init.NORMAL));
      Logging logging = new Logging(f.integer("log_every", 10), f.integer("checkpoint_every", 0),
          f.integer("eval_every", 0), f.integer("keep_checkpoints", Logging.KEEP_CHECKPOINTS));
      List<Baseline> baselines = new java.util.ArrayList<>();
      if (root.has("baselines")) {
        JsonNode b = root.get("baselines");
        check(b.isArray(), "baselines must be a list, e.g. [standard, ff, pca, random_projection]");
        for (JsonNode n : b) {
          String name = n.asText();
          baselines.add(Arrays.stream(Baseline.values()).filter(x -> x.id().equals(name)).findFirst()
              .orElseThrow(() -> new IllegalArgumentException("baseline '" + n.asText() + "' is not "
                  + "known: " + Arrays.stream(Baseline.values()).map(Baseline::id).toList())));
        }
      }
      EncoderConfig text = root.has("text_model") ? ModelDirectory.configFrom(root.get("text_model"), file) : null;
      if (text != null && loss.dims() != null) {
        text = withNesting(text, loss.dims()); // both towers nest at the trained sizes
      }
      return new TrainConfig(data, f.longInteger("seed", 0), model, loss, opt, logging, baselines, text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage());
    }
  }

  /**
   * init: as a model directory (null when absent or a scheme: normal, fan_in). A value that
   * names neither a scheme nor a model directory is refused with both readings.
   */
  private static String initModel(Fields f, Path file) {
    String v = f.text("init", null);
    if (v == null || Arrays.stream(Encoder.Init.values())
        .anyMatch(i -> i.name().toLowerCase(Locale.ROOT).equals(v))) {
      return null;
    }
    String dir = f.path("init", file);
    if (!java.nio.file.Files.isRegularFile(Path.of(dir, ModelDirectory.CONFIG))
        || !java.nio.file.Files.isRegularFile(Path.of(dir, ModelDirectory.WEIGHTS))) {
      throw new IllegalArgumentException(file + ": init: '" + v + "' is neither a scheme (normal, "
          + "fan_in) nor a model directory (" + dir + " has no " + ModelDirectory.CONFIG + " and "
          + ModelDirectory.WEIGHTS + "; ./mtk model import makes one)");
    }
    if (!java.nio.file.Files.isRegularFile(Path.of(dir, ModelDirectory.TOKENIZER))) {
      throw new IllegalArgumentException(file + ": init: " + dir + " has no "
          + ModelDirectory.TOKENIZER + ": an image model cannot start a text run");
    }
    return dir;
  }

  /**
   * A YAML syntax error as file:line:column of the problem itself (Jackson's location is where
   * parsing stood, often a line earlier), the problem, and what the parser was in the middle of.
   */
  private static void override(com.fasterxml.jackson.databind.node.ObjectNode root, String key, String value,
      Path file) {
    String[] path = key.split("\\.", -1);
    for (String part : path) {
      if (part.isEmpty()) {
        throw new IllegalArgumentException("setting '" + key + "': an empty name between dots");
      }
    }
    if (!FIELDS.contains(path[0])) {
      throw new IllegalArgumentException("setting '" + key + "': unknown setting '" + path[0] + "' (known: "
          + new TreeSet<>(FIELDS) + ")");
    }
    if (path[0].equals("loss") && path.length > 1) {
      expandLossShorthand(root, file);
    }
    JsonNode parsed;
    try {
      parsed = YAML.readTree(value);
    } catch (IOException e) {
      throw new IllegalArgumentException("setting '" + key + "': " + value + " is not a YAML value");
    }
    com.fasterxml.jackson.databind.node.ObjectNode at = root;
    for (int i = 0; i < path.length - 1; i++) {
      JsonNode next = at.get(path[i]);
      if (next == null || next.isNull()) {
        next = at.putObject(path[i]);
      } else if (!next.isObject()) {
        throw new IllegalArgumentException("setting '" + key + "': " + file + " has '"
            + String.join(".", java.util.Arrays.copyOf(path, i + 1)) + "' as a value, not a section");
      }
      at = (com.fasterxml.jackson.databind.node.ObjectNode) next;
    }
    at.set(path[path.length - 1], parsed == null ? com.fasterxml.jackson.databind.node.NullNode.getInstance() : parsed);
  }

  /**
   * A config that gives its loss as {@code dims:}/{@code temperature:} shorthand, rewritten as the
   * {@code loss:} section it stands for, so that a setting inside that section ({@code --set
   * loss.matryoshka.weights=…}, a sweep's grid) applies to it instead of being refused. Without
   * {@code dims:} the dims come from the model and stay where they are.
   */
  private static void expandLossShorthand(com.fasterxml.jackson.databind.node.ObjectNode root, Path file) {
    JsonNode loss = root.get("loss");
    if ((loss != null && !loss.isNull()) || !root.has("dims")) {
      return;
    }
    boolean retrieval;
    try {
      retrieval = TaskName.parse(root.path("task").asText("reverse-dictionary")).retrieval;
    } catch (IllegalArgumentException e) {
      return; // the task's own error follows when the config is read
    }
    com.fasterxml.jackson.databind.node.ObjectNode l = root.putObject("loss");
    l.put("base", retrieval ? "infonce" : "classification");
    if (retrieval && root.has("temperature")) {
      l.set("temperature", root.get("temperature"));
    }
    l.putObject("matryoshka").set("dims", root.get("dims"));
    root.remove("dims");
    root.remove("temperature");
  }

  static String yamlError(Path file, IOException e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof org.yaml.snakeyaml.error.MarkedYAMLException m && m.getProblem() != null) {
        var mark = m.getProblemMark() != null ? m.getProblemMark() : m.getContextMark();
        String where = mark == null ? "" : ":" + (mark.getLine() + 1) + ":" + (mark.getColumn() + 1);
        String context = m.getContext() == null ? "" : " (" + m.getContext()
            + (m.getContextMark() == null ? "" : " from line " + (m.getContextMark().getLine() + 1)) + ")";
        return file + where + ": not valid YAML: " + m.getProblem().replace("\\t(TAB)", "TAB") + context;
      }
    }
    String line = e instanceof com.fasterxml.jackson.core.JsonProcessingException j
        && j.getLocation() != null && j.getLocation().getLineNr() > 0 ? ":" + j.getLocation().getLineNr() : "";
    return file + line + ": not valid YAML: " + e.getMessage().split("\n")[0];
  }

  /** Typed reads of the top-level settings: a value of the wrong type is an error, not a default. */
  private record Fields(JsonNode root) {
    /** A nested mapping of a few known keys (null when absent), e.g. augment: {…}. */
    Fields section(String key, String example, String... known) {
      JsonNode a = root.get(key);
      if (a == null || a.isNull()) {
        return null;
      }
      check(a.isObject(), key + " must be a mapping: " + example);
      for (Iterator<String> it = a.fieldNames(); it.hasNext(); ) {
        String k = it.next();
        check(Arrays.asList(known).contains(k), "unknown " + key + " setting \"" + k + "\" (known: "
            + String.join(", ", known) + ")");
      }
      return new Fields(a);
    }

    int integer(String key, int otherwise) {
      long v = longInteger(key, otherwise);
      check(v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE, key + " is out of range: " + v);
      return (int) v;
    }

    long longInteger(String key, long otherwise) {
      JsonNode v = root.get(key);
      if (v == null || v.isNull()) {
        return otherwise;
      }
      check(v.isIntegralNumber() && v.canConvertToLong(), key + " must be a whole number, not " + v);
      return v.asLong();
    }

    double number(String key, double otherwise) {
      JsonNode v = root.get(key);
      if (v == null || v.isNull()) {
        return otherwise;
      }
      check(v.isNumber() && Double.isFinite(v.asDouble()), key + " must be a number, not " + v);
      return v.asDouble();
    }

    boolean bool(String key, boolean otherwise) {
      JsonNode v = root.get(key);
      if (v == null || v.isNull()) {
        return otherwise;
      }
      check(v.isBoolean(), key + " must be true or false, not " + v);
      return v.asBoolean();
    }

    String text(String key, String otherwise) {
      JsonNode v = root.get(key);
      if (v == null || v.isNull()) {
        return otherwise;
      }
      check(v.isTextual(), key + " must be a word, not " + v);
      return v.asText();
    }

    <E extends Enum<E>> E choice(String key, E otherwise) {
      String s = text(key, null);
      if (s == null) {
        return otherwise;
      }
      for (E e : otherwise.getDeclaringClass().getEnumConstants()) {
        if (e.name().toLowerCase(Locale.ROOT).equals(s)) {
          return e;
        }
      }
      throw new IllegalArgumentException(key + " must be one of "
          + Arrays.stream(otherwise.getDeclaringClass().getEnumConstants())
              .map(e -> e.name().toLowerCase(Locale.ROOT)).toList() + ", not '" + s + "'");
    }

    int[] integers(String key) {
      JsonNode v = root.get(key);
      check(v.isArray() && !v.isEmpty(), key + " must be a list of whole numbers, e.g. [8, 16, 32]");
      int[] out = new int[v.size()];
      for (int i = 0; i < out.length; i++) {
        check(v.get(i).isIntegralNumber() && v.get(i).canConvertToInt(), key
            + " must be a list of whole numbers, not " + v);
        out[i] = v.get(i).asInt();
      }
      return out;
    }

    /** A path, relative to the config file's directory unless absolute (configFile null: as is). */
    String path(String key, Path configFile) {
      String p = text(key, null);
      if (p == null || configFile == null) {
        return p;
      }
      Path q = Path.of(p);
      if (q.isAbsolute() || configFile.getParent() == null || java.nio.file.Files.exists(q)) {
        return p;
      }
      return configFile.getParent().resolve(q).toString();
    }
  }

  /** The resolved configuration, every default filled in, as written to the run directory. */
  public ObjectNode toJson() {
    ObjectNode o = YAML.createObjectNode();
    Optimization p = optimization;
    o.put("task", data.task().id());
    o.put("seed", seed);
    o.set("model", ModelDirectory.configJson(model));
    o.put("steps", p.steps());
    o.put("batch_pairs", p.batchPairs());
    o.put("lr", p.lr());
    o.put("weight_decay", p.weightDecay());
    o.put("warmup_steps", p.warmupSteps());
    o.put("schedule", p.schedule().name().toLowerCase(Locale.ROOT));
    o.set("loss", loss.toJson());
    if (data.tokenizer() == null) {
      o.putNull("tokenizer");
    } else {
      o.put("tokenizer", data.tokenizer());
    }
    o.put("log_every", logging.logEvery());
    o.put("checkpoint_every", logging.checkpointEvery());
    if (logging.keepCheckpoints() != Logging.KEEP_CHECKPOINTS) {
      // written only when set, so that the config (and its hash) of a run that keeps the default
      // reads as it did before the setting existed, and such runs still resume
      o.put("keep_checkpoints", logging.keepCheckpoints());
    }
    o.put("optimizer", p.optimizer().name().toLowerCase(Locale.ROOT));
    o.put("momentum", p.momentum());
    o.put("clip_norm", p.clipNorm());
    o.put("accumulation_steps", p.accumulation());
    if (data.initModel() != null) {
      o.put("init", data.initModel());
    } else if (p.init() != Encoder.Init.NORMAL) {
      // like keep_checkpoints: absent at the default, so older runs' configs still match
      o.put("init", p.init().name().toLowerCase(Locale.ROOT));
    }
    if (data.augment() != null) {
      var au = o.putObject("augment").put("crop_padding", data.augment().cropPadding()).put("flip", data.augment().flip());
      if (data.augment().masks() > 0) { // absent when off, so earlier runs' configs still match
        au.put("masks", data.augment().masks()).put("mask_size", data.augment().maskSize());
      }
    }
    if (data.image() != null) {
      o.putObject("image").put("channels", data.image().channels()).put("size", data.image().size());
    }
    if (data.video() != null) {
      o.putObject("video").put("frames", data.video().frames()).put("size", data.video().size())
          .put("tubelet", data.video().tubelet());
    }
    if (data.audio() != null) {
      o.putObject("audio").put("mels", data.audio().mels()).put("frames", data.audio().frames())
          .put("band_rate", data.audio().bandRate());
    }
    if (data.file() != null) {
      o.put("data", data.file());
    }
    if (data.teacher() != null) {
      o.put("teacher", data.teacher());
    }
    if (data.maxTokens() > 0) {
      o.put("max_tokens", data.maxTokens());
    }
    if (data.rotate()) {
      o.put("rotate", "pca");
    }
    o.put("eval_every", logging.evalEvery());
    if (!baselines.isEmpty()) {
      var b = o.putArray("baselines");
      baselines.forEach(x -> b.add(x.id()));
    }
    if (textModel != null) {
      o.set("text_model", ModelDirectory.configJson(textModel));
    }
    return o;
  }
}
