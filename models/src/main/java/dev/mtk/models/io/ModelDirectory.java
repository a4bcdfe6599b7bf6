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

  public static Encoder load(Path dir) throws IOException {
    Path cfg = dir.resolve(CONFIG), weights = dir.resolve(WEIGHTS);
    if (!Files.isRegularFile(cfg) || !Files.isRegularFile(weights)) {
      throw new IllegalArgumentException(dir + " is not a model directory: it needs " + CONFIG
          + " and " + WEIGHTS);
    }
    EncoderConfig config = readConfig(cfg);
    Encoder e = Encoder.empty(config);
    SafeTensors.read(weights, e.namedParameters());
    return e;
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
    o.put("norm", "pre");
    o.put("activation", "gelu_erf");
    o.put("positions", "learned");
    o.put("pooling", c.pooling().name().toLowerCase(java.util.Locale.ROOT));
    o.put("dropout", c.dropout());
    o.put("projection", c.projection());
    o.put("patch_dim", c.patchDim());
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

  /** An encoder config from a JSON (or YAML) mapping; errors name the file and the field. */
  public static EncoderConfig configFrom(JsonNode o, Path file) {
    if (o == null || !o.isObject()) {
      throw new IllegalArgumentException(file + ": expected a mapping of model settings");
    }
    for (String[] fixed : new String[][] {{"norm", "pre"}, {"activation", "gelu_erf"},
        {"positions", "learned"}, {"architecture", "mtk-encoder"}}) {
      if (o.has(fixed[0]) && !o.get(fixed[0]).asText().equals(fixed[1])) {
        throw new IllegalArgumentException(file + ": " + fixed[0] + " '" + o.get(fixed[0]).asText()
            + "' is not supported (only " + fixed[1] + ")");
      }
    }
    int d = need(o, "d_model", file);
    int[] nesting;
    if (o.has("nesting")) {
      nesting = new int[o.get("nesting").size()];
      for (int i = 0; i < nesting.length; i++) {
        nesting[i] = o.get("nesting").get(i).asInt();
      }
    } else {
      nesting = new int[] {o.path("projection").asInt(0) > 0 ? o.path("projection").asInt() : d};
    }
    String pooling = o.path("pooling").asText("mean");
    if (!pooling.equals("mean") && !pooling.equals("cls")) {
      throw new IllegalArgumentException(file + ": pooling '" + pooling + "' is not supported (mean, cls)");
    }
    int patchDim = o.path("patch_dim").asInt(0);
    try {
      return new EncoderConfig(patchDim > 0 ? o.path("vocab_size").asInt(1) : need(o, "vocab_size", file),
          d, need(o, "heads", file), need(o, "ffn", file), need(o, "layers", file),
          need(o, "max_seq_len", file), (float) o.path("layer_norm_eps").asDouble(1e-5), nesting,
          pooling.equals("cls") ? EncoderConfig.Pooling.CLS : EncoderConfig.Pooling.MEAN,
          (float) o.path("dropout").asDouble(0), o.path("projection").asInt(0), patchDim);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage());
    }
  }

  private static int need(JsonNode o, String field, Path file) {
    JsonNode v = o.get(field);
    if (v == null || !v.canConvertToInt()) {
      throw new IllegalArgumentException(file + ": field \"" + field + "\" must be an integer");
    }
    return v.asInt();
  }
}
