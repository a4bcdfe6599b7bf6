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
import dev.mtk.tokenizers.text.TextTokenizer;
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
 * baselines/     NAME/: a run directory per baseline the config lists (baselines:)
 * </pre>
 */
public final class RunDirectory implements AutoCloseable {

  /**
   * What to do with a directory that already holds a run: refuse it ({@code NEW}), replace the
   * run's files ({@code REPLACE}, {@code --force}) or continue it ({@code RESUME}), which needs
   * the configuration the run was started with.
   */
  public enum Mode {
    NEW, REPLACE, RESUME;

    /** The mode a resume and a force flag ask for; both at once is a contradiction. */
    public static Mode of(boolean resume, boolean force) {
      if (resume && force) {
        throw new IllegalArgumentException("resume continues a run and force replaces it: give one");
      }
      return resume ? RESUME : force ? REPLACE : NEW;
    }
  }

  /** The files and folders a run writes: what REPLACE removes, and what makes a directory a run. */
  static final List<String> RUN_FILES = List.of("config.json", "run.json", "metrics.jsonl",
      "results.json", "results.md", "report.html", "model", "checkpoints", "baselines");
  static final String LOCK = ".lock";

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final Pattern STEP = Pattern.compile("\"step\": (\\d+)");

  private final Path dir;
  private final java.nio.channels.FileChannel lockChannel;
  private final java.nio.channels.FileLock lock;
  private OutputStream metrics;

  private RunDirectory(Path dir, java.nio.channels.FileChannel lockChannel, java.nio.channels.FileLock lock) {
    this.dir = dir;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /**
   * Takes {@code dir} for a run: creates it, locks it against a second writer (released on
   * close, or by the OS when the process dies), applies {@code mode} to a run already there,
   * and records the configuration and the machine.
   */
  public static RunDirectory start(Path dir, TrainConfig cfg, WorkerPool pool, Mode mode)
      throws IOException {
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new IllegalArgumentException(dir + " is a file, not a run directory");
    }
    Files.createDirectories(dir);
    var channel = java.nio.channels.FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE,
        StandardOpenOption.READ, StandardOpenOption.WRITE);
    java.nio.channels.FileLock held;
    try {
      held = channel.tryLock();
    } catch (java.nio.channels.OverlappingFileLockException e) {
      held = null;
    }
    if (held == null) {
      String holder = new String(Files.readAllBytes(dir.resolve(LOCK)), StandardCharsets.UTF_8).strip();
      channel.close();
      throw new IllegalStateException(dir + " is in use by another run"
          + (holder.isEmpty() ? "" : " (" + holder + ")") + "; wait for it, or choose another --output");
    }
    RunDirectory run = new RunDirectory(dir, channel, held);
    try {
      channel.truncate(0);
      channel.write(java.nio.ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + ", since "
          + java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS))
          .getBytes(StandardCharsets.UTF_8)), 0);
      run.prepare(cfg, mode, pool.threads());
    } catch (IOException | RuntimeException e) {
      run.close();
      throw e;
    }
    return run;
  }

  private void prepare(TrainConfig cfg, Mode mode, int threads) throws IOException {
    boolean existing = RUN_FILES.stream().anyMatch(f -> Files.exists(dir.resolve(f)));
    Path config = dir.resolve("config.json");
    switch (mode) {
      case NEW -> {
        if (existing) {
          throw new IllegalArgumentException(dir + " already holds a run: continue it with "
              + "--resume, or replace it with --force");
        }
      }
      case REPLACE -> {
        for (String f : RUN_FILES) {
          deleteTree(dir.resolve(f));
        }
      }
      case RESUME -> {
        if (Files.exists(config)) {
          // compared as written: both sides through the same JSON text
          String differs = firstDifference(JSON.readTree(config.toFile()),
              JSON.readTree(JSON.writeValueAsBytes(cfg.toJson())), "");
          if (differs != null) {
            throw new IllegalArgumentException(config + ": the run was started with another "
                + "configuration (" + differs + "); resume it with that configuration, or start "
                + "a new run (--force replaces this one)");
          }
        }
      }
    }
    record(cfg, threads);
  }

  /** The first key (as a dotted path) whose value differs between two configurations, or null. */
  static String firstDifference(com.fasterxml.jackson.databind.JsonNode a,
      com.fasterxml.jackson.databind.JsonNode b, String path) {
    if (a.isObject() && b.isObject()) {
      java.util.Set<String> keys = new java.util.TreeSet<>();
      a.fieldNames().forEachRemaining(keys::add);
      b.fieldNames().forEachRemaining(keys::add);
      for (String k : keys) {
        String p = path.isEmpty() ? k : path + "." + k;
        if (!a.has(k) || !b.has(k)) {
          return p + " is " + (a.has(k) ? a.get(k) : "absent") + " in the run, "
              + (b.has(k) ? b.get(k) : "absent") + " now";
        }
        String d = firstDifference(a.get(k), b.get(k), p);
        if (d != null) {
          return d;
        }
      }
      return null;
    }
    return a.equals(b) ? null : path + " is " + a + " in the run, " + b + " now";
  }

  private static void deleteTree(Path p) throws IOException {
    if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      try (var s = Files.list(p)) {
        for (Path c : s.toList()) {
          deleteTree(c);
        }
      }
    }
    Files.deleteIfExists(p);
  }

  private void record(TrainConfig cfg, int threads) throws IOException {
    AtomicFile.write(dir.resolve("config.json"), JSON.writeValueAsBytes(cfg.toJson()));
    ObjectNode run = JSON.createObjectNode();
    run.put("seed", cfg.seed());
    run.put("config_sha256", sha256(JSON.writeValueAsBytes(cfg.toJson())));
    run.put("jdk", Runtime.version().toString());
    run.put("simd", KernelProvider.description());
    run.put("threads", threads);
    run.put("git_commit", gitCommit());
    run.put("cpu", cpuName());
    AtomicFile.write(dir.resolve("run.json"), JSON.writeValueAsBytes(run));
  }

  public Path path() {
    return dir;
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

  /**
   * model/: the weights and config, and the tokenizer (text) or image.json (images; with audio.json for audio), loadable by
   * the inference API and mtk model commands. A tokenizer that came with init: DIR is copied as
   * its file was ({@code tokenizerFile}); one trained or given is written out.
   */
  void saveModel(Encoder enc, TextTokenizer tok, Path tokenizerFile,
      dev.mtk.tokenizers.image.ImageFormat format, dev.mtk.tokenizers.audio.AudioFormat audio) throws IOException {
    Path modelDir = dir.resolve("model");
    ModelDirectory.save(enc, modelDir);
    if (tokenizerFile != null) {
      dev.mtk.core.io.AtomicFile.write(modelDir.resolve(ModelDirectory.TOKENIZER),
          Files.readAllBytes(tokenizerFile));
    } else if (tok instanceof Tokenizer bpe) {
      HuggingFaceJson.save(bpe, modelDir.resolve(ModelDirectory.TOKENIZER));
    }
    if (format != null) {
      format.save(modelDir);
    }
    if (audio != null) {
      audio.save(modelDir); // WAV → spectrogram image, which image.json cuts into patches
    }
  }

  /**
   * Removes what {@link #start} wrote for a new run (its config.json, run.json) when the run
   * fails before its first step — unreadable data, a batch that cannot be filled — so that the
   * corrected command runs again without --force. Leaves the folder and anything else in it.
   */
  void abandon() throws IOException {
    if (Files.exists(dir.resolve("checkpoints")) || Files.exists(dir.resolve("model"))) {
      return;
    }
    for (String f : List.of("config.json", "run.json", "metrics.jsonl")) {
      Files.deleteIfExists(dir.resolve(f));
    }
  }

  /**
   * A dual encoder's text tower, as a text model directory of its own inside the model's
   * (model/text/): {@link EmbeddingModel#load} pairs the two.
   */
  void saveTextTower(Encoder enc, TextTokenizer tok) throws IOException {
    Path textDir = dir.resolve("model").resolve(dev.mtk.models.inference.EmbeddingModel.TEXT_TOWER);
    ModelDirectory.save(enc, textDir);
    HuggingFaceJson.save((Tokenizer) tok, textDir.resolve(ModelDirectory.TOKENIZER));
  }

  /**
   * The scores a finished run in {@code dir} saved (its results.json, method "mrl"), or null when
   * it has not finished: no results.json or no model.
   */
  public static Map<String, Map<String, Double>> finishedResults(Path dir) throws IOException {
    Path f = dir.resolve("results.json");
    if (!Files.isRegularFile(f) || !Files.isDirectory(dir.resolve("model"))) {
      return null;
    }
    Map<String, Map<String, Double>> out = new java.util.LinkedHashMap<>();
    JSON.readTree(f.toFile()).path("methods").path("mrl").fields().forEachRemaining(metric -> {
      Map<String, Double> byDim = new java.util.LinkedHashMap<>();
      metric.getValue().fields().forEachRemaining(d -> byDim.put(d.getKey(), d.getValue().asDouble()));
      out.put(metric.getKey(), byDim);
    });
    return out;
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
    try {
      if (metrics != null) {
        metrics.close();
      }
    } finally {
      lock.release();
      lockChannel.close();
    }
  }

  static String sha256(byte[] b) {
    try {
      return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(b));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
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
