package dev.mtk.models.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mtk.core.io.AtomicFile;
import dev.mtk.models.encoder.Encoder;
import dev.mtk.models.encoder.EncoderConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A model directory: config.json (the architecture, docs/ARCHITECTURE.md), model.safetensors
 * (the weights, by the names of {@link Encoder#namedParameters}) and, written by the caller,
 * tokenizer.json.
 */
public final class ModelDirectory {

  public static final String CONFIG = "config.json";
  public static final String WEIGHTS = "model.safetensors";
  public static final String TOKENIZER = "tokenizer.json";

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ModelDirectory() {}

  public static void save(Encoder encoder, Path dir) throws IOException {
    Files.createDirectories(dir);
    AtomicFile.write(dir.resolve(CONFIG), JSON.writeValueAsBytes(configJson(encoder.config())));
    SafeTensors.write(dir.resolve(WEIGHTS), encoder.namedParameters(),
        Map.of("format", "pt", "producer", "mtk"));
  }

  /**
   * A new model directory: the encoder and (for text models) its tokenizer. An existing model
   * directory is refused unless {@code replace} (then its weights, config and tokenizer are all
   * replaced, so no old tokenizer stays beside new weights); a tokenizer with more tokens than the
   * model's vocab_size is refused before anything is written.
   */
  public static void create(Encoder encoder, Path tokenizerFile, Path dir, boolean replace)
      throws IOException {
    prepare(encoder.config(), tokenizerFile, dir, replace);
    save(encoder, dir);
    if (tokenizerFile != null) {
      // the user's file as it is (checked above by loading it)
      AtomicFile.write(dir.resolve(TOKENIZER), Files.readAllBytes(tokenizerFile));
    }
  }

  /**
   * The checks both ways of creating a directory make before writing: the tokenizer loads and
   * fits the vocabulary, and an existing model is replaced only when asked — then its config
   * and tokenizer go first, so no old tokenizer stays beside new weights.
   */
  private static void prepare(EncoderConfig c, Path tokenizerFile, Path dir, boolean replace)
      throws IOException {
    var tokenizer = tokenizerFile == null ? null
        : dev.mtk.tokenizers.text.formats.HuggingFaceJson.loadText(tokenizerFile);
    if (tokenizer != null && tokenizer.vocabSize() > c.vocabSize()) {
      throw new IllegalArgumentException("the tokenizer has " + tokenizer.vocabSize()
          + " tokens but the model's vocab_size is " + c.vocabSize() + ": raise vocab_size");
    }
    boolean exists = Files.exists(dir.resolve(CONFIG)) || Files.exists(dir.resolve(WEIGHTS))
        || Files.exists(dir.resolve(TOKENIZER));
    if (exists && !replace) {
      throw new IllegalArgumentException(dir + " already holds a model: choose another directory, "
          + "or replace it (--force)");
    }
    Files.createDirectories(dir);
    Files.deleteIfExists(dir.resolve(CONFIG));
    Files.deleteIfExists(dir.resolve(TOKENIZER));
  }

  /**
   * A new model directory whose weights are written by {@code weights} tensor by tensor (a model
   * converted from another format, never whole in memory), in {@link Encoder#layout} order; the
   * tokenizer file is kept as it is. The same checks and replacement rules as {@link #create}.
   */
  public static void createStreamed(EncoderConfig c, SafeTensors.Filler weights, Path tokenizerFile,
      Path dir, boolean replace) throws IOException {
    prepare(c, tokenizerFile, dir, replace);
    // weights first: a conversion that fails leaves no config.json claiming a model is there
    SafeTensors.writeStreamed(dir.resolve(WEIGHTS), Encoder.layout(c),
        Map.of("format", "pt", "producer", "mtk"), weights);
    AtomicFile.write(dir.resolve(TOKENIZER), Files.readAllBytes(tokenizerFile));
    AtomicFile.write(dir.resolve(CONFIG), JSON.writeValueAsBytes(configJson(c)));
  }

  public static Encoder load(Path dir) throws IOException {
    return load(dir, null);
  }

  /**
   * The directory's weights in an encoder of {@code as} (null: the directory's own config): the
   * same shape, the Matryoshka ladder free to differ — a run that starts from a model and trains
   * other prefix sizes — and a projection after pooling that the directory's model lacks may be
   * added (left at zero, for the caller to set).
   */
  public static Encoder load(Path dir, EncoderConfig as) throws IOException {
    Path cfg = dir.resolve(CONFIG), weights = dir.resolve(WEIGHTS);
    if (!Files.isRegularFile(cfg) || !Files.isRegularFile(weights)) {
      throw new IllegalArgumentException(dir + " is not a model directory: it needs " + CONFIG
          + " and " + WEIGHTS);
    }
    EncoderConfig config = readConfig(cfg);
    if (as != null) {
      boolean adds = config.projection() == 0 && as.projection() > 0;
      EncoderConfig same = new EncoderConfig(as.vocabSize(), as.dModel(), as.heads(), as.ffn(),
          as.layers(), as.maxSeqLen(), as.layerNormEps(), config.nesting(), as.pooling(),
          as.dropout(), adds ? 0 : as.projection(), as.patchDim(), as.norm(), as.tokenTypes());
      if (!same.equals(config)) {
        throw new IllegalArgumentException(cfg + ": the model's shape differs from the one asked "
            + "for (only the nesting ladder may differ)");
      }
      config = as;
      if (adds) {
        Encoder e = Encoder.empty(as);
        Map<String, dev.mtk.models.nn.autograd.Tensor> stored = new java.util.LinkedHashMap<>(e.namedParameters());
        stored.keySet().removeIf(n -> n.startsWith("projection."));
        SafeTensors.read(weights, stored);
        return checked(e, weights);
      }
    }
    Encoder e = Encoder.empty(config);
    SafeTensors.read(weights, e.namedParameters());
    return checked(e, weights);
  }

  private static Encoder checked(Encoder e, Path weights) {
    String bad = firstNonFinite(e);
    if (bad != null) {
      throw new IllegalArgumentException(weights + ": " + bad + " (a diverged training run?); "
          + "the model cannot embed");
    }
    return e;
  }

  /** The first parameter holding a NaN or an infinity, described, or null when all are finite. */
  public static String firstNonFinite(Encoder e) {
    for (var p : e.namedParameters().entrySet()) {
      var t = p.getValue();
      float[] v = t.data();
      for (int i = t.offset(); i < t.offset() + t.size(); i++) {
        if (!Float.isFinite(v[i])) {
          return "tensor " + p.getKey() + " holds " + v[i] + " at element " + (i - t.offset());
        }
      }
    }
    return null;
  }

  public static ObjectNode configJson(EncoderConfig c) {
    ObjectNode o = JSON.createObjectNode();
    o.put("architecture", "mtk-encoder");
    o.put("vocab_size", c.vocabSize());
    o.put("d_model", c.dModel());
    o.put("heads", c.heads());
    o.put("ffn", c.ffn());
    o.put("layers", c.layers());
    o.put("max_seq_len", c.maxSeqLen());
    o.put("layer_norm_eps", c.layerNormEps());
    var n = o.putArray("nesting");
    for (int m : c.nesting()) {
      n.add(m);
    }
    o.put("norm", c.norm().name().toLowerCase(java.util.Locale.ROOT));
    o.put("activation", "gelu_erf");
    o.put("positions", "learned");
    o.put("pooling", c.pooling().name().toLowerCase(java.util.Locale.ROOT));
    o.put("dropout", c.dropout());
    o.put("projection", c.projection());
    o.put("patch_dim", c.patchDim());
    if (c.tokenTypes() > 0) {
      o.put("token_types", c.tokenTypes());
    }
    return o;
  }

  /** Reads config.json (or a model.json given to `mtk model init`), naming the bad field. */
  public static EncoderConfig readConfig(Path file) throws IOException {
    JsonNode o;
    try {
      o = JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": not valid JSON: " + e.getMessage().split("\n")[0]);
    }
    return configFrom(o, file);
  }

  /**
   * Every key a model config may hold, in the order config.json writes them: the architecture's
   * fixed choices (architecture, norm, activation, positions: only mtk's values), then the sizes
   * and options. docs/ARCHITECTURE.md explains each.
   */
  public static final java.util.List<String> KEYS = java.util.List.of("architecture", "vocab_size",
      "d_model", "heads", "ffn", "layers", "max_seq_len", "layer_norm_eps", "nesting", "norm",
      "activation", "positions", "pooling", "dropout", "projection", "patch_dim", "token_types");

  /** An encoder config from a JSON (or YAML) mapping; errors name the file and the field. */
  public static EncoderConfig configFrom(JsonNode o, Path file) {
    if (o == null || !o.isObject()) {
      throw new IllegalArgumentException(file + ": expected a mapping of model settings");
    }
    for (var it = o.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException(file + ": unknown model setting \"" + key
            + "\" (known: " + String.join(", ", KEYS) + ")");
      }
    }
    String norm = o.has("norm") ? o.get("norm").asText() : "pre";
    if (!norm.equals("pre") && !norm.equals("post")) {
      throw new IllegalArgumentException(file + ": norm '" + norm + "' is not supported (pre, post)");
    }
    for (String[] fixed : new String[][] {{"activation", "gelu_erf"},
        {"positions", "learned"}, {"architecture", "mtk-encoder"}}) {
      if (o.has(fixed[0]) && !o.get(fixed[0]).asText().equals(fixed[1])) {
        throw new IllegalArgumentException(file + ": " + fixed[0] + " '" + o.get(fixed[0]).asText()
            + "' is not supported (only " + fixed[1] + ")");
      }
    }
    int d = need(o, "d_model", file);
    int[] nesting;
    if (o.has("nesting")) {
      JsonNode list = o.get("nesting");
      if (!list.isArray() || list.isEmpty()) {
        throw new IllegalArgumentException(file + ": field \"nesting\" must be a list of whole "
            + "numbers, e.g. [8, 16, 32]");
      }
      nesting = new int[list.size()];
      for (int i = 0; i < nesting.length; i++) {
        if (!list.get(i).isIntegralNumber() || !list.get(i).canConvertToInt()) {
          throw new IllegalArgumentException(file + ": field \"nesting\" must be a list of whole "
              + "numbers, not " + list.get(i));
        }
        nesting[i] = list.get(i).asInt();
      }
    } else {
      int projection = optionalInt(o, "projection", 0, file);
      nesting = new int[] {projection > 0 ? projection : d};
    }
    String pooling = o.has("pooling") ? o.get("pooling").asText() : "mean";
    if (!pooling.equals("mean") && !pooling.equals("cls")) {
      throw new IllegalArgumentException(file + ": pooling '" + pooling + "' is not supported (mean, cls)");
    }
    int patchDim = optionalInt(o, "patch_dim", 0, file);
    try {
      return new EncoderConfig(patchDim > 0 ? optionalInt(o, "vocab_size", 1, file) : need(o, "vocab_size", file),
          d, need(o, "heads", file), need(o, "ffn", file), need(o, "layers", file),
          need(o, "max_seq_len", file), (float) optionalNumber(o, "layer_norm_eps", 1e-5, file), nesting,
          pooling.equals("cls") ? EncoderConfig.Pooling.CLS : EncoderConfig.Pooling.MEAN,
          (float) optionalNumber(o, "dropout", 0, file), optionalInt(o, "projection", 0, file), patchDim,
          norm.equals("post") ? EncoderConfig.Norm.POST : EncoderConfig.Norm.PRE,
          optionalInt(o, "token_types", 0, file));
    } catch (IllegalArgumentException e) {
      // need() names the file already; the config's own checks do not
      throw e.getMessage().startsWith(file + ": ") ? e : new IllegalArgumentException(file + ": " + e.getMessage());
    }
  }

  private static int need(JsonNode o, String field, Path file) {
    JsonNode v = o.get(field);
    if (v == null || !v.isIntegralNumber() || !v.canConvertToInt()) {
      throw new IllegalArgumentException(file + ": field \"" + field + "\" must be a whole number"
          + (v == null ? " (it is missing)" : ", not " + v));
    }
    return v.asInt();
  }

  private static int optionalInt(JsonNode o, String field, int otherwise, Path file) {
    return o.has(field) ? need(o, field, file) : otherwise;
  }

  private static double optionalNumber(JsonNode o, String field, double otherwise, Path file) {
    JsonNode v = o.get(field);
    if (v == null) {
      return otherwise;
    }
    if (!v.isNumber()) {
      throw new IllegalArgumentException(file + ": field \"" + field + "\" must be a number, not " + v);
    }
    return v.asDouble();
  }
}
