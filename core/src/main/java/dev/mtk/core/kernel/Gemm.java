package dev.mtk.core.kernel;

import dev.mtk.core.parallel.WorkerPool;

/**
 * Single-precision GEMM, row-major: C = alpha·op(A)·op(B) + beta·C, where op(X) is X or its
 * transpose, op(A) is m×k, op(B) is k×n and C is m×n; lda, ldb and ldc are the distances between
 * consecutive stored rows. As in BLAS, beta = 0 means C is not read (NaN in C does not survive).
 *
 * <p>Arguments are checked here, once; past this point the kernels assume every index is in range
 * (see docs/KERNELS.md on the Vector API's bounds checks). The work is spread over a
 * {@link WorkerPool}; each element of C is computed by the same operations in the same order
 * whatever the number of threads, so results are bit-identical for any pool.
 */
public final class Gemm {

  private Gemm() {}

  /** C = op(A)·op(B) on the shared pool: the common case, with tightly packed arrays. */
  public static void matmul(boolean transA, boolean transB, int m, int n, int k, float[] a,
      float[] b, float[] c) {
    sgemm(WorkerPool.shared(), transA, transB, m, n, k, 1f, a, 0, transA ? m : k, b, 0,
        transB ? k : n, 0f, c, 0, n);
  }

  public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff,
      int ldc) {
    sgemm(WorkerPool.shared(), transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c,
        cOff, ldc);
  }

  public static void sgemm(WorkerPool pool, boolean transA, boolean transB, int m, int n, int k,
      float alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta,
      float[] c, int cOff, int ldc) {
    check(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    if (m == 0 || n == 0) {
      return;
    }
    if (k == 0 || alpha == 0f) {
      scaleC(m, n, beta, c, cOff, ldc);
      return;
    }
    if (KernelProvider.vectorized() && SmallGemm.suits(m, n, k)) {
      SmallGemm.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff,
          ldc, null, 0, null);
    } else if (KernelProvider.vectorized()) {
      PackedGemm.gemm(pool, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c,
          cOff, ldc, null, 0, null);
    } else {
      ScalarGemm.gemm(pool, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c,
          cOff, ldc, null, 0);
    }
  }

  /**
   * Work on rows of C once they are final. A GEMM that takes one calls it, from its worker
   * threads, once for each block of rows, with disjoint blocks covering [0, m) — as soon as it can:
   * when a task owns whole rows, right after it computed them, while they are still in its cache.
   * Whatever it computes per row must not depend on how rows are grouped into blocks.
   */
  @FunctionalInterface
  public interface Epilogue {
    void rows(int from, int to);
  }

  /**
   * C = alpha·op(A)·op(B) + bias, the bias (n values) added to every row: a linear layer in one
   * pass, C written once and never read.
   */
  public static void sgemmBias(WorkerPool pool, boolean transA, boolean transB, int m, int n,
      int k, float alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] bias,
      int biasOff, float[] c, int cOff, int ldc) {
    sgemmBias(pool, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, bias, biasOff, c,
        cOff, ldc, null);
  }

  /**
   * {@link #sgemmBias(WorkerPool, boolean, boolean, int, int, int, float, float[], int, int,
   * float[], int, int, float[], int, float[], int, int) sgemmBias}, then {@code after} on every
   * row block of C (null for none): how a linear layer runs the row-wise operations that follow it
   * (residual add, layer norm, GELU) on its output while that is still in cache.
   */
  public static void sgemmBias(WorkerPool pool, boolean transA, boolean transB, int m, int n,
      int k, float alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] bias,
      int biasOff, float[] c, int cOff, int ldc, Epilogue after) {
    check(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    Vectors.range("bias", bias.length, biasOff, n);
    if (c == bias && cOff < biasOff + n && biasOff < cOff + (long) (m - 1) * ldc + n && m > 0) {
      throw new IllegalArgumentException("C overlaps the bias in the same array");
    }
    if (m == 0 || n == 0) {
      return;
    }
    if (k == 0 || alpha == 0f) {
      for (int i = 0; i < m; i++) {
        System.arraycopy(bias, biasOff, c, cOff + i * ldc, n);
      }
      if (after != null) {
        after.rows(0, m);
      }
      return;
    }
    if (KernelProvider.vectorized() && SmallGemm.suits(m, n, k)) {
      SmallGemm.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, 0f, c, cOff, ldc,
          bias, biasOff, after);
    } else if (KernelProvider.vectorized()) {
      PackedGemm.gemm(pool, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, 0f, c,
          cOff, ldc, bias, biasOff, after);
    } else {
      ScalarGemm.gemm(pool, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, 0f, c,
          cOff, ldc, bias, biasOff);
      if (after != null) {
        int blocks = (m + EPILOGUE_ROWS - 1) / EPILOGUE_ROWS;
        pool.forEach(blocks, t -> after.rows(t * EPILOGUE_ROWS, Math.min(m, (t + 1) * EPILOGUE_ROWS)));
      }
    }
  }

  private static final int EPILOGUE_ROWS = 64;

  /**
   * op(B) of a matrix that many GEMMs multiply by — an inference pass's weights — packed once, so
   * that {@link #sgemmBias(WorkerPool, boolean, boolean, int, int, int, float, float[], int, int,
   * float[], int, int, float[], int, float[], int, int, Epilogue, PackedB) sgemmBias} skips packing
   * it on every call. The products are the same bits either way: the packed values and the order
   * of the arithmetic are those of the packing each call would do. Holds a copy of B's values
   * (as much memory again): B must not change while this is used.
   */
  public static final class PackedB {
    final boolean transB;
    final int n, k, ldb, bOff;
    final float[] b, data;

    private PackedB(boolean transB, int n, int k, float[] b, int bOff, int ldb, float[] data) {
      this.transB = transB;
      this.n = n;
      this.k = k;
      this.b = b;
      this.bOff = bOff;
      this.ldb = ldb;
      this.data = data;
    }

    /** The packed copy's size in floats. */
    public int size() {
      return data.length;
    }
  }

  /** op(B) packed for GEMMs of any m; null where the kernels are scalar (which do not pack). */
  public static PackedB pack(WorkerPool pool, boolean transB, int n, int k, float[] b, int bOff, int ldb) {
    check(false, transB, 0, n, k, new float[0], 0, Math.max(1, k), b, bOff, ldb, new float[0], 0, Math.max(1, n));
    if (!KernelProvider.vectorized() || n == 0 || k == 0) {
      return null;
    }
    return new PackedB(transB, n, k, b, bOff, ldb, PackedGemm.packAll(pool, transB, n, k, b, bOff, ldb));
  }

  /** {@code sgemmBias} with op(B) from {@code packed} (made by {@link #pack} of this very B; null: pack as usual). */
  public static void sgemmBias(WorkerPool pool, boolean transA, boolean transB, int m, int n,
      int k, float alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] bias,
      int biasOff, float[] c, int cOff, int ldc, Epilogue after, PackedB packed) {
    if (packed != null && (packed.b != b || packed.bOff != bOff || packed.ldb != ldb || packed.n != n
        || packed.k != k || packed.transB != transB)) {
      throw new IllegalArgumentException("the packed B was made from another matrix or shape");
    }
    // small products take the path that packs nothing; it gives the packed path's bits
    if (packed == null || m == 0 || k == 0 || alpha == 0f || SmallGemm.suits(m, n, k) || !KernelProvider.vectorized()) {
      sgemmBias(pool, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, bias, biasOff, c, cOff, ldc, after);
      return;
    }
    check(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    Vectors.range("bias", bias.length, biasOff, n);
    PackedGemm.gemm(pool, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, 0f, c,
        cOff, ldc, bias, biasOff, after, packed.data);
  }

  /** The scalar twin, for tests and comparisons; same contract, same checks. */
  public static void sgemmScalar(WorkerPool pool, boolean transA, boolean transB, int m, int n,
      int k, float alpha, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta,
      float[] c, int cOff, int ldc) {
    check(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    if (m == 0 || n == 0) {
      return;
    }
    if (k == 0 || alpha == 0f) {
      scaleC(m, n, beta, c, cOff, ldc);
      return;
    }
    ScalarGemm.gemm(pool, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c,
        cOff, ldc, null, 0);
  }

  private static void scaleC(int m, int n, float beta, float[] c, int cOff, int ldc) {
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        int idx = cOff + i * ldc + j;
        c[idx] = beta == 0f ? 0f : beta * c[idx];
      }
    }
  }

  private static void check(boolean transA, boolean transB, int m, int n, int k, float[] a,
      int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
    if (m < 0 || n < 0 || k < 0) {
      throw new IllegalArgumentException("negative size: m=" + m + ", n=" + n + ", k=" + k);
    }
    long aExt = extent("A", a.length, aOff, lda, transA ? k : m, transA ? m : k);
    long bExt = extent("B", b.length, bOff, ldb, transB ? n : k, transB ? k : n);
    long cExt = extent("C", c.length, cOff, ldc, m, n);
    // A, B and C may share one array (an arena), but C must not overlap what is read.
    if (c == a && overlaps(cOff, cExt, aOff, aExt)) {
      throw new IllegalArgumentException("C overlaps A in the same array");
    }
    if (c == b && overlaps(cOff, cExt, bOff, bExt)) {
      throw new IllegalArgumentException("C overlaps B in the same array");
    }
  }

  /** Validates a rows×cols matrix stored with leading dimension ld; returns its span in elements. */
  private static long extent(String name, int length, int off, int ld, int rows, int cols) {
    if (ld < Math.max(1, cols)) {
      throw new IllegalArgumentException(
          "ld" + name.toLowerCase() + "=" + ld + " is smaller than the " + cols + " columns of "
              + name);
    }
    if (rows == 0 || cols == 0) {
      return 0;
    }
    long span = (long) (rows - 1) * ld + cols;
    if (off < 0 || off + span > length) {
      throw new IllegalArgumentException(name + " is " + rows + "×" + cols + " with ld " + ld
          + " at offset " + off + ", which needs " + (off + span) + " elements, but the array has "
          + length);
    }
    return span;
  }

  private static boolean overlaps(int off1, long len1, int off2, long len2) {
    return len1 > 0 && len2 > 0 && off1 < off2 + len2 && off2 < off1 + len1;
  }
}
