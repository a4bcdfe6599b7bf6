package dev.mtk.core.kernel;

import dev.mtk.core.parallel.WorkerPool;

/**
 * The scalar twin of {@link PackedGemm}: one row of C at a time, each element summed over k in
 * order into a float, then C = alpha·sum + beta·C. Rows go to the pool; a row's arithmetic does
 * not depend on which thread runs it.
 */
final class ScalarGemm {

  private static final int ROWS_PER_TASK = 16;

  private ScalarGemm() {}

  static void gemm(WorkerPool pool, boolean ta, boolean tb, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff,
      int ldc, float[] bias, int biasOff) {
    int tasks = (m + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
    pool.forEach(tasks, t -> {
      float[] row = new float[n];
      int end = Math.min(m, (t + 1) * ROWS_PER_TASK);
      for (int i = t * ROWS_PER_TASK; i < end; i++) {
        java.util.Arrays.fill(row, 0f);
        for (int p = 0; p < k; p++) {
          float aip = ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
          if (tb) {
            for (int j = 0; j < n; j++) {
              row[j] += aip * b[bOff + j * ldb + p];
            }
          } else {
            int bRow = bOff + p * ldb;
            for (int j = 0; j < n; j++) {
              row[j] += aip * b[bRow + j];
            }
          }
        }
        int cRow = cOff + i * ldc;
        for (int j = 0; j < n; j++) {
          float v = alpha * row[j];
          c[cRow + j] = bias != null ? v + bias[biasOff + j]
              : beta == 0f ? v : v + beta * c[cRow + j];
        }
      }
    });
  }
}
