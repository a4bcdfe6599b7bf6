package dev.mtk.models.onnx;

import dev.mtk.models.encoder.Encoder;
import dev.mtk.models.encoder.EncoderConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A BERT-family encoder (BERT, MiniLM, BGE, E5 as PyTorch exports them to ONNX) mapped onto mtk's
 * post-LN encoder. The graph is read only to find where each weight goes and to refuse what mtk
 * cannot run: the named initializers follow Hugging Face's BertModel names
 * ({@code encoder.layer.L.attention.self.query.bias}), and a weight matrix stored under an
 * anonymous name ({@code onnx::MatMul_787}, [in, out]) is named by the bias its MatMul's output is
 * added to. The number of heads comes from the attention's 1/√head_dim scale, the layer-norm
 * epsilon from the constant added to the variance, and every other op must be one of the
 * primitive ops a BERT export is spelled in.
 */
public final class BertImport {

  /** The ops of a BERT graph as PyTorch's exporter spells it (opset 11 to 17). */
  static final Set<String> BERT_OPS = Set.of("Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Erf",
      "MatMul", "Softmax", "ReduceMean", "Gather", "Shape", "Unsqueeze", "Squeeze", "Concat",
      "Reshape", "Transpose", "Constant", "ConstantOfShape", "Cast", "Slice", "Expand", "Where",
      "Equal", "Identity", "Range", "Not", "LayerNormalization", "Tanh");

  /** Ops of quantized graphs, refused with their own message. */
  static final Set<String> QUANTIZED_OPS = Set.of("DynamicQuantizeLinear", "QuantizeLinear",
      "DequantizeLinear", "MatMulInteger", "QLinearMatMul", "ConvInteger", "MatMulNBits",
      "DynamicQuantizeMatMul", "QAttention", "QGemm");

  private BertImport() {}

  /** What the graph says about the model, before any weight is read. */
  public record Plan(EncoderConfig config, int positionsInFile, Map<String, String> sources,
      List<String> ignored) {}

  /**
   * Reads the structure: the encoder config (with {@code maxSeqLen} positions kept, at most the
   * file's; 0: all of them) and where each initializer goes.
   */
  public static Plan plan(OnnxModel m, int maxSeqLen, int[] nesting) {
    String file = m.file();
    Map<String, OnnxModel.Tensor> inits = new LinkedHashMap<>();
    for (OnnxModel.Tensor t : m.initializers()) {
      inits.put(t.name(), t);
    }
    checkOps(m);
    // the prefix before the embeddings' names: "" (a bare BertModel) or "bert." (a task model)
    String prefix = null;
    for (String name : inits.keySet()) {
      if (name.endsWith("embeddings.word_embeddings.weight")) {
        prefix = name.substring(0, name.length() - "embeddings.word_embeddings.weight".length());
      }
    }
    if (prefix == null) {
      throw new OnnxFormatException(file, "graph.initializer", "has no embeddings.word_embeddings.weight: "
          + "not a BERT-family model (BERT, MiniLM, BGE and E5 exports are read)");
    }
    // weight name (Hugging Face's, without the prefix) -> initializer in the file
    Map<String, String> byHfName = new LinkedHashMap<>();
    for (String name : inits.keySet()) {
      if (name.startsWith(prefix) && !name.startsWith("onnx::")) {
        byHfName.put(name.substring(prefix.length()), name);
      }
    }
    Map<String, List<OnnxModel.Node>> consumers = new HashMap<>();
    for (OnnxModel.Node n : m.nodes()) {
      for (String in : n.inputs()) {
        consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
      }
    }
    for (OnnxModel.Node n : m.nodes()) {
      if (!n.opType().equals("MatMul") || n.inputs().size() != 2 || !inits.containsKey(n.inputs().get(1))) {
        continue;
      }
      String w = n.inputs().get(1);
      String bias = null;
      for (OnnxModel.Node c : consumers.getOrDefault(n.outputs().get(0), List.of())) {
        if (c.opType().equals("Add")) {
          for (String in : c.inputs()) {
            if (in.endsWith(".bias") && inits.containsKey(in)) {
              bias = in;
            }
          }
        }
      }
      if (bias == null) {
        throw new OnnxFormatException(file, "node " + n.name(), "MatMul with weight " + w
            + " has no bias added to it: not a BERT layer mtk can map");
      }
      String hf = bias.substring(prefix.length(), bias.length() - ".bias".length()) + ".weight";
      byHfName.put(hf, w);
    }
    OnnxModel.Tensor word = need(m, byHfName, "embeddings.word_embeddings.weight", 2);
    int vocab = (int) word.dims()[0], d = (int) word.dims()[1];
    OnnxModel.Tensor pos = need(m, byHfName, "embeddings.position_embeddings.weight", 2);
    int positions = (int) pos.dims()[0];
    OnnxModel.Tensor type = byHfName.containsKey("embeddings.token_type_embeddings.weight")
        ? need(m, byHfName, "embeddings.token_type_embeddings.weight", 2) : null;
    int layers = 0;
    while (byHfName.containsKey("encoder.layer." + layers + ".attention.self.query.weight")) {
      layers++;
    }
    if (layers == 0) {
      throw new OnnxFormatException(file, "graph", "has no encoder.layer.0.attention.self.query: "
          + "no BERT layers found");
    }
    int ffn = (int) need(m, byHfName, "encoder.layer.0.intermediate.dense.bias", 1).dims()[0];
    int erf = count(m, "Erf"), tanh = count(m, "Tanh");
    if (erf < layers) {
      throw new OnnxFormatException(file, "graph", "has " + erf + " Erf ops for " + layers
          + " layers: its GELU is not the exact (erf) one"
          + (tanh > 0 ? " (tanh-approximated GELU is not supported)" : ""));
    }
    int headDim = headDim(m);
    if (headDim <= 0 || d % headDim != 0) {
      throw new OnnxFormatException(file, "attention", "could not find the 1/sqrt(head_dim) scale "
          + "of the attention scores (found head_dim " + headDim + " for width " + d + ")");
    }
    float eps = layerNormEps(m);
    int keep = maxSeqLen <= 0 ? positions : Math.min(maxSeqLen, positions);
    if (nesting == null) {
      nesting = dev.mtk.core.matryoshka.Ladder.doubling(8, d);
    }
    EncoderConfig config = new EncoderConfig(vocab, d, d / headDim, ffn, layers, keep, eps,
        nesting, EncoderConfig.Pooling.MEAN, 0f, 0, 0, EncoderConfig.Norm.POST,
        type == null ? 0 : (int) type.dims()[0]);

    // mtk's name -> the file's initializer, each checked for its shape
    Map<String, String> sources = new LinkedHashMap<>();
    map(m, byHfName, sources, "embeddings.token.weight", "embeddings.word_embeddings.weight", vocab, d);
    map(m, byHfName, sources, "embeddings.position.weight", "embeddings.position_embeddings.weight", positions, d);
    if (type != null) {
      map(m, byHfName, sources, "embeddings.token_type.weight", "embeddings.token_type_embeddings.weight",
          type.dims()[0], d);
    }
    map(m, byHfName, sources, "embeddings.ln.weight", "embeddings.LayerNorm.weight", d);
    map(m, byHfName, sources, "embeddings.ln.bias", "embeddings.LayerNorm.bias", d);
    for (int l = 0; l < layers; l++) {
      String hf = "encoder.layer." + l + ".", p = "layers." + l + ".";
      for (String qkv : new String[] {"query", "key", "value"}) {
        map(m, byHfName, sources, p + "attn.qkv.weight#" + qkv, hf + "attention.self." + qkv + ".weight", d, d);
        map(m, byHfName, sources, p + "attn.qkv.bias#" + qkv, hf + "attention.self." + qkv + ".bias", d);
      }
      map(m, byHfName, sources, p + "attn.out.weight", hf + "attention.output.dense.weight", d, d);
      map(m, byHfName, sources, p + "attn.out.bias", hf + "attention.output.dense.bias", d);
      map(m, byHfName, sources, p + "ln1.weight", hf + "attention.output.LayerNorm.weight", d);
      map(m, byHfName, sources, p + "ln1.bias", hf + "attention.output.LayerNorm.bias", d);
      map(m, byHfName, sources, p + "mlp.fc1.weight", hf + "intermediate.dense.weight", d, ffn);
      map(m, byHfName, sources, p + "mlp.fc1.bias", hf + "intermediate.dense.bias", ffn);
      map(m, byHfName, sources, p + "mlp.fc2.weight", hf + "output.dense.weight", ffn, d);
      map(m, byHfName, sources, p + "mlp.fc2.bias", hf + "output.dense.bias", d);
      map(m, byHfName, sources, p + "ln2.weight", hf + "output.LayerNorm.weight", d);
      map(m, byHfName, sources, p + "ln2.bias", hf + "output.LayerNorm.bias", d);
    }
    Set<String> used = new HashSet<>(sources.values());
    List<String> ignored = new ArrayList<>();
    for (OnnxModel.Tensor t : m.initializers()) {
      if (!used.contains(t.name()) && t.dataType() == OnnxModel.FLOAT && t.count() > 1) {
        ignored.add(t.name()); // the pooler, which mean pooling does not use
      }
    }
    return new Plan(config, positions, sources, ignored);
  }

  /**
   * Converts the weights (a second pass over the file) into model.safetensors order through
   * {@code out}, one tensor at a time, so the model is never whole in memory: matrices transposed
   * from ONNX's [in, out] to mtk's [out, in], query/key/value stacked into one qkv matrix, the
   * first max_seq_len position rows kept.
   */
  public static void convert(OnnxModel m, OnnxModel.Source source, Plan plan,
      dev.mtk.models.io.SafeTensors.Placer out) throws IOException {
    EncoderConfig c = plan.config();
    Map<String, int[]> layout = Encoder.layout(c);
    int d = c.dModel();
    int largest = Math.max(d, c.ffn()) * d;
    float[] matrix = new float[largest], transposed = new float[largest];
    float[] chunk = new float[1 << 14];
    Map<String, OnnxModel.Sink> sinks = new LinkedHashMap<>();
    Set<String> filled = new TreeSet<>();
    for (Map.Entry<String, String> s : plan.sources().entrySet()) {
      String target = s.getKey();
      int hash = target.indexOf('#');
      String param = hash < 0 ? target : target.substring(0, hash);
      int[] shape = layout.get(param);
      if (shape == null) {
        throw new IllegalStateException("the encoder has no parameter " + param);
      }
      filled.add(param);
      OnnxModel.Sink sink;
      if (hash >= 0) {
        int block = switch (target.substring(hash + 1)) {
          case "query" -> 0;
          case "key" -> 1;
          default -> 2;
        };
        sink = shape.length == 2
            ? (header, in) -> {
              readTransposed(in, matrix, transposed, d, d);
              out.put(param, (long) block * d * d, transposed, 0, d * d);
            }
            : (header, in) -> {
              in.read(chunk, 0, d);
              out.put(param, (long) block * d, chunk, 0, d);
            };
      } else if (shape.length == 2 && param.startsWith("layers.")) {
        int rows = shape[0], cols = shape[1];
        sink = (header, in) -> {
          readTransposed(in, matrix, transposed, cols, rows);
          out.put(param, 0, transposed, 0, rows * cols);
        };
      } else {
        long keep = 1;
        for (int k : shape) {
          keep *= k;
        }
        long kept = keep; // position rows past max_seq_len are read past, not kept
        sink = (header, in) -> {
          long total = header.count();
          for (long at = 0; at < total; at += chunk.length) {
            int n = (int) Math.min(chunk.length, total - at);
            in.read(chunk, 0, n);
            if (at < kept) {
              out.put(param, at, chunk, 0, (int) Math.min(n, kept - at));
            }
          }
        };
      }
      OnnxModel.Sink previous = sinks.put(s.getValue(), sink);
      if (previous != null) {
        throw new OnnxFormatException(m.file(), "initializer " + s.getValue(), "is used twice");
      }
    }
    for (String name : layout.keySet()) {
      if (!filled.contains(name)) {
        throw new IllegalStateException("no weight of the file maps to " + name);
      }
    }
    m.readInitializers(source, sinks);
  }

  /** An [in, out] matrix from the file, returned as [out, in] in {@code dst}. */
  private static void readTransposed(OnnxModel.FloatStream in, float[] scratch, float[] dst,
      int inDim, int outDim) throws IOException {
    in.read(scratch, 0, inDim * outDim);
    for (int i = 0; i < inDim; i++) {
      for (int o = 0; o < outDim; o++) {
        dst[o * inDim + i] = scratch[i * outDim + o];
      }
    }
  }

  private static void checkOps(OnnxModel m) {
    for (OnnxModel.Node n : m.nodes()) {
      String op = n.opType();
      if (QUANTIZED_OPS.contains(op)) {
        throw new OnnxFormatException(m.file(), "node " + n.name(), "op " + op + " belongs to a "
            + "quantized graph; mtk imports float32 models (export the model without quantization)");
      }
      if (!n.domain().isEmpty() && !n.domain().equals("ai.onnx")) {
        throw new OnnxFormatException(m.file(), "node " + n.name(), "op " + n.domain() + "." + op
            + " is not a standard ONNX op (an optimized graph?); import the plain export");
      }
      if (!BERT_OPS.contains(op)) {
        throw new OnnxFormatException(m.file(), "node " + n.name(), "op " + op + " is not one "
            + "mtk can map onto a BERT encoder");
      }
    }
    for (OnnxModel.Tensor t : m.initializers()) {
      if (t.dataType() == OnnxModel.INT8 || t.dataType() == OnnxModel.UINT8) {
        throw new OnnxFormatException(m.file(), "initializer " + t.name(), "is "
            + OnnxModel.typeName(t.dataType()) + ": a quantized model; mtk imports float32 models");
      }
    }
  }

  private static OnnxModel.Tensor need(OnnxModel m, Map<String, String> byHf, String hf, int rank) {
    String name = byHf.get(hf);
    OnnxModel.Tensor t = name == null ? null : m.initializer(name);
    if (t == null) {
      throw new OnnxFormatException(m.file(), "graph.initializer", "has no " + hf);
    }
    if (t.dims().length != rank) {
      throw new OnnxFormatException(m.file(), "initializer " + name, "has shape " + t.shape()
          + "; " + rank + " dimensions expected for " + hf);
    }
    return t;
  }

  private static void map(OnnxModel m, Map<String, String> byHf, Map<String, String> sources,
      String mtk, String hf, long... shape) {
    OnnxModel.Tensor t = need(m, byHf, hf, shape.length);
    if (!java.util.Arrays.equals(t.dims(), shape)) {
      throw new OnnxFormatException(m.file(), "initializer " + t.name(), "has shape " + t.shape()
          + "; " + java.util.Arrays.toString(shape) + " expected for " + hf);
    }
    sources.put(mtk, t.name());
  }

  private static int count(OnnxModel m, String op) {
    int n = 0;
    for (OnnxModel.Node node : m.nodes()) {
      if (node.opType().equals(op)) {
        n++;
      }
    }
    return n;
  }

  /** A value's numbers when a Constant node makes it, else null. */
  private static double[] constant(Map<String, OnnxModel.Node> producers, String value) {
    OnnxModel.Node p = producers.get(value);
    if (p == null || !p.opType().equals("Constant")) {
      return null;
    }
    OnnxModel.Attribute a = p.attributes().get("value");
    if (a != null && a.t() != null) {
      return a.t().values();
    }
    a = p.attributes().get("value_float");
    return a == null ? null : new double[] {a.f()};
  }

  private static Map<String, OnnxModel.Node> producers(OnnxModel m) {
    Map<String, OnnxModel.Node> out = new HashMap<>();
    for (OnnxModel.Node n : m.nodes()) {
      for (String o : n.outputs()) {
        out.put(o, n);
      }
    }
    return out;
  }

  /**
   * head_dim from the first attention: softmax(Q·Kᵀ / √hd + mask) or softmax(Q·Kᵀ · (1/√hd) +
   * mask); -1 when the graph says it some other way.
   */
  static int headDim(OnnxModel m) {
    Map<String, OnnxModel.Node> producers = producers(m);
    for (OnnxModel.Node n : m.nodes()) {
      if (!n.opType().equals("Softmax")) {
        continue;
      }
      OnnxModel.Node add = producers.get(n.inputs().get(0));
      List<String> candidates = new ArrayList<>();
      if (add != null && add.opType().equals("Add")) {
        candidates.addAll(add.inputs());
      } else {
        candidates.add(n.inputs().get(0));
      }
      for (String v : candidates) {
        OnnxModel.Node scale = producers.get(v);
        if (scale == null || !(scale.opType().equals("Div") || scale.opType().equals("Mul"))) {
          continue;
        }
        for (String in : scale.inputs()) {
          double[] c = constant(producers, in);
          if (c != null && c.length == 1 && c[0] > 0) {
            double hd = scale.opType().equals("Div") ? c[0] * c[0] : 1 / (c[0] * c[0]);
            return (int) Math.round(hd);
          }
        }
      }
      return -1;
    }
    return -1;
  }

  /** The epsilon of the first layer norm: LayerNormalization's attribute, or the constant added to the variance. */
  static float layerNormEps(OnnxModel m) {
    Map<String, OnnxModel.Node> producers = producers(m);
    for (OnnxModel.Node n : m.nodes()) {
      if (n.opType().equals("LayerNormalization")) {
        OnnxModel.Attribute a = n.attributes().get("epsilon");
        return a == null ? 1e-5f : a.f();
      }
      if (!n.opType().equals("Sqrt")) {
        continue;
      }
      OnnxModel.Node add = producers.get(n.inputs().get(0));
      if (add == null || !add.opType().equals("Add")) {
        continue;
      }
      for (String in : add.inputs()) {
        double[] c = constant(producers, in);
        if (c != null && c.length == 1) {
          return (float) c[0];
        }
      }
    }
    throw new OnnxFormatException(m.file(), "graph", "has no layer norm whose epsilon mtk can read");
  }
}
