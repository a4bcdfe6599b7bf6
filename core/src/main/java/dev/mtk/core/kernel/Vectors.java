package dev.mtk.core.kernel;

import dev.mtk.core.parallel.WorkerPool;
import java.lang.foreign.MemorySegment;

/**
 * The public face of the vector kernels: checks lengths, offsets and shapes, then hands over to
 * the kernels {@link KernelProvider} chose for this JVM. Mismatched lengths throw
 * IllegalArgumentException naming both. NaN and infinities propagate as IEEE 754 arithmetic says.
 */
public final class Vectors {

  /**
   * Elements per partial sum in the parallel reductions. Fixed, not derived from the thread
   * count, so the partials and their left-to-right total are the same for any pool.
   */
  public static final int REDUCTION_CHUNK = 16_384;

  private static final VectorKernels K = KernelProvider.kernels();

  private Vectors() {}

  public static float dot(float[] a, float[] b) {
    sameLength("a", a.length, "b", b.length);
    return K.dot(a, 0, b, 0, a.length);
  }

  public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
    range("a", a.length, aOff, n);
    range("b", b.length, bOff, n);
    return K.dot(a, aOff, b, bOff, n);
  }

  public static float cosine(float[] a, float[] b) {
    sameLength("a", a.length, "b", b.length);
    return K.cosine(a, 0, b, 0, a.length);
  }

  public static float squaredL2(float[] a, float[] b) {
    sameLength("a", a.length, "b", b.length);
    return K.squaredL2(a, 0, b, 0, a.length);
  }

  /** y += alpha · x */
  public static void axpy(float alpha, float[] x, float[] y) {
    sameLength("x", x.length, "y", y.length);
    K.axpy(alpha, x, 0, y, 0, x.length);
  }

  /** x *= alpha */
  public static void scale(float alpha, float[] x) {
    K.scale(alpha, x, 0, x.length);
  }

  public static float sum(float[] x) {
    return K.sum(x, 0, x.length);
  }

  /** Largest element (NaN if any is NaN); -Infinity for an empty array. */
  public static float max(float[] x) {
    return K.max(x, 0, x.length);
  }

  /** Softmax of each row of a row-major rows×cols matrix, in place. */
  public static void softmaxRows(float[] x, int rows, int cols) {
    matrix("x", x.length, rows, cols);
    for (int r = 0; r < rows; r++) {
      K.softmax(x, r * cols, cols);
    }
  }

  /** Layer norm of each row; mean and rstd (length rows) receive what the backward pass needs. */
  public static void layerNormForward(float[] out, float[] x, float[] gamma, float[] beta,
      int rows, int cols, float eps, float[] mean, float[] rstd) {
    matrix("x", x.length, rows, cols);
    sameLength("out", out.length, "x", x.length);
    sameLength("gamma", gamma.length, "cols", cols);
    sameLength("beta", beta.length, "cols", cols);
    sameLength("mean", mean.length, "rows", rows);
    sameLength("rstd", rstd.length, "rows", rows);
    for (int r = 0; r < rows; r++) {
      K.layerNormForward(out, r * cols, x, r * cols, gamma, 0, beta, 0, cols, eps, mean, rstd, r);
    }
  }

  /** Accumulates the layer-norm gradients: dx, dgamma and dbeta receive {@code +=}. */
  public static void layerNormBackward(float[] dx, float[] dgamma, float[] dbeta, float[] dout,
      float[] x, float[] gamma, float[] mean, float[] rstd, int rows, int cols) {
    matrix("x", x.length, rows, cols);
    sameLength("dx", dx.length, "x", x.length);
    sameLength("dout", dout.length, "x", x.length);
    sameLength("gamma", gamma.length, "cols", cols);
    sameLength("dgamma", dgamma.length, "cols", cols);
    sameLength("dbeta", dbeta.length, "cols", cols);
    sameLength("mean", mean.length, "rows", rows);
    sameLength("rstd", rstd.length, "rows", rows);
    for (int r = 0; r < rows; r++) {
      K.layerNormBackward(dx, r * cols, dgamma, 0, dbeta, 0, dout, r * cols, x, r * cols, gamma, 0,
          cols, mean[r], rstd[r]);
    }
  }

  public static void gelu(GeluForm form, float[] out, float[] x) {
    sameLength("out", out.length, "x", x.length);
    K.geluForward(form, out, 0, x, 0, x.length);
  }

  /** dx += dout · gelu'(x) */
  public static void geluBackward(GeluForm form, float[] dx, float[] dout, float[] x) {
    sameLength("dx", dx.length, "x", x.length);
    sameLength("dout", dout.length, "x", x.length);
    K.geluBackward(form, dx, 0, dout, 0, x, 0, x.length);
  }

  public static int dotInt8(byte[] a, byte[] b) {
    sameLength("a", a.length, "b", b.length);
    return K.dotInt8(a, 0, b, 0, a.length);
  }

  public static int dotInt8(byte[] a, int aOff, byte[] b, int bOff, int n) {
    range("a", a.length, aOff, n);
    range("b", b.length, bOff, n);
    return K.dotInt8(a, aOff, b, bOff, n);
  }

  /** Hamming distance between two bit strings packed 64 to a long. */
  public static long hamming(long[] a, long[] b) {
    sameLength("a", a.length, "b", b.length);
    return K.hamming(a, 0, b, 0, a.length);
  }

  public static long hamming(long[] a, int aOff, long[] b, int bOff, int n) {
    range("a", a.length, aOff, n);
    range("b", b.length, bOff, n);
    return K.hamming(a, aOff, b, bOff, n);
  }

  // ---- row kernels at offsets: what the encoder's ops, the index scans and k-means call, each
  // checked here so that nothing outside core reaches the unchecked kernels (docs/KERNELS.md)

  public static final int KEY_PLAIN = VectorKernels.KEY_PLAIN, KEY_SCALED = VectorKernels.KEY_SCALED,
      KEY_L2 = VectorKernels.KEY_L2, CODE_BLOCK = VectorKernels.CODE_BLOCK;

  public static float squaredL2(float[] a, int aOff, float[] b, int bOff, int n) {
    range("a", a.length, aOff, n);
    range("b", b.length, bOff, n);
    return K.squaredL2(a, aOff, b, bOff, n);
  }

  /** x[off .. off+n) *= alpha */
  public static void scale(float alpha, float[] x, int off, int n) {
    range("x", x.length, off, n);
    K.scale(alpha, x, off, n);
  }

  /** One row in place: x = exp(x − max) / sum. */
  public static void softmax(float[] x, int off, int n) {
    range("x", x.length, off, n);
    K.softmax(x, off, n);
  }

  /** One row of layer norm; mean and rstd saved at {@code stats[statIdx]}. */
  public static void layerNormRow(float[] out, int outOff, float[] x, int xOff, float[] gamma,
      int gOff, float[] beta, int bOff, int n, float eps, float[] mean, float[] rstd, int statIdx) {
    range("out", out.length, outOff, n);
    range("x", x.length, xOff, n);
    range("gamma", gamma.length, gOff, n);
    range("beta", beta.length, bOff, n);
    range("mean", mean.length, statIdx, 1);
    range("rstd", rstd.length, statIdx, 1);
    K.layerNormForward(out, outOff, x, xOff, gamma, gOff, beta, bOff, n, eps, mean, rstd, statIdx);
  }

  /** One row of the layer-norm gradients, added to dx, dgamma and dbeta. */
  public static void layerNormRowBackward(float[] dx, int dxOff, float[] dgamma, int dgOff,
      float[] dbeta, int dbOff, float[] dout, int doutOff, float[] x, int xOff, float[] gamma,
      int gOff, int n, float mean, float rstd) {
    range("dx", dx.length, dxOff, n);
    range("dgamma", dgamma.length, dgOff, n);
    range("dbeta", dbeta.length, dbOff, n);
    range("dout", dout.length, doutOff, n);
    range("x", x.length, xOff, n);
    range("gamma", gamma.length, gOff, n);
    K.layerNormBackward(dx, dxOff, dgamma, dgOff, dbeta, dbOff, dout, doutOff, x, xOff, gamma,
        gOff, n, mean, rstd);
  }

  public static void gelu(GeluForm form, float[] out, int outOff, float[] x, int xOff, int n) {
    range("out", out.length, outOff, n);
    range("x", x.length, xOff, n);
    K.geluForward(form, out, outOff, x, xOff, n);
  }

  /** dx += dout · gelu'(x), n elements at offsets. */
  public static void geluBackward(GeluForm form, float[] dx, int dxOff, float[] dout, int doutOff,
      float[] x, int xOff, int n) {
    range("dx", dx.length, dxOff, n);
    range("dout", dout.length, doutOff, n);
    range("x", x.length, xOff, n);
    K.geluBackward(form, dx, dxOff, dout, doutOff, x, xOff, n);
  }

  /** The dot product with n little-endian floats at byte offset xOff of a segment. */
  public static float dot(float[] q, int qOff, MemorySegment x, long xOff, int n) {
    range("q", q.length, qOff, n);
    segment("x", x, xOff, 4L * n);
    return K.dot(q, qOff, x, xOff, n);
  }

  /** See {@link VectorKernels#dotInt8Blocks}. */
  public static void dotInt8Blocks(int[] q, int qOff, int m, MemorySegment codes, long off,
      long blockBytes, int blocks, int[] out, int outOff, boolean accumulate) {
    range("q", q.length, qOff, m);
    range("out", out.length, outOff, CODE_BLOCK * blocks);
    if (blocks > 0) {
      segment("codes", codes, off, blockBytes * (blocks - 1) + (long) CODE_BLOCK * m);
    }
    K.dotInt8Blocks(q, qOff, m, codes, off, blockBytes, blocks, out, outOff, accumulate);
  }

  /** See {@link VectorKernels#keys}; {@code w} may be null for {@link #KEY_PLAIN}. */
  public static void keys(int[] acc, int accOff, float scale, float bias, int mode, float[] w,
      int wOff, float[] out, int outOff, int n) {
    range("acc", acc.length, accOff, n);
    range("out", out.length, outOff, n);
    if (mode != KEY_PLAIN) {
      range("w", w.length, wOff, n);
    }
    K.keys(acc, accOff, scale, bias, mode, w, wOff, out, outOff, n);
  }

  /** See {@link VectorKernels#collectAbove}. */
  public static int collectAbove(float[] x, int off, int n, float bar, int[] out) {
    range("x", x.length, off, n);
    range("out", out.length, 0, n);
    return K.collectAbove(x, off, n, bar, out);
  }

  /** See {@link VectorKernels#hammingWords}. */
  public static void hammingWords(long q, long mask, MemorySegment words, long off, int n,
      int[] acc, int accOff) {
    segment("words", words, off, 8L * n);
    range("acc", acc.length, accOff, n);
    K.hammingWords(q, mask, words, off, n, acc, accOff);
  }

  static void segment(String name, MemorySegment s, long off, long bytes) {
    if (off < 0 || bytes < 0 || off > s.byteSize() - bytes) {
      throw new IllegalArgumentException(name + ": bytes [" + off + ", " + off + " + " + bytes
          + ") are outside a segment of " + s.byteSize());
    }
  }

  /** Sum over the pool: fixed chunks, partials added in chunk order, the same for any pool. */
  public static float sum(float[] x, WorkerPool pool) {
    int chunks = chunks(x.length);
    float[] partial = new float[chunks];
    pool.forEach(chunks, c -> {
      int from = c * REDUCTION_CHUNK;
      partial[c] = K.sum(x, from, Math.min(REDUCTION_CHUNK, x.length - from));
    });
    return ScalarKernels.INSTANCE.sum(partial, 0, chunks);
  }

  /** Dot product over the pool, with the same fixed-order guarantee as {@link #sum(float[], WorkerPool)}. */
  public static float dot(float[] a, float[] b, WorkerPool pool) {
    sameLength("a", a.length, "b", b.length);
    int chunks = chunks(a.length);
    float[] partial = new float[chunks];
    pool.forEach(chunks, c -> {
      int from = c * REDUCTION_CHUNK;
      partial[c] = K.dot(a, from, b, from, Math.min(REDUCTION_CHUNK, a.length - from));
    });
    return ScalarKernels.INSTANCE.sum(partial, 0, chunks);
  }

  private static int chunks(int n) {
    return (n + REDUCTION_CHUNK - 1) / REDUCTION_CHUNK;
  }

  static void sameLength(String aName, int a, String bName, int b) {
    if (a != b) {
      throw new IllegalArgumentException(
          "length mismatch: " + aName + " has " + a + " but " + bName + " has " + b);
    }
  }

  static void range(String name, int length, int off, int n) {
    if (off < 0 || n < 0 || off > length - n) {
      throw new IllegalArgumentException(name + ": [" + off + ", " + off + " + " + n
          + ") is outside an array of length " + length);
    }
  }

  private static void matrix(String name, int length, int rows, int cols) {
    if (rows < 0 || cols < 0 || (long) rows * cols != length) {
      throw new IllegalArgumentException(name + " has length " + length + " but rows×cols is "
          + rows + "×" + cols);
    }
  }
}
