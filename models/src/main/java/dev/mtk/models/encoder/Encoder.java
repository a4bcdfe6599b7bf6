package dev.mtk.models.encoder;

import dev.mtk.core.kernel.GeluForm;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.nn.ops.Add;
import dev.mtk.models.nn.autograd.Arena;
import dev.mtk.models.nn.ops.Attention;
import dev.mtk.models.nn.ops.Embedding;
import dev.mtk.models.nn.ops.Gelu;
import dev.mtk.models.nn.autograd.Graph;
import dev.mtk.models.nn.ops.LayerNorm;
import dev.mtk.models.nn.ops.Linear;
import dev.mtk.models.nn.loss.MatryoshkaInfoNce;
import dev.mtk.models.nn.ops.MeanPool;
import dev.mtk.models.nn.ops.RowWise;
import dev.mtk.models.nn.autograd.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A transformer encoder with Matryoshka output (docs/ARCHITECTURE.md has the equations): token +
 * learned position embeddings; pre-LN (mtk's own models) per layer x += Attn(LN1(x)),
 * x += MLP(LN2(x)) with a GELU (erf) MLP and a final LN, or post-LN (BERT, for imported models)
 * with token-type embeddings, a layer norm on the embeddings and x = LN1(x + Attn(x)),
 * x = LN2(x + MLP(x)); mean pooling over non-padding tokens (or the first token). The parameters
 * live in one arena under the names that model.safetensors uses.
 */
public final class Encoder {

  private final EncoderConfig config;
  private final Arena params = new Arena("parameters");
  private final Map<String, Tensor> byName = new LinkedHashMap<>();

  private Encoder(EncoderConfig config) {
    this(config, true);
  }

  /** Declares the parameters; {@code allocate} false leaves the arena without memory (a layout). */
  private Encoder(EncoderConfig config, boolean allocate) {
    this.config = config;
    int v = config.vocabSize(), d = config.dModel(), f = config.ffn();
    if (config.patchDim() > 0) {
      param("embeddings.patch.weight", d, config.patchDim());
      param("embeddings.patch.bias", d);
    } else {
      param("embeddings.token.weight", v, d);
    }
    param("embeddings.position.weight", config.maxSeqLen(), d);
    if (config.tokenTypes() > 0) {
      param("embeddings.token_type.weight", config.tokenTypes(), d);
    }
    boolean post = config.norm() == EncoderConfig.Norm.POST;
    if (post) {
      param("embeddings.ln.weight", d);
      param("embeddings.ln.bias", d);
    }
    for (int l = 0; l < config.layers(); l++) {
      String p = "layers." + l + ".";
      param(p + "ln1.weight", d);
      param(p + "ln1.bias", d);
      param(p + "attn.qkv.weight", 3 * d, d);
      param(p + "attn.qkv.bias", 3 * d);
      param(p + "attn.out.weight", d, d);
      param(p + "attn.out.bias", d);
      param(p + "ln2.weight", d);
      param(p + "ln2.bias", d);
      param(p + "mlp.fc1.weight", f, d);
      param(p + "mlp.fc1.bias", f);
      param(p + "mlp.fc2.weight", d, f);
      param(p + "mlp.fc2.bias", d);
    }
    if (!post) {
      param("final_ln.weight", d);
      param("final_ln.bias", d);
    }
    if (config.projection() > 0) {
      param("projection.weight", config.projection(), d);
      param("projection.bias", config.projection());
    }
    if (allocate) {
      params.freeze();
    }
  }

  /**
   * The parameters' names and shapes in declaration (and model.safetensors) order, without
   * allocating them: what a converter writes a model file from, tensor by tensor.
   */
  public static Map<String, int[]> layout(EncoderConfig config) {
    Map<String, int[]> out = new LinkedHashMap<>();
    new Encoder(config, false).byName.forEach((n, t) -> out.put(n, t.shape()));
    return out;
  }

  private void param(String name, int... shape) {
    byName.put(name, params.alloc(name, shape));
  }

  /**
   * How a new encoder's matrices start. {@code NORMAL} is GPT-2's N(0, 0.02²) for every matrix and
   * embedding, whatever its size. {@code FAN_IN} scales each linear layer's weights by its input
   * width — N(0, 1/(3·fan_in)), the variance of PyTorch's default U(±1/√fan_in) — and keeps
   * 0.02 for the embeddings. At d 64 that is 3.6× larger than 0.02: a small ViT on Fashion-MNIST
   * reached 0.751 probe top-1 after 600 steps with it against 0.654 with NORMAL (docs/RESULTS.md).
   */
  public enum Init {
    NORMAL, FAN_IN;

    double std(Tensor t) {
      boolean embedding = t.name().startsWith("embeddings.position") || t.name().startsWith("embeddings.token");
      if (this == NORMAL || embedding) {
        return 0.02;
      }
      int[] shape = t.shape();
      return 1 / Math.sqrt(3.0 * shape[shape.length - 1]);
    }
  }

  /** {@link #init(EncoderConfig, long, Init)} with GPT-2's N(0, 0.02²). */
  public static Encoder init(EncoderConfig config, long seed) {
    return init(config, seed, Init.NORMAL);
  }

  /**
   * A new encoder with seeded weights: matrices and embeddings drawn as {@code init} says, the
   * projection (when there is one) the first m coordinates, biases 0, layer-norm weights 1 and
   * biases 0. Tensors are filled in declaration order from one
   * SplittableRandom(seed), so the same seed gives bit-identical weights.
   */
  public static Encoder init(EncoderConfig config, long seed, Init init) {
    Encoder e = new Encoder(config);
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] data = e.params.data();
    for (Tensor t : e.params.tensors()) {
      String n = t.name();
      boolean ln = n.contains("ln");
      if (n.endsWith(".bias")) {
        continue; // zeros
      }
      if (n.equals("projection.weight")) {
        // the first m coordinates of the pooled output, not a random mix of all d: a random
        // projection made fixed-feature models (trained at m alone) worse than a full-width
        // model cut to m (docs/RESULTS.md), and training can still move it anywhere
        // (a projection wider than d_model keeps its extra rows at zero)
        for (int r = 0; r < Math.min(t.dim(0), t.dim(1)); r++) {
          data[t.offset() + r * t.dim(1) + r] = 1f;
        }
        continue;
      }
      double std = init.std(t);
      for (int i = 0; i < t.size(); i++) {
        data[t.offset() + i] = ln ? 1f : (float) (std * gaussian(rnd));
      }
    }
    return e;
  }

  /** An encoder whose weights the caller fills (a checkpoint loader). */
  public static Encoder empty(EncoderConfig config) {
    return new Encoder(config);
  }

  /**
   * The model cut after its first {@code layers} layers, the final layer norm, pooling and
   * projection kept: the early exit that adaptive-layer (2D Matryoshka) training prepares for.
   * Its embeddings equal this model's layer tap {@code layers − 1}. The weights are copied.
   */
  public Encoder firstLayers(int layers) {
    if (layers < 1 || layers > config.layers()) {
      throw new IllegalArgumentException("layer must be in 1.." + config.layers() + ", got " + layers);
    }
    EncoderConfig c = config;
    Encoder cut = new Encoder(new EncoderConfig(c.vocabSize(), c.dModel(), c.heads(), c.ffn(), layers,
        c.maxSeqLen(), c.layerNormEps(), c.nesting(), c.pooling(), c.dropout(), c.projection(),
        c.patchDim(), c.norm(), c.tokenTypes()));
    cut.byName.forEach((name, t) -> t.set(parameter(name).values()));
    return cut;
  }

  /** A standard normal by Box–Muller, so the sequence is defined by SplittableRandom alone. */
  static double gaussian(SplittableRandom rnd) {
    double u1 = rnd.nextDouble(), u2 = rnd.nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  }

  public EncoderConfig config() {
    return config;
  }

  public Arena parameters() {
    return params;
  }

  /** Parameters by name, in declaration (and file) order. */
  public Map<String, Tensor> namedParameters() {
    return java.util.Collections.unmodifiableMap(byName);
  }

  public Tensor parameter(String name) {
    Tensor t = byName.get(name);
    if (t == null) {
      throw new IllegalArgumentException("no parameter named " + name);
    }
    return t;
  }

  /**
   * The forward (and backward) graph of one batch shape. Fill {@link #ids} ([batch · seqLen],
   * padding after each sequence's length) and {@link #lengths}, then run {@link #graph}.
   */
  public static final class Pass {
    public final int batch, seqLen;
    /** [batch · seqLen] token ids (token input). */
    public final int[] ids;
    /** [batch · seqLen, patch_dim] continuous tokens (patch input); null for token input. */
    public final Tensor patches;
    /** The dropout ops, to switch off for evaluation and to save their position for resuming. */
    public final java.util.List<dev.mtk.models.nn.ops.Dropout> dropouts;
    public final int[] lengths;
    public final Graph graph;
    public final Arena activations;
    /** [batch, d] pooled embeddings. */
    public final Tensor pooled;
    /** [1] the training objective's loss; null for inference. */
    public final Tensor loss;
    /** [layers, batch, d] pooled embeddings after each layer (final LN applied); null if not asked. */
    public final Tensor[] layerPooled;
    /**
     * A segment's input, [batch · seqLen, d]: the hidden states after the layer before its first
     * (the caller fills it); null for a pass that starts from tokens or patches.
     */
    public final Tensor hiddenIn;
    /** [batch · seqLen, d] the hidden states after the pass's last layer (before the final LN). */
    public final Tensor hiddenOut;
    /** The layers this pass runs, [from, to), counted from 0. */
    public final int fromLayer, toLayer;

    Pass(int batch, int seqLen, int[] ids, Tensor patches, java.util.List<dev.mtk.models.nn.ops.Dropout> dropouts,
        int[] lengths, Graph graph, Arena activations, Tensor pooled, Tensor loss, Tensor[] layerPooled,
        Tensor hiddenIn, Tensor hiddenOut, int fromLayer, int toLayer) {
      this.batch = batch;
      this.seqLen = seqLen;
      this.ids = ids;
      this.patches = patches;
      this.dropouts = dropouts;
      this.lengths = lengths;
      this.graph = graph;
      this.activations = activations;
      this.pooled = pooled;
      this.loss = loss;
      this.layerPooled = layerPooled;
      this.hiddenIn = hiddenIn;
      this.hiddenOut = hiddenOut;
      this.fromLayer = fromLayer;
      this.toLayer = toLayer;
    }
  }

  /**
   * Builds the graph for {@code batch} sequences of {@code seqLen} positions. With
   * {@code lossDims} non-null, the batch is B anchors followed by their B positives and the graph
   * ends in the Matryoshka InfoNCE loss over those prefix sizes at the given temperature, and
   * holds gradients; without, it is an inference graph with no gradient memory. With
   * {@code layerTaps}, it also pools after every layer (for 2D Matryoshka and early exit).
   */
  public Pass build(WorkerPool pool, int batch, int seqLen, int[] lossDims, float temperature,
      boolean layerTaps) {
    return build(pool, batch, seqLen, lossDims, temperature, layerTaps, 0L);
  }

  /** As above; {@code dropoutSeed} seeds the dropout masks when the config has dropout. */
  public Pass build(WorkerPool pool, int batch, int seqLen, int[] lossDims, float temperature,
      boolean layerTaps, long dropoutSeed) {
    if (lossDims != null && batch % 2 != 0) {
      throw new IllegalArgumentException("a contrastive batch holds anchors then positives: even size");
    }
    Objective fused = lossDims == null ? null : (g, a, embeddings, layers) -> {
      Tensor loss = a.alloc("loss", 1);
      g.add(new MatryoshkaInfoNce(embeddings, lossDims, temperature, loss));
      return loss;
    };
    return build(pool, batch, seqLen, fused, layerTaps, dropoutSeed);
  }

  /**
   * A training objective on top of the encoder: given the graph being built, its activation arena
   * (still open for declarations), the final embeddings [batch, e] and, with layer taps, each
   * layer's embeddings, it adds its ops and returns the scalar loss to minimise.
   */
  @FunctionalInterface
  public interface Objective {
    Tensor attach(Graph graph, Arena activations, Tensor embeddings, Tensor[] layerEmbeddings);
  }

  /**
   * The graph of one batch shape ending in any {@link Objective} (null: an inference graph
   * without gradient memory).
   */
  public Pass build(WorkerPool pool, int batch, int seqLen, Objective objective,
      boolean layerTaps, long dropoutSeed) {
    return build(pool, batch, seqLen, objective, layerTaps, dropoutSeed, float[]::new, 0, config.layers(), null);
  }

  /**
   * An inference graph whose activations live in memory that {@code memory} hands out (see
   * {@link Arena#Arena(String, boolean, java.util.function.IntFunction)}): passes that never run
   * at the same time may share it.
   */
  public Pass buildInference(WorkerPool pool, int batch, int seqLen, boolean layerTaps,
      java.util.function.IntFunction<float[]> memory) {
    return build(pool, batch, seqLen, null, layerTaps, 0L, memory, 0, config.layers(), null);
  }

  /**
   * As above, its linear layers reading their weights packed by {@code packer} (called once per
   * weight this pass uses; a caller that keeps what it returns packs each weight once for all its
   * passes). The weights must not change while such a pass is used.
   */
  public Pass buildInference(WorkerPool pool, int batch, int seqLen, boolean layerTaps,
      java.util.function.IntFunction<float[]> memory,
      java.util.function.Function<Tensor, dev.mtk.core.kernel.Gemm.PackedB> packer) {
    return build(pool, batch, seqLen, null, layerTaps, 0L, memory, 0, config.layers(), packer);
  }

  /**
   * An inference pass over layers [from, to) only (counted from 0): from 0 it starts from tokens
   * or patches, later from {@link Pass#hiddenIn}, the hidden states another segment left in its
   * {@link Pass#hiddenOut}; its {@link Pass#pooled} is layer to's embedding (final layer norm,
   * pooling, projection). Segments chained over all layers give the full pass's bits: early exit
   * runs a batch one segment at a time and moves on only the rows that did not exit.
   */
  public Pass buildSegment(WorkerPool pool, int batch, int seqLen, int from, int to,
      java.util.function.IntFunction<float[]> memory) {
    return buildSegment(pool, batch, seqLen, from, to, memory, null);
  }

  /** As above, with weights packed by {@code packer} (see {@link #buildInference}). */
  public Pass buildSegment(WorkerPool pool, int batch, int seqLen, int from, int to,
      java.util.function.IntFunction<float[]> memory,
      java.util.function.Function<Tensor, dev.mtk.core.kernel.Gemm.PackedB> packer) {
    if (from < 0 || to <= from || to > config.layers()) {
      throw new IllegalArgumentException("a segment covers layers [from, to) within 0.." + config.layers()
          + ", got [" + from + ", " + to + ")");
    }
    return build(pool, batch, seqLen, null, false, 0L, memory, from, to, packer);
  }

  private Pass build(WorkerPool pool, int batch, int seqLen, Objective objective,
      boolean layerTaps, long dropoutSeed, java.util.function.IntFunction<float[]> memory,
      int from, int to, java.util.function.Function<Tensor, dev.mtk.core.kernel.Gemm.PackedB> packer) {
    boolean training = objective != null;
    if (seqLen < 1 || seqLen > config.maxSeqLen()) {
      throw new IllegalArgumentException("sequence length " + seqLen + " is outside 1.."
          + config.maxSeqLen());
    }
    int d = config.dModel(), f = config.ffn(), h = config.heads(), n = batch * seqLen;
    float eps = config.layerNormEps();
    Arena a = new Arena("activations", training, memory);
    int[] ids = new int[n];
    java.util.List<dev.mtk.models.nn.ops.Dropout> drops = new java.util.ArrayList<>();
    float rate = training ? config.dropout() : 0f;
    int[] lengths = new int[batch];
    java.util.Arrays.fill(lengths, seqLen);
    Graph g = new Graph(a, pool);
    Buffers buf = new Buffers(a, !training, training ? null : packer);
    Tensor hiddenIn = from > 0 ? a.alloc("hidden_in", n, d) : null;
    Tensor x = from > 0 ? hiddenIn : a.alloc("embed", n, d);
    Tensor patches = null;
    if (from > 0) {
      // the hidden states of layer from − 1 come from the caller
    } else if (config.patchDim() > 0) {
      patches = a.alloc("patches", n, config.patchDim());
      g.add(new dev.mtk.models.nn.ops.PatchEmbedding(pool, patches, parameter("embeddings.patch.weight"),
          parameter("embeddings.patch.bias"), parameter("embeddings.position.weight"), x, seqLen));
    } else {
      g.add(new Embedding(ids, parameter("embeddings.token.weight"),
          parameter("embeddings.position.weight"),
          config.tokenTypes() > 0 ? parameter("embeddings.token_type.weight") : null, x, seqLen));
    }
    boolean post = config.norm() == EncoderConfig.Norm.POST;
    if (post && from == 0) {
      Tensor normed = a.alloc("embed_ln", n, d);
      g.add(new LayerNorm(pool, x, parameter("embeddings.ln.weight"), parameter("embeddings.ln.bias"),
          normed, eps));
      x = normed;
    }
    Tensor[] taps = layerTaps ? new Tensor[config.layers()] : null;
    // The linear layer whose output the next row-wise ops read (null when a dropout or another op
    // sits between): they run inside its GEMM (Linear.then), with the same results.
    Linear rowSource = null;
    for (int l = from; l < to && post; l++) {
      x = postLnLayer(g, a, buf, pool, l, x, batch, seqLen, lengths, training, rate, dropoutSeed, drops);
      if (taps != null && l < to - 1) {
        taps[l] = head(g, a, pool, x, lengths, batch, "layers." + l + ".tap_");
      }
    }
    for (int l = from; l < to && !post; l++) {
      String p = "layers." + l + ".";
      Tensor ln1 = buf.get(p, "ln1", n, d);
      addRowWise(g, rowSource, new LayerNorm(pool, x, parameter(p + "ln1.weight"),
          parameter(p + "ln1.bias"), ln1, eps));
      Linear out = attention(g, a, buf, pool, p, ln1, batch, seqLen, lengths, training);
      Tensor proj = out.output();
      Tensor dropped = dropout(g, a, drops, proj, rate, dropoutSeed, p + "drop1");
      rowSource = dropped == proj ? out : null;
      // Inference adds the residual in place, into the projection just computed (still in cache).
      Tensor res1 = training ? a.alloc(p + "res1", n, d) : dropped;
      addRowWise(g, rowSource, new Add(pool, x, dropped, res1));
      Tensor ln2 = buf.get(p, "ln2", n, d);
      addRowWise(g, rowSource, new LayerNorm(pool, res1, parameter(p + "ln2.weight"),
          parameter(p + "ln2.bias"), ln2, eps));
      Tensor fc2 = buf.get(p, "fc2", n, d);
      Linear down = mlp(g, a, buf, pool, p, ln2, fc2, training, rate, dropoutSeed, drops);
      dropped = dropout(g, a, drops, fc2, rate, dropoutSeed, p + "drop2");
      rowSource = dropped == fc2 ? down : null;
      Tensor res2 = training ? a.alloc(p + "res2", n, d) : dropped;
      addRowWise(g, rowSource, new Add(pool, res1, dropped, res2));
      x = res2;
      if (taps != null && l < to - 1) {
        Tensor tapLn = buf.get(p, "tap_ln", n, d);
        addRowWise(g, rowSource, new LayerNorm(pool, x, parameter("final_ln.weight"),
            parameter("final_ln.bias"), tapLn, eps));
        taps[l] = head(g, a, pool, tapLn, lengths, batch, p + "tap_");
      }
    }
    Tensor fin = x;
    if (!post) {
      fin = a.alloc("final_ln", n, d);
      addRowWise(g, rowSource, new LayerNorm(pool, x, parameter("final_ln.weight"),
          parameter("final_ln.bias"), fin, eps));
    }
    Tensor pooled = head(g, a, pool, fin, lengths, batch, "");
    if (taps != null) {
      taps[config.layers() - 1] = pooled;
    }
    Tensor loss = training ? objective.attach(g, a, pooled, taps) : null;
    a.freeze();
    return new Pass(batch, seqLen, ids, patches, java.util.List.copyOf(drops), lengths, g, a,
        pooled, loss, taps, hiddenIn, x, from, to);
  }

  /** The attention block of layer prefix p: Attn(in) · W_oᵀ + b_o; returns its out-projection (output(): proj). */
  private Linear attention(Graph g, Arena a, Buffers buf, WorkerPool pool, String p, Tensor in,
      int batch, int seqLen, int[] lengths, boolean training) {
    int d = config.dModel(), h = config.heads(), n = batch * seqLen;
    Tensor qkv = buf.get(p, "qkv", n, 3 * d);
    g.add(buf.pack(new Linear(pool, in, parameter(p + "attn.qkv.weight"), parameter(p + "attn.qkv.bias"), qkv)));
    Tensor att = buf.get(p, "att", n, d);
    if (training) {
      Tensor probs = a.alloc(p + "probs", batch, h, seqLen, seqLen);
      g.add(new Attention(pool, qkv, att, probs, lengths, h));
    } else {
      g.add(Attention.forInference(pool, qkv, att, lengths, h, batch, seqLen));
    }
    Tensor proj = buf.get(p, "proj", n, d);
    return g.add(buf.pack(new Linear(pool, att, parameter(p + "attn.out.weight"),
        parameter(p + "attn.out.bias"), proj)));
  }

  /** The MLP block of layer prefix p: out = GELU(in · W₁ᵀ + b₁) · W₂ᵀ + b₂; returns its second linear layer. */
  private Linear mlp(Graph g, Arena a, Buffers buf, WorkerPool pool, String p, Tensor in,
      Tensor out, boolean training, float rate, long dropoutSeed,
      java.util.List<dev.mtk.models.nn.ops.Dropout> drops) {
    int f = config.ffn(), n = out.dim(0);
    Tensor fc1 = buf.get(p, "fc1", n, f);
    Linear up = g.add(buf.pack(new Linear(pool, in, parameter(p + "mlp.fc1.weight"),
        parameter(p + "mlp.fc1.bias"), fc1)));
    // Inference keeps no pre-activations for a backward pass: GELU then works in place, which
    // spares writing (and first fetching) the widest activation a second time.
    Tensor act = training ? a.alloc(p + "gelu", n, f) : fc1;
    addRowWise(g, up, new Gelu(pool, GeluForm.ERF, fc1, act));
    act = dropout(g, a, drops, act, rate, dropoutSeed, p + "drop_mlp");
    return g.add(buf.pack(new Linear(pool, act, parameter(p + "mlp.fc2.weight"),
        parameter(p + "mlp.fc2.bias"), out)));
  }

  /**
   * One post-LN (BERT) layer: h = LN1(x + Attn(x)), out = LN2(h + MLP(h)). The residual adds and
   * the layer norms run inside the GEMM that feeds them, as in the pre-LN layers.
   */
  private Tensor postLnLayer(Graph g, Arena a, Buffers buf, WorkerPool pool, int l, Tensor x, int batch,
      int seqLen, int[] lengths, boolean training, float rate, long dropoutSeed,
      java.util.List<dev.mtk.models.nn.ops.Dropout> drops) {
    int d = config.dModel(), n = batch * seqLen;
    float eps = config.layerNormEps();
    String p = "layers." + l + ".";
    Linear out = attention(g, a, buf, pool, p, x, batch, seqLen, lengths, training);
    Tensor proj = out.output();
    Tensor dropped = dropout(g, a, drops, proj, rate, dropoutSeed, p + "drop1");
    Linear rowSource = dropped == proj ? out : null;
    Tensor res1 = training ? a.alloc(p + "res1", n, d) : dropped;
    addRowWise(g, rowSource, new Add(pool, x, dropped, res1));
    Tensor ln1 = buf.get(p, "ln1", n, d);
    addRowWise(g, rowSource, new LayerNorm(pool, res1, parameter(p + "ln1.weight"),
        parameter(p + "ln1.bias"), ln1, eps));
    Tensor fc2 = buf.get(p, "fc2", n, d);
    Linear down = mlp(g, a, buf, pool, p, ln1, fc2, training, rate, dropoutSeed, drops);
    dropped = dropout(g, a, drops, fc2, rate, dropoutSeed, p + "drop2");
    rowSource = dropped == fc2 ? down : null;
    Tensor res2 = training ? a.alloc(p + "res2", n, d) : dropped;
    addRowWise(g, rowSource, new Add(pool, ln1, dropped, res2));
    Tensor ln2 = buf.get(p, "ln2", n, d);
    addRowWise(g, rowSource, new LayerNorm(pool, res2, parameter(p + "ln2.weight"),
        parameter(p + "ln2.bias"), ln2, eps));
    return ln2;
  }

  /** Pooling (mean or CLS), then the optional projection: the embedding of one layer's output. */
  private Tensor head(Graph g, Arena a, WorkerPool pool, Tensor normed, int[] lengths, int batch,
      String prefix) {
    int d = config.dModel();
    Tensor pooled = a.alloc(prefix + "pooled", batch, d);
    if (config.pooling() == EncoderConfig.Pooling.CLS) {
      g.add(new dev.mtk.models.nn.ops.ClsPool(normed, pooled));
    } else {
      g.add(new MeanPool(normed, lengths, pooled));
    }
    if (config.projection() == 0) {
      return pooled;
    }
    Tensor projected = a.alloc(prefix + "projected", batch, config.projection());
    g.add(new Linear(pool, pooled, parameter("projection.weight"), parameter("projection.bias"), projected));
    return projected;
  }

  /**
   * A layer's activations. Training keeps every layer's for the backward pass; inference needs a
   * layer's only until the next layer has read its output, so all layers share one set — each
   * buffer is written only after the previous layer's last read of it (layer l + 1 writes its
   * output after it has read its input, layer l's output) — by count, a 6-layer BERT's pass
   * at batch 64 × 256 tokens needs about 350 MB instead of 1.9 GB (it ran out of a 4 GB heap before).
   */
  private static final class Buffers {
    private final Arena arena;
    private final boolean shared;
    private final Map<String, Tensor> byRole = new java.util.HashMap<>();

    /** Packs an inference pass's weights once per model (null: each GEMM packs its own). */
    private final java.util.function.Function<Tensor, dev.mtk.core.kernel.Gemm.PackedB> packer;

    Buffers(Arena arena, boolean shared, java.util.function.Function<Tensor, dev.mtk.core.kernel.Gemm.PackedB> packer) {
      this.arena = arena;
      this.shared = shared;
      this.packer = packer;
    }

    Linear pack(Linear l) {
      return packer == null ? l : l.prepacked(packer.apply(l.weight()));
    }

    Tensor get(String layer, String role, int... shape) {
      if (!shared) {
        return arena.alloc(layer + role, shape);
      }
      return byRole.computeIfAbsent(role, r -> arena.alloc("layers." + r, shape));
    }
  }

  /** Puts a row-wise op on the tape, run inside source's GEMM when there is a source. */
  private static void addRowWise(Graph g, Linear source, RowWise op) {
    g.add(source == null ? op : source.then(op));
  }

  private static Tensor dropout(Graph g, Arena a, java.util.List<dev.mtk.models.nn.ops.Dropout> drops,
      Tensor in, float rate, long seed, String name) {
    if (rate == 0f) {
      return in;
    }
    Tensor out = a.alloc(name, in.shape());
    dev.mtk.models.nn.ops.Dropout op = new dev.mtk.models.nn.ops.Dropout(in, out, rate, seed + 7919L * (drops.size() + 1));
    drops.add(op);
    g.add(op);
    return out;
  }
}
