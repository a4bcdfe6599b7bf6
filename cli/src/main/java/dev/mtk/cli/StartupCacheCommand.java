package dev.mtk.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * What the launcher runs once after a build, under {@code -XX:AOTCacheOutput}, so that the JVM
 * records the classes (and method profiles) of the everyday commands — a tokenizer, a model, an
 * index of texts, a query — and later starts map them instead of loading, verifying and linking
 * ~2,700 classes again (docs/BENCHMARKS.md, "Start-up").
 */
@Command(name = "startup-cache-workload", hidden = true,
    description = "Internal: the workload the launcher records in the JVM's start-up cache.")
final class StartupCacheCommand implements Callable<Integer> {

  @Override
  public Integer call() throws Exception {
    Path dir = Files.createTempDirectory("mtk-startup-cache");
    String d = dir + "/";
    try {
      dev.mtk.tokenizers.text.formats.TextSources.writeAll(dir.resolve("docs.jsonl"), java.util.stream.IntStream
          .range(0, 200).mapToObj(i -> "a river is a large natural stream of water number " + i).toList());
      Files.writeString(dir.resolve("model.json"), "{\"vocab_size\": 300, \"d_model\": 64, \"heads\": 2, "
          + "\"ffn\": 128, \"layers\": 1, \"max_seq_len\": 16}");
      int rc = 0;
      for (String line : new String[] {"tokenizer train --input #docs.jsonl --vocab-size 300 --output #tok.json",
          "model init --config #model.json --tokenizer #tok.json --output #model",
          "embed --model #model --input #docs.jsonl --output #e.npy",
          "index build --model #model --input #docs.jsonl --output #index",
          "query --model #model --index #index --dim 16 stream"}) {
        rc |= Main.run(line.replace("#", d).split(" "));
      }
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
