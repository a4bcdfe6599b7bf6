package dev.mtk.core.kernel;

import java.lang.foreign.MemorySegment;

/**
 * The float32 vector kernels, in two twins: {@link ScalarKernels} (plain Java, the reference) and
 * {@link PanamaKernels} (jdk.incubator.vector). {@link Vectors} is the checked facade; these raw
 * methods trust their arguments (offsets and lengths in range), as Lucene's VectorUtilSupport does.
 *
 * <p>Backward kernels accumulate into gradient buffers ({@code +=}), as llm.c does, so that a
 * tensor used twice simply receives both contributions.
 */
public interface VectorKernels {

  /** A short name for logs and {@code mtk --version}: "scalar" or "panama-512" and so on. */
  String name();

  float dot(float[] a, int aOff, float[] b, int bOff, int n);

  float squaredL2(float[] a, int aOff, float[] b, int bOff, int n);

  /** dot / (|a|·|b|) with all three sums taken in one pass; a zero vector gives NaN (0/0). */
  float cosine(float[] a, int aOff, float[] b, int bOff, int n);

  /** y += alpha · x */
  void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n);

  /** x *= alpha */
  void scale(float alpha, float[] x, int xOff, int n);

  float sum(float[] x, int off, int n);

  /** Largest element with Math.max semantics (NaN wins); -Infinity for n == 0. */
  float max(float[] x, int off, int n);

  /** One row in place: x = exp(x - max) / sum. */
  void softmax(float[] x, int off, int n);

  /**
   * One row: out = (x - mean) · rstd · gamma + beta, with rstd = 1 / sqrt(var + eps) and the
   * biased variance. Saves mean and rstd at {@code stats[statIdx]} for the backward pass.
   */
  void layerNormForward(float[] out, int outOff, float[] x, int xOff, float[] gamma, int gOff,
      float[] beta, int bOff, int n, float eps, float[] mean, float[] rstd, int statIdx);

  /** One row: dx += ∂L/∂x, dgamma += dout·x̂, dbeta += dout, given the saved mean and rstd. */
  void layerNormBackward(float[] dx, int dxOff, float[] dgamma, int dgOff, float[] dbeta,
      int dbOff, float[] dout, int doutOff, float[] x, int xOff, float[] gamma, int gOff, int n,
      float mean, float rstd);

  void geluForward(GeluForm form, float[] out, int outOff, float[] x, int xOff, int n);

  /** dx += dout · gelu'(x) */
  void geluBackward(GeluForm form, float[] dx, int dxOff, float[] dout, int doutOff, float[] x,
      int xOff, int n);

  /** Σ a·b over signed bytes, widened to int (exact; wraps like Java int arithmetic). */
  int dotInt8(byte[] a, int aOff, byte[] b, int bOff, int n);

  /** Number of differing bits between two packed bit strings of n longs. */
  long hamming(long[] a, int aOff, long[] b, int bOff, int n);

  /**
   * The dot product of {@code q[qOff .. qOff+n)} with n little-endian floats stored at byte offset
   * {@code xOff} of a segment (a memory-mapped index). Same arithmetic, in the same order, as
   * {@link #dot(float[], int, float[], int, int)}: the bits agree with the array form.
   */
  float dot(float[] q, int qOff, MemorySegment x, long xOff, int n);

  /**
   * Int8 codes stored in blocks of {@link #CODE_BLOCK} rows, dimension-major inside a block (the 16
   * codes of dimension 0, then the 16 of dimension 1, …), so that m dimensions of a block are one
   * contiguous run and sixteen rows are scored with vertical adds, no horizontal sums. For blocks
   * b &lt; blocks and rows r &lt; 16,
   * {@code out[outOff + 16·b + r] (+)= Σ_{j<m} q[qOff + j] · codes[off + b·blockBytes + 16·j + r]},
   * added to what is there when {@code accumulate}, exactly (int arithmetic; |q| and |codes| ≤ 127
   * keep it far from overflow for m ≤ 65,536).
   */
  void dotInt8Blocks(int[] q, int qOff, int m, MemorySegment codes, long off, long blockBytes,
      int blocks, int[] out, int outOff, boolean accumulate);

  /**
   * Turns exact integer scores into comparable float keys, n at a time:
   * {@code y = fma(scale, acc[i], bias)}, then {@code out[i] = y} ({@link #KEY_PLAIN}),
   * {@code y · w[i]} ({@link #KEY_SCALED}: cosine, w = 1/|x|) or {@code 2·y − w[i]}
   * ({@link #KEY_L2}: w = |x|²). Vectorised, so that a scan's scalar loop is only a compare.
   */
  void keys(int[] acc, int accOff, float scale, float bias, int mode, float[] w, int wOff,
      float[] out, int outOff, int n);

  int KEY_PLAIN = 0, KEY_SCALED = 1, KEY_L2 = 2;

  /**
   * Writes every i in [0, n) with {@code x[off + i] > bar} to {@code out}, in increasing order,
   * and returns how many: how a top-k scan finds the few rows that can enter its list, many lanes
   * per compare. {@code out} must hold n.
   */
  int collectAbove(float[] x, int off, int n, float bar, int[] out);

  /**
   * Hamming distances of n 64-bit words (consecutive rows' word of one position, little-endian in
   * a segment) to one query word, over the bits in {@code mask}, added to {@code acc}.
   */
  void hammingWords(long q, long mask, MemorySegment words, long off, int n, int[] acc, int accOff);

  /** Rows per block in {@link #dotInt8Blocks}. */
  int CODE_BLOCK = 16;
}
