package dev.mtk.training.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtk.models.encoder.Encoder;
import dev.mtk.models.io.SafeTensors;
import dev.mtk.models.nn.optim.Optimizer;
import dev.mtk.models.nn.autograd.Arena;
import dev.mtk.models.nn.autograd.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Everything a run needs to continue as if never stopped: the weights, the optimizer's state and
 * step count, and the data order's position (epoch and offset; the order itself follows from the seed).
 * Written as checkpoints/step-N/ — model.safetensors, optimizer.safetensors, state.json, and for
 * losses with parameters (classification heads) heads.safetensors, for a dual encoder its text
 * tower in text.safetensors (each with its optimizer's moments) — into a
 * temporary directory that is renamed into place only when complete, so a crash (even kill -9)
 * leaves either the whole checkpoint or none.
 */
final class Checkpoint {

  private static final ObjectMapper JSON = new ObjectMapper();

  record State(int step, int epoch, int position, int adamSteps) {}

  /**
   * Parameters trained beside the encoder with an optimizer of their own (loss heads, a second
   * tower), saved with the optimizer's moments in one file of the checkpoint.
   */
  record Part(String file, Arena params, Optimizer opt) {}

  private Checkpoint() {}

  static void save(Path runDir, Encoder enc, Optimizer opt, java.util.List<Part> parts,
      State state) throws IOException {
    Path dir = runDir.resolve("checkpoints");
    Files.createDirectories(dir);
    Path tmp = Files.createTempDirectory(dir, ".step-" + state.step() + "-");
    try {
      SafeTensors.write(tmp.resolve("model.safetensors"), enc.namedParameters(), Map.of());
      SafeTensors.write(tmp.resolve("optimizer.safetensors"), moments(opt, true), Map.of());
      for (Part p : parts) {
        Map<String, Tensor> all = new LinkedHashMap<>(named(p.params()));
        moments(p.opt(), true).forEach((k, t) -> all.put("optimizer." + k, t));
        SafeTensors.write(tmp.resolve(p.file()), all, Map.of());
      }
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("step", state.step());
      s.put("epoch", state.epoch());
      s.put("position", state.position());
      s.put("adam_steps", state.adamSteps());
      Files.write(tmp.resolve("state.json"), JSON.writeValueAsBytes(s));
      Path target = dir.resolve("step-" + state.step());
      if (Files.exists(target)) {
        deleteTree(target);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      if (Files.exists(tmp)) {
        deleteTree(tmp);
      }
    }
  }

  /** A run's complete checkpoints, newest first. */
  static java.util.List<Path> newestFirst(Path runDir) throws IOException {
    Path dir = runDir.resolve("checkpoints");
    if (!Files.isDirectory(dir)) {
      return java.util.List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().matches("step-\\d{1,9}"))
          .filter(p -> Files.isRegularFile(p.resolve("state.json")))
          .sorted(java.util.Comparator.comparingInt(Checkpoint::step).reversed()).toList();
    }
  }

  private static int step(Path checkpoint) {
    return Integer.parseInt(checkpoint.getFileName().toString().substring(5));
  }

  /**
   * Removes the temporary folders of checkpoints whose writing was cut off (kill -9 in the middle
   * of a save): the run directory is locked, so no live writer owns them.
   */
  static void removeUnfinished(Path runDir) throws IOException {
    Path dir = runDir.resolve("checkpoints");
    if (!Files.isDirectory(dir)) {
      return;
    }
    try (Stream<Path> s = Files.list(dir)) {
      // also a step-N without its state.json: an older mtk's prune killed half-way
      for (Path p : s.filter(p -> p.getFileName().toString().startsWith(".step-")
          || (p.getFileName().toString().matches("step-\\d+") && !Files.isRegularFile(p.resolve("state.json")))).toList()) {
        deleteTree(p);
      }
    }
  }

  /** Removes all but the newest {@code keep} checkpoints (0 keeps every one). */
  static void prune(Path runDir, int keep) throws IOException {
    if (keep <= 0) {
      return;
    }
    java.util.List<Path> all = newestFirst(runDir);
    for (Path old : all.subList(Math.min(keep, all.size()), all.size())) {
      // out of sight in one rename first: a kill while deleting leaves a .step-* folder, which
      // the next resume removes, never a half-deleted step-N
      Path doomed = old.resolveSibling("." + old.getFileName() + "-removed");
      Files.move(old, doomed, StandardCopyOption.ATOMIC_MOVE);
      deleteTree(doomed);
    }
  }

  /** Loads weights and optimizer into the given objects and returns the position to continue from. */
  static State load(Path checkpoint, Encoder enc, Optimizer opt, java.util.List<Part> parts)
      throws IOException {
    State state = readState(checkpoint.resolve("state.json"), step(checkpoint));
    SafeTensors.read(checkpoint.resolve("model.safetensors"), enc.namedParameters());
    Map<String, Tensor> m = moments(opt, false);
    SafeTensors.read(checkpoint.resolve("optimizer.safetensors"), m);
    Map<String, float[]> restored = new LinkedHashMap<>();
    m.forEach((k, t) -> restored.put(k, t.values()));
    opt.restore(state.adamSteps(), restored);
    for (Part p : parts) {
      Map<String, Tensor> hm = moments(p.opt(), false);
      Map<String, Tensor> all = new LinkedHashMap<>(named(p.params()));
      hm.forEach((k, t) -> all.put("optimizer." + k, t));
      SafeTensors.read(checkpoint.resolve(p.file()), all);
      Map<String, float[]> hr = new LinkedHashMap<>();
      hm.forEach((k, t) -> hr.put(k, t.values()));
      p.opt().restore(state.adamSteps(), hr); // every optimizer steps every update
    }
    return state;
  }

  /** A damaged checkpoint: the file and what is wrong with it. */
  static final class DamagedException extends IOException {
    DamagedException(Path file, String problem) {
      super(file + ": " + problem);
    }
  }

  private static State readState(Path file, int step) throws IOException {
    JsonNode s;
    try {
      s = JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new DamagedException(file, "not valid JSON (" + e.getMessage().split("\n")[0] + ")");
    }
    int[] v = new int[4];
    String[] keys = {"step", "epoch", "position", "adam_steps"};
    for (int i = 0; i < keys.length; i++) {
      JsonNode n = s == null ? null : s.get(keys[i]);
      if (n == null || !n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() < 0) {
        throw new DamagedException(file, "\"" + keys[i] + "\" is missing or not a whole number ≥ 0");
      }
      v[i] = n.asInt();
    }
    if (v[0] != step) {
      throw new DamagedException(file, "says step " + v[0] + " in the folder of step " + step);
    }
    return new State(v[0], v[1], v[2], v[3]);
  }

  /** The optimizer's state buffers as tensors (copies in, for writing; empty, for reading). */
  private static Map<String, Tensor> moments(Optimizer opt, boolean fill) {
    Arena a = new Arena("optimizer", false);
    Map<String, Tensor> map = new LinkedHashMap<>();
    opt.state().forEach((name, buf) -> map.put(name, a.alloc(name, buf.length)));
    a.freeze();
    if (fill) {
      opt.state().forEach((name, buf) -> map.get(name).set(buf));
    }
    return map;
  }

  private static Map<String, Tensor> named(Arena a) {
    Map<String, Tensor> m = new LinkedHashMap<>();
    for (Tensor t : a.tensors()) {
      m.put(t.name(), t);
    }
    return m;
  }

  private static void deleteTree(Path p) throws IOException {
    try (Stream<Path> s = Files.walk(p)) {
      for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(q);
      }
    }
  }
}
