package dev.mtk.core.kernel;

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
}
