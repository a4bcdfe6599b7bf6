package dev.mtk.models.nn.ops;

import dev.mtk.core.parallel.WorkerPool;

/**
 * Rows split into fixed chunks of {@link #ROWS}: the unit of parallel work for row-wise ops. The
 * chunking depends on the row count only, so per-chunk partial sums (of parameter gradients) and
 * their in-order total are the same for any number of threads.
 */
final class RowChunks {

  static final int ROWS = 64;

  private RowChunks() {}

  static int count(int rows) {
    return (rows + ROWS - 1) / ROWS;
  }

  @FunctionalInterface
  interface Body {
    void rows(int chunk, int from, int to);
  }

  static void run(WorkerPool pool, int rows, Body body) {
    pool.forEach(count(rows), c -> body.rows(c, c * ROWS, Math.min(rows, (c + 1) * ROWS)));
  }

  /** Adds the per-chunk partials [chunks, width] into target in chunk order. */
  static void reduce(float[] partial, int chunks, int width, float[] target, int targetOff) {
    for (int c = 0; c < chunks; c++) {
      int src = c * width;
      for (int i = 0; i < width; i++) {
        target[targetOff + i] += partial[src + i];
      }
    }
  }
}
