package dev.mtk.training.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.mtk.models.encoder.EncoderConfig;
import dev.mtk.training.loss.LossConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Set;

/**
 * A training run, read from YAML. Every field has a default except the model; unknown fields are
 * refused by name, so a typo does not silently fall back to a default.
 *
 * <pre>
 * task: reverse-dictionary     # retrieval, built in: WordNet definition → lemmas
 *                              # example-definition: built in: a usage example → its definition
 *                              # pairs: data: FILE (.jsonl anchor/positive[/negative], or .tsv)
 *                              # lexfile: classification, built in: definition → lexicographer file
 *                              # labels: data: FILE (.jsonl text/label, or .tsv)
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
 * eval_every: 0               # evaluate on the dev split every N steps (0: only at the end) * tokenizer: null             # a tokenizer.json, or null to train BPE on WordNet's glosses
 * log_every: 10
 * checkpoint_every: 100       # 0: none; a checkpoint holds everything --resume needs
 * optimizer: adamw            # adamw or sgd
 * momentum: 0.9               # sgd only
 * clip_norm: 0                # clip gradients to this global L2 norm; 0: no clipping
 * accumulation_steps: 1       # micro-batches per update (gradients averaged)
 * </pre>
 */
public record TrainConfig(String task, long seed, EncoderConfig model, int steps, int batchPairs,
    float lr, float weightDecay, int warmupSteps, String schedule, LossConfig loss,
    String tokenizer, int logEvery, int checkpointEvery, String optimizer, float momentum,
    float clipNorm, int accumulation, String data, String teacher, int evalEvery) {

  private static final Set<String> FIELDS = Set.of("task", "seed", "model", "steps", "batch_pairs",
      "lr", "weight_decay", "warmup_steps", "schedule", "temperature", "dims", "loss", "tokenizer",
      "log_every", "checkpoint_every", "optimizer", "momentum", "clip_norm", "accumulation_steps",
      "data", "teacher", "eval_every");
  /** Retrieval tasks (pairs of texts) and classification tasks (labelled texts). */
  public static final Set<String> RETRIEVAL = Set.of("reverse-dictionary", "example-definition", "pairs"),
      CLASSIFICATION = Set.of("lexfile", "labels");
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  public TrainConfig {
    if (!RETRIEVAL.contains(task) && !CLASSIFICATION.contains(task)) {
      throw new IllegalArgumentException("task '" + task + "' is not known: reverse-dictionary, "
          + "example-definition or lexfile (built in), pairs or labels (with data: FILE.jsonl|.tsv)");
    }
    boolean userData = task.equals("pairs") || task.equals("labels");
    if (userData != (data != null)) {
      throw new IllegalArgumentException(userData
          ? "task " + task + " needs data: FILE (" + (task.equals("pairs")
              ? "JSON Lines {\"anchor\", \"positive\"[, \"negative\"]} or TSV)"
              : "JSON Lines {\"text\", \"label\"} or TSV text TAB label)")
          : "data: is for the tasks pairs and labels; " + task + " is built in");
    }
    if (steps < 1 || batchPairs < 2 || logEvery < 1 || warmupSteps < 0 || checkpointEvery < 0 || evalEvery < 0) {
      throw new IllegalArgumentException("steps ≥ 1, batch_pairs ≥ 2, log_every ≥ 1, warmup_steps ≥ 0, checkpoint_every ≥ 0, eval_every ≥ 0");
    }
    if (!(lr > 0) || weightDecay < 0) {
      throw new IllegalArgumentException("lr must be > 0, weight_decay ≥ 0");
    }
    String base = loss.base();
    if (base.equals("infonce") && !RETRIEVAL.contains(task)) {
      throw new IllegalArgumentException("loss base infonce needs pairs (task reverse-dictionary, "
          + "example-definition or pairs); for task " + task + " use base: classification");
    }
    if (base.equals("classification") && !CLASSIFICATION.contains(task)) {
      throw new IllegalArgumentException("loss base classification needs labelled text (task lexfile "
          + "or labels); for task " + task + " use base: infonce");
    }
    if (base.equals("mse") != (teacher != null)) {
      throw new IllegalArgumentException(base.equals("mse")
          ? "loss base mse distils a teacher: set teacher: MODEL_DIR"
          : "teacher: is for loss base mse (distillation)");
    }
    if (loss.adaptive() != null && model.layers() < 2) {
      throw new IllegalArgumentException("loss.adaptive_layers needs a model with at least 2 layers");
    }
    if (!Set.of("adamw", "sgd").contains(optimizer)) {
      throw new IllegalArgumentException("optimizer must be adamw or sgd");
    }
    if (momentum < 0 || clipNorm < 0 || accumulation < 1) {
      throw new IllegalArgumentException("momentum ≥ 0, clip_norm ≥ 0 (0: off), accumulation_steps ≥ 1");
    }
    if (!Set.of("cosine", "linear", "constant").contains(schedule)) {
      throw new IllegalArgumentException("schedule must be cosine, linear or constant");
    }
    if (loss.dims() != null) {
      for (int m : loss.dims()) {
        if (m < 1 || m > model.embeddingSize()) {
          throw new IllegalArgumentException("dims " + java.util.Arrays.toString(loss.dims())
              + " must lie within 1.." + model.embeddingSize() + " (the model's embedding size)");
        }
      }
    }
    // validates weights, dims order and the rest with the loss's own messages
    loss.build(2);
  }

  /** The Matryoshka prefix sizes trained, or just the full width without a Matryoshka loss. */
  public int[] dims() {
    return loss.dims() != null ? loss.dims() : new int[] {model.embeddingSize()};
  }

  /** The learning rate at a step (0-based): linear warm-up, then the schedule down to 0. */
  public float learningRate(int step) {
    if (step < warmupSteps) {
      return lr * (step + 1) / warmupSteps;
    }
    double t = (double) (step - warmupSteps) / Math.max(1, steps - warmupSteps);
    return switch (schedule) {
      case "cosine" -> (float) (lr * 0.5 * (1 + Math.cos(Math.PI * t)));
      case "linear" -> (float) (lr * (1 - t));
      default -> lr;
    };
  }

  public static TrainConfig read(Path file) throws IOException {
    JsonNode root;
    try {
      root = YAML.readTree(file.toFile());
    } catch (IOException e) {
      throw new IllegalArgumentException(file + ": not valid YAML: " + e.getMessage().split("\n")[0]);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException(file + ": expected a mapping of settings");
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!FIELDS.contains(f)) {
        throw new IllegalArgumentException(file + ": unknown setting '" + f + "' (known: "
            + new java.util.TreeSet<>(FIELDS) + ")");
      }
    }
    if (!root.has("model")) {
      throw new IllegalArgumentException(file + ": the 'model' section is required");
    }
    EncoderConfig model = dev.mtk.models.io.ModelDirectory.configFrom(root.get("model"), file);
    try {
      LossConfig loss;
      if (root.has("loss")) {
        if (root.has("dims") || root.has("temperature")) {
          throw new IllegalArgumentException("dims and temperature are shorthand for a loss: section; "
              + "with loss: given, put them under loss.matryoshka.dims and loss.temperature");
        }
        loss = LossConfig.parse(root.get("loss"));
      } else {
        int[] dims;
        if (root.has("dims")) {
          dims = new int[root.get("dims").size()];
          for (int i = 0; i < dims.length; i++) {
            dims[i] = root.get("dims").get(i).asInt();
          }
        } else {
          dims = model.nesting();
        }
        String task = root.path("task").asText("reverse-dictionary");
        loss = CLASSIFICATION.contains(task)
            ? new LossConfig("classification", 0.05f, false, "separate", dims, null, -1, null)
            : LossConfig.matryoshkaInfoNce(dims, (float) root.path("temperature").asDouble(0.05));
      }
      return new TrainConfig(root.path("task").asText("reverse-dictionary"),
          root.path("seed").asLong(0), model, root.path("steps").asInt(300),
          root.path("batch_pairs").asInt(64), (float) root.path("lr").asDouble(1e-3),
          (float) root.path("weight_decay").asDouble(0.01), root.path("warmup_steps").asInt(30),
          root.path("schedule").asText("cosine"), loss,
          root.hasNonNull("tokenizer") ? root.get("tokenizer").asText() : null,
          root.path("log_every").asInt(10), root.path("checkpoint_every").asInt(0),
          root.path("optimizer").asText("adamw"), (float) root.path("momentum").asDouble(0.9),
          (float) root.path("clip_norm").asDouble(0), root.path("accumulation_steps").asInt(1),
          root.hasNonNull("data") ? resolve(file, root.get("data").asText()) : null,
          root.hasNonNull("teacher") ? resolve(file, root.get("teacher").asText()) : null,
          root.path("eval_every").asInt(0));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage());
    }
  }

  /** The resolved configuration, every default filled in, as written to the run directory. */
  public ObjectNode toJson() {
    ObjectNode o = YAML.createObjectNode();
    o.put("task", task);
    o.put("seed", seed);
    o.set("model", dev.mtk.models.io.ModelDirectory.configJson(model));
    o.put("steps", steps);
    o.put("batch_pairs", batchPairs);
    o.put("lr", lr);
    o.put("weight_decay", weightDecay);
    o.put("warmup_steps", warmupSteps);
    o.put("schedule", schedule);
    o.set("loss", loss.toJson());
    if (tokenizer == null) {
      o.putNull("tokenizer");
    } else {
      o.put("tokenizer", tokenizer);
    }
    o.put("log_every", logEvery);
    o.put("checkpoint_every", checkpointEvery);
    o.put("optimizer", optimizer);
    o.put("momentum", momentum);
    o.put("clip_norm", clipNorm);
    o.put("accumulation_steps", accumulation);
    if (data != null) {
      o.put("data", data);
    }
    if (teacher != null) {
      o.put("teacher", teacher);
    }
    o.put("eval_every", evalEvery);
    return o;
  }

  public TrainConfig withSeed(long newSeed) {
    return new TrainConfig(task, newSeed, model, steps, batchPairs, lr, weightDecay, warmupSteps,
        schedule, loss, tokenizer, logEvery, checkpointEvery, optimizer, momentum,
        clipNorm, accumulation, data, teacher, evalEvery);
  }

  /** A path in the config, relative to the config file's directory unless absolute. */
  private static String resolve(Path configFile, String path) {
    Path p = Path.of(path);
    if (p.isAbsolute() || configFile.getParent() == null || java.nio.file.Files.exists(p)) {
      return path;
    }
    return configFile.getParent().resolve(p).toString();
  }
}
