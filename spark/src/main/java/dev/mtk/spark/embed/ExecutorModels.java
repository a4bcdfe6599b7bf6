package dev.mtk.spark.embed;

import dev.mtk.models.inference.EmbeddingModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The models this executor JVM has loaded, one per model directory, shared by all its tasks
 * (an {@link EmbeddingModel} is safe for concurrent callers): a job over a thousand partitions
 * loads the model once per executor, not once per partition.
 */
final class ExecutorModels {

  private static final ConcurrentHashMap<String, EmbeddingModel> LOADED = new ConcurrentHashMap<>();

  private ExecutorModels() {}

  static EmbeddingModel get(String dir, int threads) {
    return LOADED.computeIfAbsent(Path.of(dir).toAbsolutePath().normalize().toString(), key -> {
      try {
        return EmbeddingModel.load(Path.of(key), dev.mtk.spark.ExecutorPool.get(threads));
      } catch (IOException e) {
        throw new UncheckedIOException("model " + key + ": " + e.getMessage(), e);
      }
    });
  }

}
