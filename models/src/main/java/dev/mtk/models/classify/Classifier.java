package dev.mtk.models.classify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mtk.core.io.AtomicFile;
import dev.mtk.core.kernel.Vectors;
import dev.mtk.models.io.SafeTensors;
import dev.mtk.models.nn.autograd.Arena;
import dev.mtk.models.nn.autograd.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The classification heads a Matryoshka classification run trained, saved beside the encoder
 * (classifier.safetensors, classifier.json): for each prefix size m a linear head on the raw
 * (not renormalised) first m dimensions of the embedding, logits = z[:m] · Wₘᵀ + bₘ — its own
 * head per size (MRL) or the first m columns of one head (MRL-E, {@code shared}) — and the
 * {@link Cascade} calibrated for it, if any.
 *
 * <p>Classifying with a cascade starts at the smallest prefix and moves to the next only while
 * the head's confidence is below that prefix's threshold, so an input spends the dimensions it
 * needs; {@link #table} scores every prefix of every input at once, for calibration and reports.
 */
public final class Classifier {

  public static final String WEIGHTS = "classifier.safetensors", CONFIG = "classifier.json";
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Enough for any real label set; a larger count in a file is refused before allocating. */
  static final int MAX_CLASSES = 100_000;

  private final List<String> classes;
  private final int[] dims;
  private final boolean shared;
  /** Per prefix k: the head's weights, row c at c·stride[k], and its biases. */
  private final float[][] weight, bias;
  private final int[] stride;
  private final Cascade cascade;
  /**
   * Under adaptive layers (2D Matryoshka), the heads trained on earlier layers' embeddings: entry
   * l − 1 reads layer l (null where none); empty otherwise. {@code depth}: when an input may stop
   * after an earlier layer (stage l − 1: layer l's full-width head; null: no early exit).
   */
  private final Classifier[] earlier;
  private final Cascade depth;

  private Classifier(List<String> classes, int[] dims, boolean shared, float[][] weight,
      float[][] bias, int[] stride, Cascade cascade) {
    this(classes, dims, shared, weight, bias, stride, cascade, new Classifier[0], null);
  }

  private Classifier(List<String> classes, int[] dims, boolean shared, float[][] weight,
      float[][] bias, int[] stride, Cascade cascade, Classifier[] earlier, Cascade depth) {
    this.classes = List.copyOf(classes);
    this.dims = dims.clone();
    this.shared = shared;
    this.weight = weight;
    this.bias = bias;
    this.stride = stride;
    if (cascade != null && cascade.thresholds().length != dims.length) {
      throw new IllegalArgumentException("a cascade over " + dims.length + " prefixes needs "
          + dims.length + " thresholds, got " + cascade.thresholds().length);
    }
    this.cascade = cascade;
    this.earlier = earlier.clone();
    if (depth != null && depth.thresholds().length != earlier.length + 1) {
      throw new IllegalArgumentException("early exit over " + (earlier.length + 1) + " layers needs "
          + (earlier.length + 1) + " thresholds, got " + depth.thresholds().length);
    }
    this.depth = depth;
  }

  /**
   * The heads of a training run's loss: named "dimM/head.weight" [C, m] and "dimM/head.bias"
   * (a head per size), or "head.weight" [C, d] and "head.bias" (one head, shared by every size);
   * per-size names behind {@code scope} ("layer4/" under adaptive layers).
   */
  public static Classifier fromHeads(Arena heads, String scope, int[] dims, List<String> classes) {
    Map<String, Tensor> named = new LinkedHashMap<>();
    for (Tensor t : heads.tensors()) {
      named.put(t.name(), t);
    }
    int c = classes.size(), k = dims.length;
    float[][] w = new float[k][], b = new float[k][];
    int[] stride = new int[k];
    // a shared head under adaptive layers is one per layer ("layer2/head.weight")
    String sharedScope = named.containsKey(scope + "head.weight") ? scope : "";
    Tensor sw = named.get(sharedScope + "head.weight");
    boolean shared = sw != null;
    Map<String, float[]> copied = new java.util.HashMap<>();
    for (int i = 0; i < k; i++) {
      Tensor tw = shared ? sw : named.get(scope + "dim" + dims[i] + "/head.weight");
      Tensor tb = shared ? named.get(sharedScope + "head.bias") : named.get(scope + "dim" + dims[i] + "/head.bias");
      if (tw == null || tb == null) {
        throw new IllegalArgumentException("no classification head for prefix " + dims[i] + " among "
            + named.keySet());
      }
      if (tw.dim(0) != c || tw.dim(1) < dims[i]) {
        throw new IllegalArgumentException("head " + tw.name() + " is " + java.util.Arrays.toString(tw.shape())
            + "; prefix " + dims[i] + " of " + c + " classes needs [" + c + ", ≥" + dims[i] + "]");
      }
      w[i] = copied.computeIfAbsent(tw.name(), n -> tw.values());
      b[i] = copied.computeIfAbsent(tb.name(), n -> tb.values());
      stride[i] = tw.dim(1);
    }
    return new Classifier(classes, dims, shared, w, b, stride, null);
  }

  /** The classifier saved in a model directory, or null when it has none. */
  public static Classifier load(Path modelDir) throws IOException {
    Path cfg = modelDir.resolve(CONFIG), file = modelDir.resolve(WEIGHTS);
    if (!Files.isRegularFile(cfg)) {
      return null;
    }
    JsonNode o;
    try {
      o = JSON.readTree(cfg.toFile());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(cfg + ": not valid JSON (" + e.getOriginalMessage() + ")");
    }
    List<String> classes = new ArrayList<>();
    JsonNode cl = o.path("classes");
    if (!cl.isArray() || cl.size() < 2 || cl.size() > MAX_CLASSES) {
      throw new IllegalArgumentException(cfg + ": field classes must list 2 to " + MAX_CLASSES + " class names");
    }
    cl.forEach(n -> classes.add(n.asText()));
    JsonNode ds = o.path("dims");
    if (!ds.isArray() || ds.isEmpty() || ds.size() > 64) {
      throw new IllegalArgumentException(cfg + ": field dims must list the prefix sizes, e.g. [8, 16, 32]");
    }
    int[] dims = new int[ds.size()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = ds.get(i).asInt(-1);
      if (dims[i] < 1 || (i > 0 && dims[i] <= dims[i - 1])) {
        throw new IllegalArgumentException(cfg + ": field dims must be positive and increasing, got " + ds);
      }
    }
    boolean shared = o.path("shared").asBoolean(false);
    int c = classes.size(), k = dims.length;
    int headWidth = o.path("head_width").asInt(dims[k - 1]);
    if (headWidth < dims[k - 1] || headWidth > 1 << 16) {
      throw new IllegalArgumentException(cfg + ": field head_width must be " + dims[k - 1] + " to 65536, got " + headWidth);
    }
    Cascade cascade = o.has("cascade") ? Cascade.fromJson(o.get("cascade"), k, cfg) : null;
    JsonNode el = o.path("exit_layers");
    if (!el.isMissingNode() && (!el.isArray() || el.size() > 1024)) {
      throw new IllegalArgumentException(cfg + ": field exit_layers must list the earlier layers that have heads");
    }
    int layers = el.isArray() && !el.isEmpty() ? o.path("layers").asInt(-1) : 1;
    if (layers < 2 && el.isArray() && !el.isEmpty() || layers > 1024) {
      throw new IllegalArgumentException(cfg + ": field layers must give the model's layer count (2 … 1024) when exit_layers is set");
    }
    Classifier[] earlier = new Classifier[layers - 1];
    Classifier top;
    try (SafeTensors.Reader r = SafeTensors.Reader.open(file)) {
      top = read(r, "", classes, dims, shared, headWidth, cascade);
      for (JsonNode n : el) {
        int l = n.asInt(-1);
        if (l < 1 || l >= layers || earlier[l - 1] != null) {
          throw new IllegalArgumentException(cfg + ": exit_layers holds " + n + "; each must be a distinct layer in 1.." + (layers - 1));
        }
        earlier[l - 1] = read(r, "layer" + l + "/", classes, dims, shared, headWidth, null);
      }
    }
    Cascade depth = o.has("early_exit") ? Cascade.fromJson(o.get("early_exit"), layers, cfg) : null;
    return new Classifier(classes, dims, shared, top.weight, top.bias, top.stride, cascade, earlier, depth);
  }

  private static Classifier read(SafeTensors.Reader r, String scope, List<String> classes, int[] dims,
      boolean shared, int headWidth, Cascade cascade) throws IOException {
    int c = classes.size(), k = dims.length;
    float[][] w = new float[k][], b = new float[k][];
    int[] stride = new int[k];
    for (int i = 0; i < k; i++) {
      String prefix = scope + (shared ? "" : "dim" + dims[i] + "/");
      stride[i] = shared ? headWidth : dims[i];
      if (shared && i > 0) {
        w[i] = w[0];
        b[i] = b[0];
        continue;
      }
      w[i] = new float[c * stride[i]];
      b[i] = new float[c];
      r.read(prefix + "head.weight", new int[] {c, stride[i]}, w[i], 0);
      r.read(prefix + "head.bias", new int[] {c}, b[i], 0);
    }
    return new Classifier(classes, dims, shared, w, b, stride, cascade);
  }

  /**
   * Writes classifier.safetensors and classifier.json into the model directory, each atomically;
   * earlier layers' heads go under "layerL/".
   */
  public void save(Path modelDir) throws IOException {
    Arena a = new Arena("classifier", false);
    Map<String, Tensor> named = new LinkedHashMap<>();
    Map<String, float[]> values = new LinkedHashMap<>();
    declare(a, "", named, values);
    for (int l = 1; l <= earlier.length; l++) {
      if (earlier[l - 1] != null) {
        earlier[l - 1].declare(a, "layer" + l + "/", named, values);
      }
    }
    a.freeze();
    values.forEach((n, v) -> named.get(n).set(v));
    SafeTensors.write(modelDir.resolve(WEIGHTS), named, Map.of("format", "pt", "producer", "mtk"));
    ObjectNode o = JSON.createObjectNode();
    var cl = o.putArray("classes");
    classes.forEach(cl::add);
    var ds = o.putArray("dims");
    for (int m : dims) {
      ds.add(m);
    }
    o.put("shared", shared);
    o.put("head_width", stride[dims.length - 1]);
    o.put("input", "raw prefix: the first m dimensions of the pooled embedding, not renormalised");
    if (cascade != null) {
      o.set("cascade", cascade.toJson());
    }
    if (earlier.length > 0) {
      o.put("layers", earlier.length + 1);
      var el = o.putArray("exit_layers");
      for (int l = 1; l <= earlier.length; l++) {
        if (earlier[l - 1] != null) {
          el.add(l);
        }
      }
      if (depth != null) {
        o.set("early_exit", depth.toJson("expected_layers"));
      }
    }
    AtomicFile.write(modelDir.resolve(CONFIG), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(o));
  }

  /** Declares this classifier's heads behind {@code scope} (a shared head once, [C, d]). */
  private void declare(Arena a, String scope, Map<String, Tensor> named, Map<String, float[]> values) {
    int heads = shared ? 1 : dims.length;
    for (int i = 0; i < heads; i++) {
      String prefix = scope + (shared ? "" : "dim" + dims[i] + "/");
      named.put(prefix + "head.weight", a.alloc(prefix + "head.weight", classes.size(), stride[i]));
      named.put(prefix + "head.bias", a.alloc(prefix + "head.bias", classes.size()));
      values.put(prefix + "head.weight", weight[i]);
      values.put(prefix + "head.bias", bias[i]);
    }
  }

  public Classifier withCascade(Cascade c) {
    return new Classifier(classes, dims, shared, weight, bias, stride, c, earlier, depth);
  }

  /**
   * This classifier (the last of {@code earlier.length + 1} layers) with heads on earlier layers
   * (entry l − 1 reads layer l; null where none), for early exit.
   */
  public Classifier withEarlierLayers(Classifier[] earlierLayers) {
    for (Classifier c : earlierLayers) {
      if (c != null && (!c.classes.equals(classes) || !java.util.Arrays.equals(c.dims, dims) || c.shared != shared)) {
        throw new IllegalArgumentException("every layer's heads must share the classes and prefix sizes");
      }
    }
    return new Classifier(classes, dims, shared, weight, bias, stride, cascade, earlierLayers, null);
  }

  /** The same with early exit by {@code d} (stages: layers 1 … L; null: none). */
  public Classifier withEarlyExit(Cascade d) {
    return new Classifier(classes, dims, shared, weight, bias, stride, cascade, earlier, d);
  }

  /** The calibrated early exit over layers, or null. */
  public Cascade earlyExit() {
    return depth;
  }

  /** The layers these heads cover: 1 without earlier layers' heads, else the model's L. */
  public int layers() {
    return earlier.length + 1;
  }

  /** The heads reading layer l's embedding (1 … {@link #layers}), or null when none were saved. */
  public Classifier atLayer(int l) {
    if (l < 1 || l > layers()) {
      throw new IllegalArgumentException("layer must be in 1.." + layers() + ", got " + l);
    }
    return l == layers() ? this : earlier[l - 1];
  }

  /**
   * For early exit: stage l − 1 is layer l's full-width head on that layer's rows
   * ({@code byLayer[l − 1]}, n × width, raw); the stage "dims" are the layer numbers, so a
   * {@link Cascade} over this table spends expected layers. A layer without heads never stops
   * (confidence NaN).
   */
  public Table depthTable(float[][] byLayer, int n, int width) {
    int layers = layers(), last = dims.length - 1;
    int[] stages = new int[layers];
    int[][] label = new int[layers][n];
    float[][] maxProb = new float[layers][n], margin = new float[layers][n];
    float[] p = new float[classes.size()];
    for (int l = 1; l <= layers; l++) {
      stages[l - 1] = l;
      Classifier c = atLayer(l);
      for (int i = 0; i < n; i++) {
        if (c == null) {
          maxProb[l - 1][i] = margin[l - 1][i] = Float.NaN;
          continue;
        }
        c.probabilitiesAt(last, byLayer[l - 1], i * width, width, p);
        int best = top(p, -1), second = top(p, best);
        label[l - 1][i] = best;
        maxProb[l - 1][i] = p[best];
        margin[l - 1][i] = p[best] - p[second];
      }
    }
    return new Table(stages, label, maxProb, margin);
  }

  /**
   * The rule that stops an input after layer l &lt; L when layer l's full-width head is at least
   * as confident as {@code depth} allows (by default the saved early exit). One rule per caller:
   * it reuses a buffer.
   */
  public dev.mtk.models.inference.ExitRule exitRule(Cascade depth) {
    if (depth == null || depth.thresholds().length != layers()) {
      throw new IllegalArgumentException("early exit needs thresholds for the " + layers()
          + " layers (mtk classify --calibrate-depth fits them)");
    }
    float[] p = new float[classes.size()];
    int last = dims.length - 1;
    return (layer, now, off, before, boff, width) -> {
      Classifier c = layer < layers() ? atLayer(layer) : null;
      if (c == null || Float.isNaN(depth.thresholds()[layer - 1])) {
        return false;
      }
      c.probabilitiesAt(last, now, off, width, p);
      int best = top(p, -1), second = top(p, best);
      return depth.stops(layer - 1, depth.confidence().of(p[best], p[second]));
    };
  }

  public List<String> classes() {
    return classes;
  }

  public int[] dims() {
    return dims.clone();
  }

  public boolean shared() {
    return shared;
  }

  /** The calibrated cascade, or null when none was saved. */
  public Cascade cascade() {
    return cascade;
  }

  /**
   * Softmax probabilities of prefix k's head for row i of {@code rows} (n × width, raw) into
   * {@code probs} (length C).
   */
  void probabilities(int k, float[] rows, int width, int i, float[] probs) {
    probabilitiesAt(k, rows, i * width, width, probs);
  }

  /** As above for the row at {@code off}. */
  void probabilitiesAt(int k, float[] rows, int off, int width, float[] probs) {
    int m = dims[k], s = stride[k];
    if (m > width) {
      throw new IllegalArgumentException("prefix " + m + " exceeds the " + width + "-dimensional embedding");
    }
    float[] w = weight[k], b = bias[k];
    float max = Float.NEGATIVE_INFINITY;
    for (int c = 0; c < probs.length; c++) {
      probs[c] = b[c] + Vectors.dot(w, c * s, rows, off, m);
      max = Math.max(max, probs[c]);
    }
    double sum = 0;
    for (int c = 0; c < probs.length; c++) {
      probs[c] = (float) Math.exp(probs[c] - max);
      sum += probs[c];
    }
    for (int c = 0; c < probs.length; c++) {
      probs[c] = (float) (probs[c] / sum);
    }
  }

  /** Every prefix's prediction for every row: what calibration and fixed-size reports read. */
  public Table table(float[] rows, int n, int width) {
    int k = dims.length;
    int[][] label = new int[k][n];
    float[][] maxProb = new float[k][n], margin = new float[k][n];
    float[] p = new float[classes.size()];
    for (int j = 0; j < k; j++) {
      for (int i = 0; i < n; i++) {
        probabilities(j, rows, width, i, p);
        int best = top(p, -1), second = top(p, best);
        label[j][i] = best;
        maxProb[j][i] = p[best];
        margin[j][i] = p[best] - p[second];
      }
    }
    return new Table(dims, label, maxProb, margin);
  }

  /**
   * Each row classified through {@code cascade} (null: at the full prefix only): the smallest
   * prefix first, the next only while the confidence is below its threshold. Heads beyond the
   * stopping prefix are never computed.
   */
  public Decision[] classify(float[] rows, int n, int width, Cascade cascade) {
    return classify(rows, null, n, width, cascade);
  }

  /**
   * As above for rows that early exit left at different layers ({@code layers[i]}; null: all at
   * the last): a row that stopped before the last layer is classified by its layer's full-width
   * head (the one that let it stop), a row at the last layer through {@code cascade}.
   */
  public Decision[] classify(float[] rows, int[] layers, int n, int width, Cascade cascade) {
    Decision[] out = new Decision[n];
    float[] p = new float[classes.size()];
    int last = dims.length - 1;
    for (int i = 0; i < n; i++) {
      int layer = layers == null ? layers() : layers[i];
      Classifier c = atLayer(layer);
      if (c == null) {
        throw new IllegalArgumentException("row " + i + " stopped at layer " + layer + ", which has no heads");
      }
      Cascade widths = layer == layers() ? cascade : null;
      for (int k = widths == null ? last : 0; ; k++) {
        c.probabilities(k, rows, width, i, p);
        int best = top(p, -1), second = top(p, best);
        float conf = widths == null ? p[best] : widths.confidence().of(p[best], p[second]);
        if (k == last || widths.stops(k, conf)) {
          out[i] = new Decision(best, p[best], dims[k], k, layer);
          break;
        }
      }
    }
    return out;
  }

  /** The index of the largest value other than {@code skip} (ties: the lower index). */
  private static int top(float[] p, int skip) {
    int best = -1;
    for (int c = 0; c < p.length; c++) {
      if (c != skip && (best < 0 || p[c] > p[best])) {
        best = c;
      }
    }
    return best;
  }

  /** One input's class, its probability, the prefix size (and its index) and the layer it stopped at. */
  public record Decision(int label, float probability, int dims, int prefix, int layer) {}

  /**
   * Per prefix k and row i: the predicted class and the two confidences of {@link
   * Cascade.Confidence}.
   */
  public record Table(int[] dims, int[][] label, float[][] maxProb, float[][] margin) {
    public int rows() {
      return label[0].length;
    }

    public float[][] confidence(Cascade.Confidence c) {
      return c == Cascade.Confidence.MAX_PROB ? maxProb : margin;
    }

    /** Top-1 of prefix k alone. */
    public double top1(int k, int[] truth) {
      int hit = 0;
      for (int i = 0; i < truth.length; i++) {
        hit += label[k][i] == truth[i] ? 1 : 0;
      }
      return (double) hit / truth.length;
    }
  }
}
