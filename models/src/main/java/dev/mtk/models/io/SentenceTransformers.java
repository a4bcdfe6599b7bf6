package dev.mtk.models.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mtk.core.io.AtomicFile;
import dev.mtk.models.encoder.Encoder;
import dev.mtk.models.encoder.EncoderConfig;
import dev.mtk.models.nn.autograd.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sentence-transformers directory layout, both ways: a Hugging Face {@code BertModel}
 * (model.safetensors under its tensor names, config.json) with tokenizer.json, modules.json,
 * sentence_bert_config.json, 1_Pooling/config.json, 2_Dense/ when the model projects after
 * pooling (a linear map, no activation) and a Normalize module last — what
 * {@code SentenceTransformer(path)} loads, {@code truncate_dim} included. Only mtk's BERT variant
 * (post-LN, token types, no projection) has such an architecture; one name table serves export
 * and import, so a model exported and imported again is the same bits.
 */
public final class SentenceTransformers {

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  public static final String MODULES = "modules.json", POOLING = "1_Pooling", DENSE = "2_Dense";
  private static final String IDENTITY = "torch.nn.modules.linear.Identity";

  private SentenceTransformers() {}

  /** Where a Hugging Face tensor's values live among mtk's parameters: a whole tensor or a block. */
  record Place(String mtkName, int offset, int[] shape) {}

  /** Hugging Face name → mtk place, in BertModel's order; query, key and value are qkv's thirds. */
  static Map<String, Place> names(EncoderConfig c) {
    int d = c.dModel(), f = c.ffn();
    Map<String, Place> t = new LinkedHashMap<>();
    t.put("embeddings.word_embeddings.weight", new Place("embeddings.token.weight", 0, new int[] {c.vocabSize(), d}));
    t.put("embeddings.position_embeddings.weight", new Place("embeddings.position.weight", 0, new int[] {c.maxSeqLen(), d}));
    t.put("embeddings.token_type_embeddings.weight", new Place("embeddings.token_type.weight", 0, new int[] {c.tokenTypes(), d}));
    t.put("embeddings.LayerNorm.weight", new Place("embeddings.ln.weight", 0, new int[] {d}));
    t.put("embeddings.LayerNorm.bias", new Place("embeddings.ln.bias", 0, new int[] {d}));
    for (int l = 0; l < c.layers(); l++) {
      String hf = "encoder.layer." + l + ".", p = "layers." + l + ".";
      String[] qkv = {"query", "key", "value"};
      for (int k = 0; k < 3; k++) {
        t.put(hf + "attention.self." + qkv[k] + ".weight", new Place(p + "attn.qkv.weight", k * d * d, new int[] {d, d}));
        t.put(hf + "attention.self." + qkv[k] + ".bias", new Place(p + "attn.qkv.bias", k * d, new int[] {d}));
      }
      t.put(hf + "attention.output.dense.weight", new Place(p + "attn.out.weight", 0, new int[] {d, d}));
      t.put(hf + "attention.output.dense.bias", new Place(p + "attn.out.bias", 0, new int[] {d}));
      t.put(hf + "attention.output.LayerNorm.weight", new Place(p + "ln1.weight", 0, new int[] {d}));
      t.put(hf + "attention.output.LayerNorm.bias", new Place(p + "ln1.bias", 0, new int[] {d}));
      t.put(hf + "intermediate.dense.weight", new Place(p + "mlp.fc1.weight", 0, new int[] {f, d}));
      t.put(hf + "intermediate.dense.bias", new Place(p + "mlp.fc1.bias", 0, new int[] {f}));
      t.put(hf + "output.dense.weight", new Place(p + "mlp.fc2.weight", 0, new int[] {d, f}));
      t.put(hf + "output.dense.bias", new Place(p + "mlp.fc2.bias", 0, new int[] {d}));
      t.put(hf + "output.LayerNorm.weight", new Place(p + "ln2.weight", 0, new int[] {d}));
      t.put(hf + "output.LayerNorm.bias", new Place(p + "ln2.bias", 0, new int[] {d}));
    }
    return t;
  }

  /** Why a config has no BertModel equivalent, or null when it has one. */
  static String unexportable(EncoderConfig c) {
    if (c.norm() != EncoderConfig.Norm.POST || c.tokenTypes() < 1) {
      return "it is mtk's pre-LN encoder; Hugging Face's BertModel is post-LN with token types "
          + "(models imported with ./mtk model import, and trained from them, export)";
    }
    if (c.patchDim() > 0) {
      return "it is an image model";
    }
    if (c.pooling() != EncoderConfig.Pooling.MEAN && c.pooling() != EncoderConfig.Pooling.CLS) {
      return "its pooling " + c.pooling() + " is neither mean nor CLS";
    }
    return null;
  }

  /** What an export wrote. */
  public record Exported(Path dir, List<String> files, long bytes) {}

  /**
   * Writes the model of {@code modelDir} to {@code out} as a sentence-transformers directory.
   * {@code out} must not exist (or be empty) unless {@code replace}; each file is written whole
   * (temp file, then rename).
   */
  public static Exported export(Path modelDir, Path out, boolean replace) throws IOException {
    Encoder enc = ModelDirectory.load(modelDir);
    EncoderConfig c = enc.config();
    Map<String, Tensor> params = enc.namedParameters();
    String why = unexportable(c);
    if (why != null) {
      throw new IllegalArgumentException(modelDir + " cannot be exported to sentence-transformers: " + why);
    }
    Path tokenizer = modelDir.resolve(ModelDirectory.TOKENIZER);
    if (!Files.isRegularFile(tokenizer)) {
      throw new IllegalArgumentException(modelDir + " has no " + ModelDirectory.TOKENIZER);
    }
    if (Files.exists(out) && !replace) {
      try (var entries = Files.list(out)) {
        if (entries.findAny().isPresent()) {
          throw new IllegalArgumentException(out + " already exists and is not empty (--force replaces it)");
        }
      }
    }
    boolean dense = c.projection() > 0;
    String normalize = (dense ? 3 : 2) + "_Normalize";
    Files.createDirectories(out.resolve(POOLING));
    Files.createDirectories(out.resolve(normalize));
    if (dense) {
      Files.createDirectories(out.resolve(DENSE));
      Tensor w = params.get("projection.weight"), b = params.get("projection.bias");
      Map<String, int[]> ds = new LinkedHashMap<>();
      ds.put("linear.weight", w.shape());
      ds.put("linear.bias", b.shape());
      SafeTensors.writeStreamed(out.resolve(DENSE).resolve(ModelDirectory.WEIGHTS), ds, Map.of("format", "pt"), placer -> {
        placer.put("linear.weight", 0, w.data(), w.offset(), w.size());
        placer.put("linear.bias", 0, b.data(), b.offset(), b.size());
      });
      AtomicFile.write(out.resolve(DENSE).resolve("config.json"), JSON.writeValueAsBytes(JSON.createObjectNode()
          .put("in_features", c.dModel()).put("out_features", c.projection()).put("bias", true)
          .put("activation_function", IDENTITY)));
    }
    Map<String, Place> names = names(c);
    Map<String, int[]> shapes = new LinkedHashMap<>();
    names.forEach((hf, p) -> shapes.put(hf, p.shape()));
    SafeTensors.writeStreamed(out.resolve(ModelDirectory.WEIGHTS), shapes, Map.of("format", "pt"), placer -> {
      for (var e : names.entrySet()) {
        Tensor t = params.get(e.getValue().mtkName());
        int n = count(e.getValue().shape());
        placer.put(e.getKey(), 0, t.data(), t.offset() + e.getValue().offset(), n);
      }
    });
    AtomicFile.write(out.resolve("config.json"), JSON.writeValueAsBytes(bertConfig(c)));
    AtomicFile.write(out.resolve(ModelDirectory.TOKENIZER), Files.readAllBytes(tokenizer));
    AtomicFile.write(out.resolve("tokenizer_config.json"), JSON.writeValueAsBytes(JSON.createObjectNode()
        .put("tokenizer_class", "BertTokenizer").put("model_max_length", c.maxSeqLen())));
    ArrayNode modules = JSON.createArrayNode();
    modules.addObject().put("idx", 0).put("name", "0").put("path", "")
        .put("type", "sentence_transformers.models.Transformer");
    modules.addObject().put("idx", 1).put("name", "1").put("path", POOLING)
        .put("type", "sentence_transformers.models.Pooling");
    if (dense) {
      modules.addObject().put("idx", 2).put("name", "2").put("path", DENSE)
          .put("type", "sentence_transformers.models.Dense");
    }
    modules.addObject().put("idx", dense ? 3 : 2).put("name", dense ? "3" : "2").put("path", normalize)
        .put("type", "sentence_transformers.models.Normalize");
    AtomicFile.write(out.resolve(MODULES), JSON.writeValueAsBytes(modules));
    AtomicFile.write(out.resolve("sentence_bert_config.json"), JSON.writeValueAsBytes(JSON.createObjectNode()
        .put("max_seq_length", c.maxSeqLen()).put("do_lower_case", false)));
    boolean mean = c.pooling() == EncoderConfig.Pooling.MEAN;
    AtomicFile.write(out.resolve(POOLING).resolve("config.json"), JSON.writeValueAsBytes(JSON.createObjectNode()
        .put("word_embedding_dimension", c.dModel()).put("pooling_mode_cls_token", !mean)
        .put("pooling_mode_mean_tokens", mean).put("pooling_mode_max_tokens", false)
        .put("pooling_mode_mean_sqrt_len_tokens", false)));
    ObjectNode st = JSON.createObjectNode();
    st.put("similarity_fn_name", "cosine");
    AtomicFile.write(out.resolve("config_sentence_transformers.json"), JSON.writeValueAsBytes(st));
    AtomicFile.write(out.resolve("README.md"), readme(modelDir, c).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    List<String> files = new ArrayList<>();
    long bytes = 0;
    try (var walk = Files.walk(out)) {
      for (Path p : walk.filter(Files::isRegularFile).sorted().toList()) {
        files.add(out.relativize(p).toString());
        bytes += Files.size(p);
      }
    }
    return new Exported(out, files, bytes);
  }

  /** Hugging Face's BertConfig for the model, with mtk's nesting ladder kept as mtk_nesting. */
  static ObjectNode bertConfig(EncoderConfig c) {
    ObjectNode o = JSON.createObjectNode();
    o.putArray("architectures").add("BertModel");
    o.put("model_type", "bert");
    o.put("vocab_size", c.vocabSize());
    o.put("hidden_size", c.dModel());
    o.put("num_hidden_layers", c.layers());
    o.put("num_attention_heads", c.heads());
    o.put("intermediate_size", c.ffn());
    o.put("hidden_act", "gelu"); // exact erf GELU, as mtk's
    o.put("max_position_embeddings", c.maxSeqLen());
    o.put("type_vocab_size", c.tokenTypes());
    o.put("layer_norm_eps", c.layerNormEps());
    o.put("hidden_dropout_prob", 0.1);
    o.put("attention_probs_dropout_prob", 0.1);
    o.put("position_embedding_type", "absolute");
    o.put("pad_token_id", 0);
    o.put("torch_dtype", "float32");
    var nesting = o.putArray("mtk_nesting");
    for (int m : c.nesting()) {
      nesting.add(m);
    }
    return o;
  }

  private static String readme(Path from, EncoderConfig c) {
    return "# Exported by mtk\n\nA BERT encoder (" + c.layers() + " layers, " + c.dModel()
        + " wide) exported from the mtk model directory `" + from.getFileName() + "` in the "
        + "sentence-transformers layout: " + (c.pooling() == EncoderConfig.Pooling.MEAN ? "mean" : "CLS")
        + " pooling, " + (c.projection() > 0 ? "a linear " + c.dModel() + " → " + c.projection()
            + " map (Dense, no activation), " : "") + "then L2 normalisation.\n\nMatryoshka prefix sizes it was trained for: "
        + java.util.Arrays.toString(c.nesting()) + ". In Python:\n\n```python\n"
        + "from sentence_transformers import SentenceTransformer\n"
        + "model = SentenceTransformer(\"path/to/this/folder\", truncate_dim=" + c.nesting()[0] + ")\n"
        + "```\n\nThe BertModel pooler is not included (mean pooling does not use it); transformers "
        + "may say it initialised pooler weights, which this model never reads.\n";
  }

  /**
   * A sentence-transformers (or plain Hugging Face BertModel) directory read into an encoder:
   * config.json (model_type bert, absolute positions, exact GELU), model.safetensors (F32, with or
   * without a "bert." prefix; the pooler and other extra tensors are left out and listed),
   * pooling from 1_Pooling/config.json (mean when absent).
   */
  public record Loaded(Encoder encoder, List<String> ignored, int positionsInFile) {}

  public static Loaded load(Path dir, int maxSeqLen) throws IOException {
    Path cfgFile = dir.resolve("config.json"), weights = dir.resolve(ModelDirectory.WEIGHTS);
    for (Path p : new Path[] {cfgFile, weights, dir.resolve(ModelDirectory.TOKENIZER)}) {
      if (!Files.isRegularFile(p)) {
        throw new IllegalArgumentException(dir + " is not a Hugging Face BERT directory: no "
            + dir.relativize(p) + (p.equals(weights) ? " (pytorch_model.bin is not read: save with "
                + "safetensors)" : ""));
      }
    }
    JsonNode h;
    try {
      h = JSON.readTree(cfgFile.toFile());
    } catch (IOException e) {
      throw new IllegalArgumentException(cfgFile + ": not valid JSON: " + e.getMessage().split("\n")[0]);
    }
    if (h == null || !h.isObject()) {
      throw new IllegalArgumentException(cfgFile + ": expected a JSON object");
    }
    String type = h.path("model_type").asText("");
    if (!type.equals("bert")) {
      throw new IllegalArgumentException(cfgFile + ": model_type '" + type + "' is not bert (only "
          + "BERT-family encoders are read)");
    }
    String act = h.path("hidden_act").asText("gelu");
    if (!act.equals("gelu")) {
      throw new IllegalArgumentException(cfgFile + ": hidden_act '" + act + "': only exact GELU (gelu) is supported");
    }
    String posType = h.path("position_embedding_type").asText("absolute");
    if (!posType.equals("absolute")) {
      throw new IllegalArgumentException(cfgFile + ": position_embedding_type '" + posType + "': only absolute is supported");
    }
    int d = positive(h, "hidden_size", cfgFile), layers = positive(h, "num_hidden_layers", cfgFile);
    int heads = positive(h, "num_attention_heads", cfgFile), ffn = positive(h, "intermediate_size", cfgFile);
    int vocab = positive(h, "vocab_size", cfgFile), positions = positive(h, "max_position_embeddings", cfgFile);
    int types = h.has("type_vocab_size") ? positive(h, "type_vocab_size", cfgFile) : 2;
    if (d % heads != 0) {
      throw new IllegalArgumentException(cfgFile + ": hidden_size " + d + " is not a multiple of num_attention_heads " + heads);
    }
    float eps = (float) h.path("layer_norm_eps").asDouble(1e-12);
    int keep = maxSeqLen > 0 ? Math.min(maxSeqLen, positions) : positions;
    Path st = dir.resolve("sentence_bert_config.json");
    if (maxSeqLen <= 0 && Files.isRegularFile(st)) {
      int s = JSON.readTree(st.toFile()).path("max_seq_length").asInt(positions);
      keep = Math.max(1, Math.min(s, positions));
    }
    int[] nesting;
    if (h.path("mtk_nesting").isArray() && !h.path("mtk_nesting").isEmpty()) {
      JsonNode n = h.get("mtk_nesting");
      nesting = new int[n.size()];
      for (int i = 0; i < nesting.length; i++) {
        nesting[i] = n.get(i).asInt();
      }
    } else {
      nesting = dev.mtk.core.matryoshka.Ladder.doubling(8, d);
    }
    EncoderConfig.Pooling pooling = EncoderConfig.Pooling.MEAN;
    Path pool = dir.resolve(POOLING).resolve("config.json");
    if (Files.isRegularFile(pool)) {
      JsonNode pc = JSON.readTree(pool.toFile());
      if (pc.path("pooling_mode_cls_token").asBoolean(false)) {
        pooling = EncoderConfig.Pooling.CLS;
      } else if (!pc.path("pooling_mode_mean_tokens").asBoolean(true)) {
        throw new IllegalArgumentException(pool + ": only mean or CLS pooling is supported");
      }
    }
    // the matrices alone, in long arithmetic, before any shape is built or allocated: a
    // config.json cannot make us reserve more than the file holds
    long floats = ((long) vocab + positions + types) * d + (long) layers * (4L * d * d + 2L * d * ffn);
    if (4 * floats > Files.size(weights)) {
      // before allocating: a config.json cannot make us reserve more than the file holds
      throw new IllegalArgumentException(cfgFile + " describes " + floats + " parameters, more than "
          + weights.getFileName() + " (" + Files.size(weights) + " bytes) holds");
    }
    int projection = 0;
    Path denseDir = dense(dir);
    JsonNode denseCfg = null;
    if (denseDir != null) {
      denseCfg = JSON.readTree(denseDir.resolve("config.json").toFile());
      String denseAct = denseCfg.path("activation_function").asText(IDENTITY);
      if (!denseAct.equals(IDENTITY) || denseCfg.path("in_features").asInt() != d) {
        throw new IllegalArgumentException(denseDir + ": only a linear Dense module on the pooled "
            + d + " values (activation Identity) is supported, not " + denseAct);
      }
      projection = positive(denseCfg, "out_features", denseDir.resolve("config.json"));
      if (4L * projection * d > Files.size(denseDir.resolve(ModelDirectory.WEIGHTS))) {
        throw new IllegalArgumentException(denseDir.resolve("config.json") + " describes a " + d + " → "
            + projection + " map, more than its model.safetensors holds");
      }
    }
    EncoderConfig c = new EncoderConfig(vocab, d, heads, ffn, layers, keep, eps, nesting, pooling,
        0f, projection, 0, EncoderConfig.Norm.POST, types);
    Encoder enc = Encoder.empty(c);
    Map<String, Tensor> params = enc.namedParameters();
    List<String> ignored = new ArrayList<>();
    try (SafeTensors.Reader r = SafeTensors.Reader.open(weights)) {
      String prefix = r.entries().containsKey("bert.embeddings.word_embeddings.weight") ? "bert." : "";
      Map<String, Place> names = names(c);
      for (String n : r.entries().keySet()) {
        if (!names.containsKey(n.substring(n.startsWith(prefix) ? prefix.length() : 0))) {
          ignored.add(n);
        }
      }
      for (var e : names.entrySet()) {
        Place p = e.getValue();
        Tensor t = params.get(p.mtkName());
        String name = prefix + e.getKey();
        if (e.getKey().equals("embeddings.position_embeddings.weight") && keep < positions) {
          // the first keep positions of the file's table
          float[] all = new float[positions * d];
          r.read(name, new int[] {positions, d}, all, 0);
          System.arraycopy(all, 0, t.data(), t.offset(), keep * d);
        } else {
          r.read(name, p.shape(), t.data(), t.offset() + p.offset());
        }
      }
    }
    if (denseDir != null) {
      try (SafeTensors.Reader r = SafeTensors.Reader.open(denseDir.resolve(ModelDirectory.WEIGHTS))) {
        Tensor w = params.get("projection.weight"), b = params.get("projection.bias");
        r.read("linear.weight", w.shape(), w.data(), w.offset());
        if (denseCfg.path("bias").asBoolean(true)) {
          r.read("linear.bias", b.shape(), b.data(), b.offset());
        }
      }
    }
    String bad = ModelDirectory.firstNonFinite(enc);
    if (bad != null) {
      throw new IllegalArgumentException(weights + ": " + bad);
    }
    return new Loaded(enc, ignored, positions);
  }

  /** What {@link #importDirectory} wrote. */
  public record Imported(EncoderConfig config, long parameters, List<String> ignored, int positionsInFile) {}

  /**
   * Imports a sentence-transformers / Hugging Face BERT directory into an mtk model directory
   * {@code out}: config.json, model.safetensors, its tokenizer.json as it is, and source.json.
   */
  public static Imported importDirectory(Path dir, int maxSeqLen, Path out, boolean replace) throws IOException {
    Loaded l = load(dir, maxSeqLen);
    ModelDirectory.create(l.encoder(), dir.resolve(ModelDirectory.TOKENIZER), out, replace);
    EncoderConfig c = l.encoder().config();
    ObjectNode s = JSON.createObjectNode();
    s.put("format", "sentence-transformers");
    s.put("directory", dir.toString());
    s.put("architecture", "bert (post-LN)");
    s.put("pooling", (c.pooling() == EncoderConfig.Pooling.MEAN ? "mean over real tokens" : "the [CLS] token")
        + ", then L2 normalisation (sentence-transformers)");
    s.put("max_seq_len", c.maxSeqLen());
    s.put("positions_in_file", l.positionsInFile());
    var ignored = s.putArray("not_imported");
    l.ignored().forEach(ignored::add);
    AtomicFile.write(out.resolve("source.json"), JSON.writeValueAsBytes(s));
    long parameters = 0;
    for (int[] shape : Encoder.layout(c).values()) {
      parameters += count(shape);
    }
    return new Imported(c, parameters, l.ignored(), l.positionsInFile());
  }

  /** The folder of the Dense module modules.json lists, or null (none, or no modules.json). */
  private static Path dense(Path dir) throws IOException {
    Path m = dir.resolve(MODULES);
    if (!Files.isRegularFile(m)) {
      return null;
    }
    for (JsonNode module : JSON.readTree(m.toFile())) {
      String type = module.path("type").asText();
      if (type.equals("sentence_transformers.models.Dense")) {
        Path p = dir.resolve(module.path("path").asText());
        if (!Files.isRegularFile(p.resolve("config.json")) || !Files.isRegularFile(p.resolve(ModelDirectory.WEIGHTS))) {
          throw new IllegalArgumentException(p + ": a Dense module needs config.json and model.safetensors");
        }
        return p;
      }
      if (!type.startsWith("sentence_transformers.models.Transformer") && !type.endsWith(".Pooling")
          && !type.endsWith(".Normalize")) {
        throw new IllegalArgumentException(m + ": module " + type + " is not supported (Transformer, "
            + "Pooling, Dense, Normalize are)");
      }
    }
    return null;
  }

  private static int positive(JsonNode h, String key, Path file) {
    JsonNode v = h.get(key);
    if (v == null || !v.canConvertToInt() || v.asInt() < 1 || v.asInt() > (1 << 24)) {
      throw new IllegalArgumentException(file + ": " + key + " must be a whole number from 1 to "
          + (1 << 24) + ", got " + v);
    }
    return v.asInt();
  }

  private static int count(int[] shape) {
    int n = 1;
    for (int k : shape) {
      n *= k;
    }
    return n;
  }
}
