package dev.mtk.training.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mtk.core.io.AtomicFile;
import dev.mtk.core.kernel.KernelProvider;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.encoder.Encoder;
import dev.mtk.models.io.ModelDirectory;
import dev.mtk.tokenizers.text.formats.HuggingFaceJson;
import dev.mtk.tokenizers.text.Tokenizer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A training run's directory, and everything the trainer writes into it:
 *
 * <pre>
 * config.json    the resolved configuration (every default filled in)
 * run.json       seed, git commit, JDK, CPU, SIMD species, threads
 * metrics.jsonl  step, loss (and each part: per dim, per layer), learning rate, tokens/s;
 *                dev scores every eval_every steps
 * checkpoints/   step-N/: what --resume needs (Checkpoint)
 * model/         config.json, model.safetensors, tokenizer.json (as mtk model init writes)
 * results.json   {"task", "dims", "methods": {"mrl": {metric: {dim: value}}}}
 * </pre>
 */
public final class RunDirectory implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final Pattern STEP = Pattern.compile("\"step\": (\\d+)");

  private final Path dir;
  private OutputStream metrics;

  private RunDirectory(Path dir) {
    this.dir = dir;
  }

  /** Creates (or reuses) {@code dir} and records the configuration and the machine. */
  public static RunDirectory start(Path dir, TrainConfig cfg, WorkerPool pool) throws IOException {
    Files.createDirectories(dir);
    AtomicFile.write(dir.resolve("config.json"), JSON.writeValueAsBytes(cfg.toJson()));
    ObjectNode run = JSON.createObjectNode();
    run.put("seed", cfg.seed());
    run.put("jdk", Runtime.version().toString());
    run.put("simd", KernelProvider.description());
    run.put("threads", pool.threads());
    run.put("git_commit", gitCommit());
    run.put("cpu", cpuName());
    AtomicFile.write(dir.resolve("run.json"), JSON.writeValueAsBytes(run));
    return new RunDirectory(dir);
  }

  public Path path() {
    return dir;
  }

  /** The latest complete checkpoint, if any. */
  java.util.Optional<Path> latestCheckpoint() throws IOException {
    return Checkpoint.latest(dir);
  }

  /**
   * Opens metrics.jsonl for the steps after {@code firstStep}: a fresh file at 0, else the lines
   * of steps up to {@code firstStep} kept (a resumed run continues the log it interrupted).
   */
  void openMetrics(int firstStep) throws IOException {
    Path file = dir.resolve("metrics.jsonl");
    if (firstStep > 0 && Files.exists(file)) {
      List<String> kept = new ArrayList<>();
      for (String line : Files.readAllLines(file)) {
        Matcher m = STEP.matcher(line);
        if (m.find() && Integer.parseInt(m.group(1)) <= firstStep) {
          kept.add(line);
        }
      }
      AtomicFile.write(file, (String.join("\n", kept) + (kept.isEmpty() ? "" : "\n"))
          .getBytes(StandardCharsets.UTF_8));
    }
    metrics = Files.newOutputStream(file, StandardOpenOption.CREATE, firstStep > 0
        ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
  }

  /** One logged step: its loss, each named part of it, the learning rate and the speed. */
  void logStep(int step, double loss, float lr, double tokensPerSecond, List<String> parts,
      double[] partLosses) throws IOException {
    StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
        "{\"step\": %d, \"loss\": %.6f, \"lr\": %.6g, \"tokens_per_s\": %.1f", step, loss, lr,
        tokensPerSecond));
    if (parts.size() > 1) {
      line.append(", \"losses\": {");
      for (int c = 0; c < partLosses.length; c++) {
        line.append(c == 0 ? "" : ", ").append('"').append(parts.get(c)).append("\": ")
            .append(String.format(Locale.ROOT, "%.6f", partLosses[c]));
      }
      line.append('}');
    }
    write(line + "}\n");
  }

  /** Dev-split scores at a step. */
  void logDev(int step, Map<String, Map<String, Double>> scores) throws IOException {
    write("{\"step\": " + step + ", \"dev\": " + JSON.writer()
        .without(SerializationFeature.INDENT_OUTPUT).writeValueAsString(scores) + "}\n");
  }

  private void write(String line) throws IOException {
    metrics.write(line.getBytes(StandardCharsets.UTF_8));
    metrics.flush();
  }

  /** The trained model, loadable by the inference API and mtk model commands. */
  void saveModel(Encoder enc, Tokenizer tok) throws IOException {
    Path modelDir = dir.resolve("model");
    ModelDirectory.save(enc, modelDir);
    HuggingFaceJson.save(tok, modelDir.resolve(ModelDirectory.TOKENIZER));
  }

  /** results.json: the test split's scores, metric → dim → value, as method "mrl". */
  void saveResults(String task, Map<String, Map<String, Double>> scores) throws IOException {
    ObjectNode o = JSON.createObjectNode();
    o.put("task", task);
    var dims = o.putArray("dims");
    scores.values().iterator().next().keySet().forEach(k -> dims.add(Integer.parseInt(k)));
    o.putObject("methods").set("mrl", JSON.valueToTree(scores));
    AtomicFile.write(dir.resolve("results.json"), JSON.writeValueAsBytes(o));
  }

  @Override
  public void close() throws IOException {
    if (metrics != null) {
      metrics.close();
    }
  }

  /** The commit of the working directory's git checkout, or "unknown" outside one. */
  static String gitCommit() {
    try {
      Path d = Path.of("").toAbsolutePath();
      while (d != null && !Files.isDirectory(d.resolve(".git"))) {
        d = d.getParent();
      }
      if (d == null) {
        return "unknown";
      }
      String head = Files.readString(d.resolve(".git/HEAD")).strip();
      if (!head.startsWith("ref: ")) {
        return head;
      }
      Path ref = d.resolve(".git").resolve(head.substring(5));
      if (Files.exists(ref)) {
        return Files.readString(ref).strip();
      }
      Path packed = d.resolve(".git/packed-refs");
      if (Files.exists(packed)) {
        for (String l : Files.readAllLines(packed)) {
          if (l.endsWith(" " + head.substring(5))) {
            return l.substring(0, l.indexOf(' '));
          }
        }
      }
      return "unknown";
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  /** The CPU's model name from /proc/cpuinfo (Linux), else the OS architecture. */
  static String cpuName() {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (l.startsWith("model name")) {
          return l.substring(l.indexOf(':') + 1).strip();
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: fall through
    }
    return System.getProperty("os.arch");
  }
}
