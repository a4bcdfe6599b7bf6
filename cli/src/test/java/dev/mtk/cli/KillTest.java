package dev.mtk.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mtk.core.io.Npy;
import dev.mtk.search.index.IndexFile;
import dev.mtk.search.index.VectorIndex;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * mtk in a JVM of its own, killed outright ({@code kill -9}) in the middle of its work: what is
 * left is the old state or the new one, and the next command leaves no temporary file behind.
 * Also what a JVM that runs out of heap prints.
 */
class KillTest {

  @TempDir
  Path dir;

  /** A JVM running mtk's command line, with the test's class path. */
  static Process start(List<String> jvm, Path log, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
        "--add-modules", "jdk.incubator.vector", "-XX:+UseParallelGC"));
    cmd.addAll(jvm);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.mtk.cli.Main"));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /** Waits until the condition holds (true), or the process ended or 60 s passed (false). */
  static boolean await(Process p, BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + 60_000_000_000L;
    while (System.nanoTime() < end && p.isAlive()) {
      if (condition.getAsBoolean()) {
        return true;
      }
      Thread.sleep(5);
    }
    return false;
  }

  static void killHard(Process p) throws InterruptedException {
    p.destroyForcibly(); // SIGKILL on Unix: no shutdown hook runs
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
  }

  static List<String> temporaries(Path d) throws IOException {
    try (var s = Files.list(d)) {
      return s.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList();
    }
  }

  static long rows(Path index) throws IOException {
    try (VectorIndex ix = IndexFile.open(index)) {
      return ix.count();
    }
  }

  @Test
  void indexBuildAndAddKilledLeaveTheOldIndexAndTheNextWriteCleansUp() throws Exception {
    Path small = dir.resolve("small.npy"), big = dir.resolve("big.npy"), ix = dir.resolve("ix");
    Npy.writeFloat32(small, IndexCommandTest.gaussian(500, 64, 1), 500, 64);
    int n = 400_000;
    Npy.writeFloat32(big, IndexCommandTest.gaussian(n, 64, 2), n, 64);
    assertEquals(0, MainTest.run("index", "build", "--vectors", small.toString(), "--output", ix.toString()).code());
    for (String[] args : new String[][] {
        {"index", "build", "--vectors", big.toString(), "--precision", "int8", "--output", ix.toString()},
        {"index", "add", "--index", ix.toString(), "--vectors", big.toString()}}) {
      Process p = start(List.of("-Xmx1g"), dir.resolve("log.txt"), args);
      boolean writing = await(p, () -> {
        try {
          return !temporaries(ix).isEmpty();
        } catch (IOException e) {
          return false;
        }
      });
      assertTrue(writing, "the temporary file appeared: " + Files.readString(dir.resolve("log.txt")));
      killHard(p);
      assertEquals(500, rows(ix), args[1] + " killed: the old index, whole");
      assertEquals(1, temporaries(ix).size(), "the dead writer's temporary file");
    }
    // the next write to the index removes what the dead writers left
    assertEquals(0, MainTest.run("index", "add", "--index", ix.toString(), "--vectors", small.toString()).code());
    assertEquals(1000, rows(ix));
    assertEquals(List.of(), temporaries(ix));
  }

  @Test
  void trainKilledResumesToTheSameWeightsAndLeavesNoTemporaryCheckpoint() throws Exception {
    killedAndResumed(String.join("\n", "seed: 4", "model: {vocab_size: 400, d_model: 32, heads: 2,",
        "  ffn: 64, layers: 1, max_seq_len: 8, nesting: [8, 16, 32]}", "steps: 200", "batch_pairs: 16",
        "warmup_steps: 2", "log_every: 1", "checkpoint_every: 4", "keep_checkpoints: 2"));
  }

  @Test
  void imageTrainingKilledResumesToTheSameWeightsAugmentationIncluded() throws Exception {
    Path data = Files.createDirectories(dir.resolve("idx"));
    java.util.SplittableRandom r = new java.util.SplittableRandom(6);
    for (String[] split : new String[][] {{"train", "300"}, {"t10k", "60"}}) {
      int n = Integer.parseInt(split[1]);
      byte[] px = new byte[n * 784], labels = new byte[n];
      r.nextBytes(px);
      for (int i = 0; i < n; i++) {
        labels[i] = (byte) (i % 10);
      }
      Files.write(data.resolve(split[0] + "-images-idx3-ubyte"), idx(new int[] {n, 28, 28}, px));
      Files.write(data.resolve(split[0] + "-labels-idx1-ubyte"), idx(new int[] {n}, labels));
    }
    killedAndResumed(String.join("\n", "task: fashion-mnist", "data: " + data, "seed: 4",
        "model: {d_model: 16, heads: 2, ffn: 32, layers: 1, max_seq_len: 16, patch_dim: 49, nesting: [8, 16]}",
        "augment: {crop_padding: 2, flip: true}", "init: fan_in", "steps: 200", "batch_pairs: 16",
        "warmup_steps: 2", "log_every: 1", "checkpoint_every: 4", "keep_checkpoints: 2"));
  }

  static byte[] idx(int[] dims, byte[] data) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 + 4 * dims.length + data.length)
        .put(new byte[] {0, 0, 8, (byte) dims.length});
    for (int d : dims) {
      b.putInt(d);
    }
    return b.put(data).array();
  }

  /** A run killed after its fifth checkpoint, resumed: the uninterrupted run's weights and losses. */
  private void killedAndResumed(String config) throws Exception {
    Path cfg = dir.resolve("c.yaml");
    Files.writeString(cfg, config);
    Path whole = dir.resolve("whole"), killed = dir.resolve("killed");
    assertEquals(0, MainTest.run("train", "--config", cfg.toString(), "--output", whole.toString()).code());
    Path checkpoints = killed.resolve("checkpoints");
    Process p = start(List.of(), dir.resolve("train.txt"), "train", "--config", cfg.toString(),
        "--output", killed.toString(), "--threads", "1");
    assertTrue(await(p, () -> Files.isDirectory(checkpoints.resolve("step-20"))),
        "checkpoints are written: " + read(dir.resolve("train.txt")));
    killHard(p);
    assertTrue(!Files.exists(killed.resolve("model")), "killed before its model was saved");
    // what a kill in the middle of removing an old checkpoint leaves (with today's prune, a
    // .step-N-removed folder; with an older one, a step-N without state.json): the resume removes both
    Files.write(Files.createDirectories(checkpoints.resolve(".step-4-removed")).resolve("x"), new byte[1]);
    Files.write(Files.createDirectories(checkpoints.resolve("step-8")).resolve("model.safetensors"), new byte[1]);
    // a second run into it is refused; --resume continues from the newest checkpoint
    MainTest.Result r = MainTest.run("train", "--config", cfg.toString(), "--output", killed.toString());
    assertTrue(r.code() == 1 && r.err().contains("already holds a run"), r.err());
    r = MainTest.run("train", "--config", cfg.toString(), "--output", killed.toString(), "--resume");
    assertEquals(0, r.code(), r.err());
    assertArrayEquals(Files.readAllBytes(whole.resolve("model/model.safetensors")),
        Files.readAllBytes(killed.resolve("model/model.safetensors")), "resumed = uninterrupted");
    try (var s = Files.list(checkpoints)) {
      assertEquals(List.of("step-196", "step-200"), s.map(f -> f.getFileName().toString()).sorted().toList(),
          "the newest two, no unfinished .step-* folder");
    }
    assertEquals(Files.readAllLines(whole.resolve("metrics.jsonl")).stream().map(KillTest::lossOnly).toList(),
        Files.readAllLines(killed.resolve("metrics.jsonl")).stream().map(KillTest::lossOnly).toList(),
        "each step's loss once, as in the uninterrupted run");
  }

  @Test
  void runningOutOfHeapIsOneLineWithAdviceNotAStackTrace() throws Exception {
    Path log = dir.resolve("oom.txt");
    Process p = start(List.of("-Xmx48m"), log, "bench", "gemm", "--n", "8192", "--runs", "1");
    assertTrue(p.waitFor(120, TimeUnit.SECONDS));
    String out = Files.readString(log).replace("WARNING: Using incubator modules: jdk.incubator.vector\n", "");
    assertEquals(1, p.exitValue(), out);
    assertTrue(out.startsWith("mtk: error: out of memory: the JVM's heap is ")
        && out.contains("MTK_JAVA_OPTS=-Xmx") && out.strip().lines().count() == 1, out);
  }

  private static String lossOnly(String metricsLine) {
    return metricsLine.replaceAll(", \"tokens_per_s\".*", "");
  }

  private static String read(Path f) {
    try {
      return Files.readString(f);
    } catch (IOException e) {
      return e.toString();
    }
  }
}
