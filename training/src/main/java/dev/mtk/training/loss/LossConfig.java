package dev.mtk.training.loss;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code loss:} section of a training config, and the {@link Loss} it builds:
 *
 * <pre>
 * loss:
 *   base: infonce            # infonce (pairs, triplets), classification (labelled text), mse (distillation),
 *                            # supcon (two augmented views of labelled images, Khosla et al. 2020),
 *                            # similarity (self-distillation of the teacher's in-batch cosine similarities)
 *   anchor_weight: 1         # similarity: weight of mean(1 − cos(student, teacher)) at the full width
 *   temperature: 0.05        # infonce
 *   symmetric: false         # infonce: also positives → anchors
 *   head: separate           # classification: separate (a head per size, MRL) or shared (MRL-E)
 *   matryoshka:              # omit to train the full embedding only
 *     dims: [8, 16, 32, 64]
 *     weights: [1, 1, 1, 1]  # default all 1
 *     dims_per_step: -1      # -1: every size every step; n: n sizes drawn per step
 *   adaptive_layers:         # omit for the last layer only; with matryoshka: 2D Matryoshka
 *     layers_per_step: 1     # earlier layers drawn per step; -1: all
 *     last_layer_weight: 1
 *     prior_layers_weight: 1
 *     kl_weight: 1
 *     kl_temperature: 0.3
 * </pre>
 */
public record LossConfig(String base, float temperature, boolean symmetric, String head,
    int[] dims, float[] weights, int dimsPerStep, Adaptive adaptive, float anchorWeight) {

  public LossConfig(String base, float temperature, boolean symmetric, String head, int[] dims,
      float[] weights, int dimsPerStep, Adaptive adaptive) {
    this(base, temperature, symmetric, head, dims, weights, dimsPerStep, adaptive, 1f);
  }

  /** The adaptive-layers settings (null in {@link LossConfig#adaptive} when not used). */
  public record Adaptive(int layersPerStep, float lastLayerWeight, float priorLayersWeight,
      float klWeight, float klTemperature) {}

  private static final Set<String> FIELDS = Set.of("base", "temperature", "symmetric", "head",
      "matryoshka", "adaptive_layers", "anchor_weight");
  private static final Set<String> MATRYOSHKA = Set.of("dims", "weights", "dims_per_step");
  private static final Set<String> ADAPTIVE = Set.of("layers_per_step", "last_layer_weight",
      "prior_layers_weight", "kl_weight", "kl_temperature");
  private static final ObjectMapper JSON = new ObjectMapper();

  public LossConfig {
    if (!Set.of("infonce", "classification", "mse", "supcon", "similarity").contains(base)) {
      throw new IllegalArgumentException("loss.base '" + base + "' is not known: infonce (pairs or "
          + "triplets), classification (labelled text), mse (distillation from a teacher), supcon "
          + "(supervised contrastive between two augmented views of labelled images) or similarity "
          + "(self-distillation of a teacher's cosine similarities)");
    }
    if (anchorWeight != 1f && !base.equals("similarity")) {
      throw new IllegalArgumentException("loss.anchor_weight is for base similarity");
    }
    if (!Set.of("separate", "shared").contains(head)) {
      throw new IllegalArgumentException("loss.head must be separate (a head per prefix size, MRL) "
          + "or shared (one head sliced, MRL-E)");
    }
    if (weights != null && dims == null) {
      throw new IllegalArgumentException("loss.matryoshka.weights without dims");
    }
  }

  /** The classic default: Matryoshka InfoNCE over {@code dims} at temperature τ. */
  public static LossConfig matryoshkaInfoNce(int[] dims, float temperature) {
    return new LossConfig("infonce", temperature, false, "separate", dims, null, -1, null);
  }

  /** Builds the loss; {@code classes} is the label count of labelled data (else ignored). */
  public Loss build(int classes) {
    Loss loss = switch (base) {
      case "infonce" -> new InfoNce(temperature, symmetric);
      case "supcon" -> new SupCon(temperature);
      case "classification" -> new SoftmaxClassification(classes, head.equals("shared"));
      case "similarity" -> new SimilarityDistillation(anchorWeight);
      default -> new MseDistillation();
    };
    if (dims != null) {
      loss = new MatryoshkaLoss(loss, dims, weights, dimsPerStep);
    }
    if (adaptive != null) {
      loss = new AdaptiveLayerLoss(loss, adaptive.layersPerStep(), adaptive.lastLayerWeight(),
          adaptive.priorLayersWeight(), adaptive.klWeight(), adaptive.klTemperature());
    }
    return loss;
  }

  /** Reads a {@code loss:} section; errors name the offending field. */
  public static LossConfig parse(JsonNode node) {
    if (!node.isObject()) {
      throw new IllegalArgumentException("loss: expected a mapping (base, temperature, matryoshka, …)");
    }
    refuseUnknown(node, FIELDS, "loss");
    int[] dims = null;
    float[] weights = null;
    int perStep = -1;
    JsonNode mat = node.get("matryoshka");
    if (mat != null && !mat.isNull()) {
      refuseUnknown(mat, MATRYOSHKA, "loss.matryoshka");
      if (!mat.has("dims") || !mat.get("dims").isArray()) {
        throw new IllegalArgumentException("loss.matryoshka needs dims: [8, 16, …]");
      }
      dims = ints(mat.get("dims"), "loss.matryoshka.dims");
      if (mat.has("weights")) {
        JsonNode w = mat.get("weights");
        weights = new float[w.size()];
        for (int i = 0; i < weights.length; i++) {
          if (!w.get(i).isNumber()) {
            throw new IllegalArgumentException("loss.matryoshka.weights[" + i + "] is not a number");
          }
          weights[i] = (float) w.get(i).asDouble();
        }
      }
      perStep = mat.path("dims_per_step").asInt(-1);
    }
    Adaptive adaptive = null;
    JsonNode ad = node.get("adaptive_layers");
    if (ad != null && !ad.isNull()) {
      refuseUnknown(ad, ADAPTIVE, "loss.adaptive_layers");
      adaptive = new Adaptive(ad.path("layers_per_step").asInt(1),
          (float) ad.path("last_layer_weight").asDouble(1), (float) ad.path("prior_layers_weight").asDouble(1),
          (float) ad.path("kl_weight").asDouble(1), (float) ad.path("kl_temperature").asDouble(0.3));
    }
    return new LossConfig(node.path("base").asText("infonce"),
        (float) node.path("temperature").asDouble(0.05), node.path("symmetric").asBoolean(false),
        node.path("head").asText("separate"), dims, weights, perStep, adaptive,
        number(node, "anchor_weight", 1));
  }

  /** The resolved section, every default filled in. */
  public ObjectNode toJson() {
    ObjectNode o = JSON.createObjectNode();
    o.put("base", base);
    if (base.equals("infonce")) {
      o.put("temperature", temperature);
      o.put("symmetric", symmetric);
    }
    if (base.equals("classification")) {
      o.put("head", head);
    }
    if (base.equals("similarity")) {
      o.put("anchor_weight", anchorWeight);
    }
    if (dims != null) {
      ObjectNode m = o.putObject("matryoshka");
      var d = m.putArray("dims");
      Arrays.stream(dims).forEach(d::add);
      var w = m.putArray("weights");
      for (int i = 0; i < dims.length; i++) {
        w.add(weights == null ? 1f : weights[i]);
      }
      m.put("dims_per_step", dimsPerStep);
    }
    if (adaptive != null) {
      ObjectNode a = o.putObject("adaptive_layers");
      a.put("layers_per_step", adaptive.layersPerStep());
      a.put("last_layer_weight", adaptive.lastLayerWeight());
      a.put("prior_layers_weight", adaptive.priorLayersWeight());
      a.put("kl_weight", adaptive.klWeight());
      a.put("kl_temperature", adaptive.klTemperature());
    }
    return o;
  }

  private static float number(JsonNode node, String field, double otherwise) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return (float) otherwise;
    }
    if (!v.isNumber()) {
      throw new IllegalArgumentException("loss." + field + " must be a number, not " + v);
    }
    return (float) v.asDouble();
  }

  private static int[] ints(JsonNode arr, String field) {
    int[] out = new int[arr.size()];
    for (int i = 0; i < out.length; i++) {
      if (!arr.get(i).canConvertToInt()) {
        throw new IllegalArgumentException(field + "[" + i + "] is not an integer");
      }
      out[i] = arr.get(i).asInt();
    }
    return out;
  }

  private static void refuseUnknown(JsonNode node, Set<String> known, String where) {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!known.contains(f)) {
        throw new IllegalArgumentException(where + ": unknown setting '" + f + "' (known: "
            + new TreeSet<>(known) + ")");
      }
    }
  }
}
