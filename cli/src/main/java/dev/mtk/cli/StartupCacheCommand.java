package dev.mtk.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * What the launcher runs once after a build, under {@code -XX:AOTCacheOutput}, so that the JVM
 * records the classes (and method profiles) of the everyday commands: a tokenizer, a model, an
 * index of texts, a query. Later starts map them from the cache instead of loading, verifying and
 * linking ~2,700 classes again (docs/BENCHMARKS.md, "Start-up").
 */
@Command(name = "startup-cache-workload", hidden = true,
    description = "Internal: the workload the launcher records in the JVM's start-up cache.")
final class StartupCacheCommand implements Callable<Integer> {

  @Override
  public Integer call() throws Exception {
    Path dir = Files.createTempDirectory("mtk-startup-cache");
    try {
      Path corpus = dir.resolve("docs.jsonl");
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < 200; i++) {
        sb.append("{\"text\": \"a river is a large natural stream of water number ").append(i).append("\"}\n");
      }
      Files.writeString(corpus, sb);
      String d = dir.toString();
      int rc = Main.run("tokenizer", "train", "--input", corpus.toString(), "--vocab-size", "300",
          "--output", d + "/tok.json");
      Path model = dir.resolve("model.json");
      Files.writeString(model, "{\"vocab_size\": 300, \"d_model\": 64, \"heads\": 2, \"ffn\": 128, "
          + "\"layers\": 1, \"max_seq_len\": 16}");
      rc |= Main.run("model", "init", "--config", model.toString(), "--tokenizer", d + "/tok.json",
          "--output", d + "/model");
      rc |= Main.run("embed", "--model", d + "/model", "--input", corpus.toString(), "--output", d + "/e.npy");
      rc |= Main.run("index", "build", "--model", d + "/model", "--input", corpus.toString(),
          "--output", d + "/index");
      rc |= Main.run("query", "--model", d + "/model", "--index", d + "/index", "--dim", "16", "a stream");
      return rc;
    } finally {
      try (var s = Files.walk(dir)) {
        for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }
}
