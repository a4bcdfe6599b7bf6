package dev.mtk.models.inference;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.encoder.Encoder;
import dev.mtk.models.encoder.EncoderConfig;
import dev.mtk.models.io.ModelDirectory;
import dev.mtk.tokenizers.text.formats.HuggingFaceJson;
import dev.mtk.tokenizers.text.TextTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The one way from inputs to Matryoshka embeddings: a model directory's encoder and tokenizer,
 * and the rules every caller shares (docs/ARCHITECTURE.md, "Inference"):
 *
 * <ul>
 *   <li>texts are encoded with the model's tokenizer as ordinary text (special-token strings are
 *       not special), wrapped by the tokenizer's own template if it has one (an imported BERT's
 *       [CLS] … [SEP]; mtk's own tokenizers add nothing) and cut to max_seq_len tokens, the
 *       template's closing tokens kept;
 *   <li>an empty input (no tokens) gives a row of zeros, at every dim and whether normalised or
 *       not;
 *   <li>each batch is padded to max_seq_len positions; padding is masked out of attention and
 *       pooling;
 *   <li>a layer cut (layer l &lt; L) applies the final layer norm, the pooling and the projection
 *       to layer l's output;
 *   <li>the prefix m keeps each row's first m components, then (normalize) divides by their L2
 *       norm — at full width too.
 * </ul>
 *
 * Rows are the same bits for any thread count and any caller. Safe for concurrent callers: the
 * encoder's weights are read-only here, tokenization runs in parallel, and the encoder passes
 * (whose activation memory is reused from call to call) are taken one caller at a time.
 */
public final class EmbeddingModel {

  private final Encoder encoder;
  private final TextTokenizer tokenizer;
  private final dev.mtk.tokenizers.image.ImageFormat imageFormat;
  /** For audio models: how a WAV clip becomes the spectrogram image that imageFormat cuts; else null. */
  private final dev.mtk.tokenizers.audio.AudioFormat audioFormat;
  /**
   * A dual encoder's other tower: the text model whose embeddings share this audio model's space
   * (saved in the folder {@link #TEXT_TOWER}); texts given to this model go through it. Else null.
   */
  private final EmbeddingModel textTower;
  private final WorkerPool pool;
  /**
   * Whether passes read the encoder's weights packed once ({@link #packed}): for a model loaded
   * from its directory, whose weights nothing changes; not for an encoder in memory (a training
   * run's, evaluated between steps), whose weights may change after this model was made.
   */
  private final boolean packWeights;
  private final ReentrantLock passLock = new ReentrantLock();
  /**
   * The passes built last, reused while calls ask for the same shape. They run one at a time, so
   * all of them keep their activations in one array ({@link #activations}), as large as the
   * largest pass built so far: a call over sentences of every length costs the memory of its
   * longest batch once, not of every shape it met.
   */
  private final java.util.LinkedHashMap<String, Encoder.Pass> passes = new java.util.LinkedHashMap<>();
  // early exit meets a pass per layer and surviving batch size; all share one array
  private static final int CACHED_PASSES = 64;
  private float[] activations = new float[0];
  /**
   * The encoder's linear weights packed for the GEMM kernel, once for all passes (their packing
   * on every call cost up to a third of a small pass); made on first use, under the pass lock.
   * A model in memory whose weights later change (training evaluates through a fresh model each
   * time) must not be reused after they do.
   */
  private final java.util.Map<dev.mtk.models.nn.autograd.Tensor, dev.mtk.core.kernel.Gemm.PackedB> packed =
      new java.util.IdentityHashMap<>();

  /** A linear layer's weight [out, in], packed as Bᵀ of its GEMM, once. */
  private dev.mtk.core.kernel.Gemm.PackedB packedWeight(dev.mtk.models.nn.autograd.Tensor w) {
    return packed.computeIfAbsent(w, t -> dev.mtk.core.kernel.Gemm.pack(pool, true, t.dim(0), t.dim(1), t.data(),
        t.offset(), t.dim(1)));
  }

  /** The folder of a dual encoder's model directory that holds its text tower. */
  public static final String TEXT_TOWER = "text";

  private EmbeddingModel(Encoder encoder, TextTokenizer tokenizer,
      dev.mtk.tokenizers.image.ImageFormat imageFormat, dev.mtk.tokenizers.audio.AudioFormat audioFormat,
      EmbeddingModel textTower, WorkerPool pool, boolean packWeights) {
    this.encoder = encoder;
    this.packWeights = packWeights;
    this.tokenizer = tokenizer;
    this.imageFormat = imageFormat;
    this.audioFormat = audioFormat;
    this.textTower = textTower;
    this.pool = pool;
  }

  /**
   * A model directory (config.json, model.safetensors and, for text models, tokenizer.json),
   * running its passes on {@code pool}.
   */
  public static EmbeddingModel load(Path dir, WorkerPool pool) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException(dir + ": no such model directory");
    }
    Encoder enc = ModelDirectory.load(dir);
    TextTokenizer tok = null;
    if (enc.config().patchDim() == 0) {
      Path tokFile = dir.resolve(ModelDirectory.TOKENIZER);
      if (!Files.isRegularFile(tokFile)) {
        throw new IllegalArgumentException(dir + " has no " + ModelDirectory.TOKENIZER
            + " to turn text into ids (mtk model init --tokenizer FILE puts one there)");
      }
      tok = HuggingFaceJson.loadText(tokFile);
      return of(enc, tok, pool).packingWeights();
    }
    var image = dev.mtk.tokenizers.image.ImageFormat.read(dir);
    var audio = dev.mtk.tokenizers.audio.AudioFormat.read(dir);
    if (audio != null && (image == null || image.channels() != 1 || image.height() != audio.mels()
        || image.width() != audio.frames())) {
      throw new IllegalArgumentException(dir + ": audio.json makes " + audio.mels() + " × " + audio.frames()
          + " spectrograms, but " + dev.mtk.tokenizers.image.ImageFormat.FILE_NAME + " does not take them");
    }
    EmbeddingModel m = of(enc, image, pool).withAudio(audio).packingWeights();
    Path text = dir.resolve(TEXT_TOWER);
    return Files.isDirectory(text) ? m.withTextTower(load(text, pool)) : m;
  }

  /** An encoder in memory (during training, say) with its tokenizer (null for patch models). */
  public static EmbeddingModel of(Encoder encoder, TextTokenizer tokenizer, WorkerPool pool) {
    var c = encoder.config();
    if (c.patchDim() == 0) {
      if (tokenizer == null) {
        throw new IllegalArgumentException("a text model needs its tokenizer");
      }
      if (tokenizer.vocabSize() > c.vocabSize()) {
        throw new IllegalArgumentException("the tokenizer has " + tokenizer.vocabSize()
            + " tokens but the model only " + c.vocabSize());
      }
    }
    return new EmbeddingModel(encoder, tokenizer, null, null, null, pool, false);
  }

  /**
   * A patch model with the image format it was trained on (null: it takes patches only, not
   * image files); the format must make the model's patches.
   */
  public static EmbeddingModel of(Encoder encoder, dev.mtk.tokenizers.image.ImageFormat format,
      WorkerPool pool) {
    var c = encoder.config();
    if (c.patchDim() == 0) {
      throw new IllegalArgumentException("a text model takes a tokenizer, not an image format");
    }
    if (format != null && (format.patchDim() != c.patchDim() || format.tokens() > c.maxSeqLen())) {
      throw new IllegalArgumentException("image format " + format + " makes " + format.tokens()
          + " patches of " + format.patchDim() + " values; the model takes up to " + c.maxSeqLen()
          + " of " + c.patchDim());
    }
    return new EmbeddingModel(encoder, null, format, null, null, pool, false);
  }

  /** This patch model taking WAV clips through {@code audio} (its spectrogram images; null: none). */
  public EmbeddingModel withAudio(dev.mtk.tokenizers.audio.AudioFormat audio) {
    if (audio != null && (imageFormat == null || imageFormat.height() != audio.mels()
        || imageFormat.width() != audio.frames())) {
      throw new IllegalArgumentException("audio format " + audio + " does not make this model's images " + imageFormat);
    }
    return new EmbeddingModel(encoder, tokenizer, imageFormat, audio, textTower, pool, packWeights);
  }

  /** This model with its weights packed once for all passes (its encoder's weights will not change). */
  private EmbeddingModel packingWeights() {
    return new EmbeddingModel(encoder, tokenizer, imageFormat, audioFormat, textTower, pool, true);
  }

  /**
   * This patch model as one tower of a dual encoder whose texts go through {@code text} (a text
   * model of the same width: the two were trained into one space).
   */
  public EmbeddingModel withTextTower(EmbeddingModel text) {
    if (text.modality() != Input.Modality.TEXT || modality() != Input.Modality.PATCHES) {
      throw new IllegalArgumentException("a dual encoder pairs a patch model with a text model");
    }
    if (text.width() != width()) {
      throw new IllegalArgumentException("the text tower's embeddings are " + text.width()
          + " wide, this model's " + width() + ": not one space");
    }
    return new EmbeddingModel(encoder, tokenizer, imageFormat, audioFormat, text, pool, packWeights);
  }

  /**
   * The model that embeds texts for this one: itself for a text model, the text tower of a dual
   * encoder, else null.
   */
  public EmbeddingModel textTower() {
    return modality() == Input.Modality.TEXT ? this : textTower;
  }

  /** What files this patch model reads (images, WAV clips or .y4m clips); null for a text model. */
  public dev.mtk.tokenizers.image.ImageFiles.Kind fileKind() {
    if (imageFormat == null) {
      return null;
    }
    return audioFormat != null ? dev.mtk.tokenizers.image.ImageFiles.Kind.AUDIO
        : imageFormat.frames() > 1 ? dev.mtk.tokenizers.image.ImageFiles.Kind.VIDEO
        : dev.mtk.tokenizers.image.ImageFiles.Kind.IMAGE;
  }

  /** How WAV clips become this model's spectrogram images; null for all but audio models. */
  public dev.mtk.tokenizers.audio.AudioFormat audioFormat() {
    return audioFormat;
  }

  /** How image files become this model's patches; null for text models and bare patch models. */
  public dev.mtk.tokenizers.image.ImageFormat imageFormat() {
    return imageFormat;
  }

  /**
   * Embeds image files (an image model with its format), or WAV clips (an audio model), in
   * order.
   */
  public Embeddings embedImages(List<Path> files, EmbedOptions options) throws IOException {
    if (imageFormat == null) {
      throw new IllegalArgumentException(tokenizer != null ? "this model takes text, not images or audio"
          : "this patch model has no image.json saying how images become patches");
    }
    // decoded a chunk at a time, so that a folder of a million images never sits in memory as floats
    int chunk = 1024, dim = 0;
    float[] out = null;
    int[] layers = options.exit() == null ? null : new int[files.size()];
    for (int from = 0; from < files.size(); from += chunk) {
      List<Input> in = new ArrayList<>();
      for (Path f : files.subList(from, Math.min(files.size(), from + chunk))) {
        in.add(tokenize(f));
      }
      Embeddings e = embed(in, options);
      if (out == null) {
        dim = e.dim();
        out = new float[files.size() * dim];
      }
      System.arraycopy(e.vectors(), 0, out, from * dim, e.vectors().length);
      if (layers != null) {
        System.arraycopy(e.layers(), 0, layers, from, e.rows());
      }
    }
    return out == null ? embed(List.of(), options) : new Embeddings(out, files.size(), dim, 0, 0, layers);
  }

  /** One image, WAV clip or video clip as this patch model's patches (what {@link #embedImages} embeds). */
  public Input.Patches tokenize(Path file) throws IOException {
    if (imageFormat == null) {
      throw new IllegalArgumentException(tokenizer != null ? "this model takes text, not images or audio"
          : "this patch model has no image.json saying how images become patches");
    }
    var t = audioFormat != null ? audioFormat.tokenize(file, imageFormat) : imageFormat.tokenize(file);
    return new Input.Patches(t.values(), t.count());
  }

  public EncoderConfig config() {
    return encoder.config();
  }

  public Encoder encoder() {
    return encoder;
  }

  /** The tokenizer of a text model; null for a patch model. */
  public TextTokenizer tokenizer() {
    return tokenizer;
  }

  public Input.Modality modality() {
    return encoder.config().patchDim() > 0 ? Input.Modality.PATCHES : Input.Modality.TEXT;
  }

  /** The full embedding width d (the projection's size when there is one). */
  public int width() {
    return encoder.config().embeddingSize();
  }

  public int layers() {
    return encoder.config().layers();
  }

  /** Tokens (or patches) per input: longer texts are cut, more patches are refused. */
  public int maxTokens() {
    return encoder.config().maxSeqLen();
  }

  /** Embeds texts (see the class comment for the rules). */
  public Embeddings embedTexts(List<String> texts, EmbedOptions options) {
    if (textTower != null) {
      return textTower.embedTexts(texts, options);
    }
    requireText();
    return embedCut(tokenizer.encodeOrdinaryBatch(texts, Integer.MAX_VALUE, pool), options);
  }

  /** Sequences of any length cut to {@link #maxTokens}, embedded, the cut ones counted. */
  private Embeddings embedCut(List<int[]> sequences, EmbedOptions options) {
    int truncated = 0;
    List<int[]> ids = new ArrayList<>(sequences.size());
    for (int[] t : sequences) {
      if (t.length > maxTokens()) {
        truncated++;
        t = tokenizer.cut(t, maxTokens());
      }
      ids.add(t);
    }
    Embeddings e = embedTokenIds(ids, options);
    return new Embeddings(e.vectors(), e.rows(), e.dim(), truncated, e.empty(), e.layers());
  }

  /** Embeds any inputs of the model's modality, in order. */
  public Embeddings embed(List<? extends Input> inputs, EmbedOptions options) {
    if (textTower != null && !inputs.isEmpty() && !(inputs.get(0) instanceof Input.Patches)) {
      return textTower.embed(inputs, options); // it refuses patches among the texts
    }
    if (modality() == Input.Modality.PATCHES) {
      List<float[]> patches = new ArrayList<>(inputs.size());
      int[] counts = new int[inputs.size()];
      for (int i = 0; i < inputs.size(); i++) {
        if (!(inputs.get(i) instanceof Input.Patches p)) {
          throw new IllegalArgumentException("input " + i + " is " + kind(inputs.get(i))
              + " but this model takes patches (patch_dim " + config().patchDim() + ")");
        }
        if (p.values().length != p.tokens() * config().patchDim()) {
          throw new IllegalArgumentException("input " + i + " has " + p.values().length
              + " values, not tokens × patch_dim = " + p.tokens() + " × " + config().patchDim());
        }
        if (p.tokens() > maxTokens()) {
          throw new IllegalArgumentException("input " + i + " has " + p.tokens()
              + " patches; the model takes at most " + maxTokens() + " (max_seq_len)");
        }
        patches.add(p.values());
        counts[i] = p.tokens();
      }
      return run(inputs.size(), counts, null, patches, options);
    }
    List<int[]> ids = new ArrayList<>(inputs.size());
    for (Input in : inputs) {
      switch (in) {
        case Input.Text t -> ids.add(tokenizer.encodeOrdinary(t.text()));
        case Input.TokenIds t -> ids.add(t.ids());
        case Input.Patches p -> throw new IllegalArgumentException("this model takes text, not patches");
      }
    }
    return embedCut(ids, options);
  }

  /** Embeds token id sequences (each at most {@link #maxTokens} long, ids below vocab_size). */
  public Embeddings embedTokenIds(List<int[]> sequences, EmbedOptions options) {
    if (textTower != null) {
      return textTower.embedTokenIds(sequences, options);
    }
    requireText();
    int[] counts = new int[sequences.size()];
    int vocab = config().vocabSize();
    for (int i = 0; i < counts.length; i++) {
      int[] ids = sequences.get(i);
      if (ids.length > maxTokens()) {
        throw new IllegalArgumentException("sequence " + i + " has " + ids.length
            + " tokens; the model takes at most " + maxTokens());
      }
      for (int id : ids) {
        if (id < 0 || id >= vocab) {
          throw new IllegalArgumentException("sequence " + i + " has token id " + id
              + " outside the model's vocabulary 0.." + (vocab - 1));
        }
      }
      counts[i] = ids.length;
    }
    return run(sequences.size(), counts, sequences, null, options);
  }

  private Embeddings run(int n, int[] counts, List<int[]> ids, List<float[]> patches,
      EmbedOptions o) {
    var c = config();
    int width = c.embeddingSize();
    int m = o.dim() == 0 ? width : o.dim();
    int layer = o.layer() == 0 ? c.layers() : o.layer();
    if (m > width) {
      throw new IllegalArgumentException("dim must be in 1.." + width + ", got " + m);
    }
    if (layer > c.layers()) {
      throw new IllegalArgumentException("layer must be in 1.." + c.layers() + ", got " + layer);
    }
    float[] full = new float[n * width];
    boolean tap = layer < c.layers();
    int[] exitLayer = o.exit() == null ? null : new int[n];
    // batches of inputs of similar length, longest first (as sentence-transformers does): a
    // batch is padded to its longest input, and one 200-token sentence would otherwise pad 63
    // short ones. Each row is the same bits in any batch (padding is masked), so the order only
    // changes the time; the rows come back in input order.
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (x, y) -> Integer.compare(counts[y], counts[x]));
    passLock.lock();
    try {
      for (int start = 0, rows; start < n; start += rows) {
        rows = passRows(counts, order, start, n, o.batch());
        // a pass as long as this batch's longest input (its first), rounded up to 8 positions: a
        // pass of the exact length ran 2-6% faster on sentences but gave rows that differ in the
        // last bit from the same rows in a longer pass, which the rule above forbids
        int seq = paddedLength(counts[order[start]]);
        if (exitLayer != null) {
          runExiting(rows, seq, start, order, counts, ids, patches, o.exit(), full, exitLayer);
          continue;
        }
        // a cut at layer l runs layers 1 … l only: the same bits as the full pass's tap there
        // (EarlyExitTest), for l/L of the time
        Encoder.Pass pass = tap ? segment(rows, seq, 0, layer) : pass(rows, seq);
        fill(pass, rows, seq, start, order, counts, ids, patches);
        pass.graph.forward();
        var pooled = pass.pooled;
        for (int b = 0; b < rows; b++) {
          System.arraycopy(pooled.data(), pooled.offset() + b * width, full, order[start + b] * width, width);
        }
      }
    } finally {
      passLock.unlock();
    }
    int empty = 0;
    for (int i = 0; i < n; i++) {
      if (counts[i] == 0) {
        Arrays.fill(full, i * width, (i + 1) * width, 0f);
        empty++;
      }
    }
    float[] out;
    if (o.normalize()) {
      out = Embeddings.normalizedPrefix(full, n, width, m);
    } else if (m == width) {
      out = full;
    } else {
      out = new float[n * m];
      for (int i = 0; i < n; i++) {
        System.arraycopy(full, i * width, out, i * m, m);
      }
    }
    return new Embeddings(out, n, m, 0, empty, exitLayer);
  }

  /** Rows a pass holds at least before it may stop at a shorter input (fewer, larger passes). */
  static final int MIN_PASS_ROWS = 8;

  /** Positions of the pass an input of {@code tokens} runs in: its length rounded up to 8, at most max_seq_len. */
  private int paddedLength(int tokens) {
    int max = config().maxSeqLen();
    return Math.min(max, (Math.max(1, Math.min(max, tokens)) + 7) / 8 * 8);
  }

  /**
   * How many of the inputs order[start …] (longest first) the next pass takes: up to {@code batch},
   * stopping where they drop to a shorter padded length once the pass holds {@link #MIN_PASS_ROWS}.
   * Every row of a pass is padded to its first: a batch of short texts with one long one would
   * otherwise pay the long one's length for all (a server's batch of 35 WordNet lemmas ran at
   * half the rate of the same lemmas sorted into batches). Rows do not depend on the pass they
   * run in, so this changes the time only.
   */
  private int passRows(int[] counts, Integer[] order, int start, int n, int batch) {
    int first = paddedLength(counts[order[start]]), rows = 1;
    while (rows < batch && start + rows < n) {
      if (paddedLength(counts[order[start + rows]]) < first && rows >= MIN_PASS_ROWS) {
        break;
      }
      rows++;
    }
    return rows;
  }

  /** Puts the batch's inputs (order[start …], padded to seq) into the first pass of a batch. */
  private void fill(Encoder.Pass pass, int rows, int seq, int start, Integer[] order, int[] counts,
      List<int[]> ids, List<float[]> patches) {
    if (ids != null) {
      Arrays.fill(pass.ids, 0);
      for (int b = 0; b < rows; b++) {
        // an empty sequence runs as one token 0; its row is zeroed later
        int[] t = ids.get(order[start + b]);
        System.arraycopy(t, 0, pass.ids, b * seq, Math.min(seq, t.length));
        pass.lengths[b] = Math.max(1, Math.min(seq, t.length));
      }
    } else {
      int pd = config().patchDim();
      float[] dst = pass.patches.data();
      int off = pass.patches.offset();
      Arrays.fill(dst, off, off + rows * seq * pd, 0f);
      for (int b = 0; b < rows; b++) {
        int t = Math.min(seq, counts[order[start + b]]);
        System.arraycopy(patches.get(order[start + b]), 0, dst, off + b * seq * pd, t * pd);
        pass.lengths[b] = Math.max(1, t);
      }
    }
  }

  // early exit's carry between segments: the surviving rows' hidden states and embeddings
  private float[] carryHidden = new float[0], carryBefore = new float[0], carryNext = new float[0];

  /**
   * One batch with early exit: one layer at a time, each a pass over the rows still running;
   * after each layer the rule says which rows stop (their embedding is that layer's), and the
   * others' hidden states move, compacted, into the next layer's smaller pass. A row that never
   * stops goes through the same operations as in the full pass, so it gets the same bits.
   */
  private void runExiting(int rows, int seq, int start, Integer[] order, int[] counts,
      List<int[]> ids, List<float[]> patches, ExitRule rule, float[] full, int[] exitLayer) {
    var c = config();
    int width = c.embeddingSize(), d = c.dModel(), layers = c.layers(), block = seq * d;
    int[] alive = new int[rows], lengths = new int[rows];
    for (int b = 0; b < rows; b++) {
      alive[b] = order[start + b];
    }
    if (carryHidden.length < rows * block) {
      carryHidden = new float[rows * block];
    }
    if (carryBefore.length < rows * width) {
      carryBefore = new float[rows * width];
      carryNext = new float[rows * width];
    }
    int live = rows;
    for (int l = 0; l < layers && live > 0; l++) {
      Encoder.Pass pass = segment(live, seq, l, l + 1);
      if (l == 0) {
        fill(pass, rows, seq, start, order, counts, ids, patches);
      } else {
        System.arraycopy(carryHidden, 0, pass.hiddenIn.data(), pass.hiddenIn.offset(), live * block);
        System.arraycopy(lengths, 0, pass.lengths, 0, live);
      }
      pass.graph.forward();
      float[] now = pass.pooled.data(), hidden = pass.hiddenOut.data();
      int nowOff = pass.pooled.offset(), hiddenOff = pass.hiddenOut.offset();
      int kept = 0;
      for (int r = 0; r < live; r++) {
        // an empty input is a row of zeros whatever it runs through: it stops at once
        boolean stop = l == layers - 1 || counts[alive[r]] == 0
            || rule.exits(l + 1, now, nowOff + r * width, l == 0 ? null : carryBefore, r * width, width);
        if (stop) {
          System.arraycopy(now, nowOff + r * width, full, alive[r] * width, width);
          exitLayer[alive[r]] = l + 1;
          continue;
        }
        System.arraycopy(hidden, hiddenOff + r * block, carryHidden, kept * block, block);
        System.arraycopy(now, nowOff + r * width, carryNext, kept * width, width);
        alive[kept] = alive[r];
        lengths[kept] = pass.lengths[r];
        kept++;
      }
      float[] t = carryBefore;
      carryBefore = carryNext;
      carryNext = t;
      live = kept;
    }
  }

  /** The pass of layers [from, to) over {@code batch} rows, built on first use; under the pass lock. */
  private Encoder.Pass segment(int batch, int seq, int from, int to) {
    return cached("layers" + from + "-" + to + ":" + batch + "x" + seq,
        memory -> encoder.buildSegment(pool, batch, seq, from, to, memory, packWeights ? this::packedWeight : null));
  }

  /** The inference pass of a shape, built on first use; called under the pass lock. */
  private Encoder.Pass pass(int batch, int seq) {
    return cached(batch + "x" + seq, memory -> encoder.buildInference(pool, batch, seq, false, memory, packWeights ? this::packedWeight : null));
  }

  private Encoder.Pass cached(String key,
      java.util.function.Function<java.util.function.IntFunction<float[]>, Encoder.Pass> build) {
    Encoder.Pass p = passes.remove(key);
    if (p == null) {
      if (passes.size() == CACHED_PASSES) {
        passes.remove(passes.keySet().iterator().next());
      }
      p = build.apply(size -> {
        if (activations.length < size) {
          // the passes built on the smaller array go with it
          passes.clear();
          activations = new float[size];
        }
        return activations;
      });
    }
    passes.put(key, p);
    return p;
  }

  private void requireText() {
    if (tokenizer == null) {
      throw new IllegalArgumentException("this model takes patches (patch_dim "
          + config().patchDim() + "), not text");
    }
  }

  private static String kind(Input in) {
    return switch (in) {
      case Input.Text t -> "text";
      case Input.TokenIds t -> "token ids";
      case Input.Patches p -> "patches";
    };
  }
}
