package dev.mtk.spark.embed;

import dev.mtk.core.parallel.WorkerPool;
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
  private static volatile WorkerPool pool;

  private ExecutorModels() {}

  static EmbeddingModel get(String dir, int threads) {
    return LOADED.computeIfAbsent(Path.of(dir).toAbsolutePath().normalize().toString(), key -> {
      try {
        return EmbeddingModel.load(Path.of(key), pool(threads));
      } catch (IOException e) {
        throw new UncheckedIOException("model " + key + ": " + e.getMessage(), e);
      }
    });
  }

  /** One pool for the executor's mtk work (its threads are daemons: the executor exits freely). */
  static synchronized WorkerPool pool(int threads) {
    if (pool == null) {
      pool = new WorkerPool(threads);
    }
    return pool;
  }
}
