package dev.mtk.core.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The scalar twin of every vector kernel: the readable reference that {@link PanamaKernels} is
 * tested against, and the fallback when the Vector API cannot be used. Sums run left to right in
 * float, except where a comment says otherwise.
 */
final class ScalarKernels implements VectorKernels {

  static final ScalarKernels INSTANCE = new ScalarKernels();

  // Abramowitz & Stegun 7.1.26: erf(x) ≈ 1 - (a1·t + … + a5·t⁵)·exp(-x²), t = 1/(1 + p·x), x ≥ 0.
  // Its absolute error is below 1.5e-7, under float's resolution near 1; it needs only exp, which
  // the Vector API has, unlike erf.
  static final float ERF_P = 0.3275911f;
  static final float ERF_A1 = 0.254829592f;
  static final float ERF_A2 = -0.284496736f;
  static final float ERF_A3 = 1.421413741f;
  static final float ERF_A4 = -1.453152027f;
  static final float ERF_A5 = 1.061405429f;
  static final float INV_SQRT2 = 0.70710678118654752f;
  static final float INV_SQRT_2PI = 0.39894228040143268f;
  static final float SQRT_2_OVER_PI = 0.79788456080286536f;
  static final float GELU_TANH_C = 0.044715f;

  // exp (Cephes expf): x = n·ln2 + r with |r| ≤ ln2/2, exp(r) by a degree-7 polynomial, 2^n by
  // building the float's exponent. Rounding x·log2(e) to the nearest integer adds and subtracts
  // 1.5·2^23 so that the integer lands in the low mantissa bits.
  static final float LOG2E = 1.44269504088896341f;
  static final float ROUND_MAGIC = 12582912f;
  static final float LN2_HI = 0.693359375f;
  static final float LN2_LO = -2.12194440e-4f;
  static final float EXP_P0 = 1.9875691500e-4f;
  static final float EXP_P1 = 1.3981999507e-3f;
  static final float EXP_P2 = 8.3334519073e-3f;
  static final float EXP_P3 = 4.1665795894e-2f;
  static final float EXP_P4 = 1.6666665459e-1f;
  static final float EXP_P5 = 5.0000001201e-1f;
  // exp's input is clamped to [EXP_LO, EXP_HI]: n stays within the normal exponents (88.37 keeps
  // n ≤ 127), so the result saturates near 2.4e38 above and near 1.2e-38 below instead of
  // reaching +Inf or 0. Softmax, GELU and tanh never need more.
  static final float EXP_HI = 88.37f;
  static final float EXP_LO = -87.3365478515625f;

  private ScalarKernels() {}

  /**
   * exp in float with the same operations as the vector kernels, and so the same bits on every
   * JIT tier and thread count; within 3 ulp of Math.exp for results between 1.2e-38 and 2.4e38.
   */
  static float exp(float x) {
    // clamped, not branched, exactly as the vector twin (which has no cheap masks): saturates at
    // e^88.37 above and about 1e-38 below; NaN stays NaN
    x = Math.max(Math.min(x, EXP_HI), EXP_LO);
    float t = Math.fma(x, LOG2E, ROUND_MAGIC);
    float n = t - ROUND_MAGIC;
    float r = Math.fma(n, -LN2_HI, x);
    r = Math.fma(n, -LN2_LO, r);
    float p = Math.fma(r, EXP_P0, EXP_P1);
    p = Math.fma(p, r, EXP_P2);
    p = Math.fma(p, r, EXP_P3);
    p = Math.fma(p, r, EXP_P4);
    p = Math.fma(p, r, EXP_P5);
    p = Math.fma(p, r * r, r + 1f);
    int bits = (Float.floatToRawIntBits(t) - Float.floatToRawIntBits(ROUND_MAGIC) + 127) << 23;
    return p * Float.intBitsToFloat(bits);
  }

  /** tanh(u) = 1 - 2 / (exp(2u) + 1): saturates cleanly to ±1, absolute error about 1e-7. */
  static float tanh(float u) {
    return 1f - 2f / (exp(u + u) + 1f);
  }

  @Override
  public String name() {
    return "scalar";
  }

  @Override
  public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
    float s = 0f;
    for (int i = 0; i < n; i++) {
      s += a[aOff + i] * b[bOff + i];
    }
    return s;
  }

  @Override
  public float squaredL2(float[] a, int aOff, float[] b, int bOff, int n) {
    float s = 0f;
    for (int i = 0; i < n; i++) {
      float d = a[aOff + i] - b[bOff + i];
      s += d * d;
    }
    return s;
  }

  @Override
  public float cosine(float[] a, int aOff, float[] b, int bOff, int n) {
    float ab = 0f, aa = 0f, bb = 0f;
    for (int i = 0; i < n; i++) {
      float x = a[aOff + i], y = b[bOff + i];
      ab += x * y;
      aa += x * x;
      bb += y * y;
    }
    return (float) (ab / Math.sqrt((double) aa * (double) bb));
  }

  @Override
  public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
    for (int i = 0; i < n; i++) {
      y[yOff + i] += alpha * x[xOff + i];
    }
  }

  @Override
  public void scale(float alpha, float[] x, int xOff, int n) {
    for (int i = 0; i < n; i++) {
      x[xOff + i] *= alpha;
    }
  }

  @Override
  public float sum(float[] x, int off, int n) {
    float s = 0f;
    for (int i = 0; i < n; i++) {
      s += x[off + i];
    }
    return s;
  }

  @Override
  public float max(float[] x, int off, int n) {
    float m = Float.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      m = Math.max(m, x[off + i]);
    }
    return m;
  }

  @Override
  public void softmax(float[] x, int off, int n) {
    float m = max(x, off, n);
    float s = 0f;
    for (int i = 0; i < n; i++) {
      float e = exp(x[off + i] - m);
      x[off + i] = e;
      s += e;
    }
    float inv = 1f / s;
    for (int i = 0; i < n; i++) {
      x[off + i] *= inv;
    }
  }

  @Override
  public void layerNormForward(float[] out, int outOff, float[] x, int xOff, float[] gamma,
      int gOff, float[] beta, int bOff, int n, float eps, float[] mean, float[] rstd, int statIdx) {
    float mu = sum(x, xOff, n) / n;
    float v = 0f;
    for (int i = 0; i < n; i++) {
      float d = x[xOff + i] - mu;
      v += d * d;
    }
    float rs = (float) (1.0 / Math.sqrt(v / n + eps));
    for (int i = 0; i < n; i++) {
      out[outOff + i] = (x[xOff + i] - mu) * rs * gamma[gOff + i] + beta[bOff + i];
    }
    mean[statIdx] = mu;
    rstd[statIdx] = rs;
  }

  @Override
  public void layerNormBackward(float[] dx, int dxOff, float[] dgamma, int dgOff, float[] dbeta,
      int dbOff, float[] dout, int doutOff, float[] x, int xOff, float[] gamma, int gOff, int n,
      float mean, float rstd) {
    // dx = rstd · (g - mean(g) - x̂ · mean(g·x̂)) with g = dout·gamma: the two means first.
    float sumG = 0f, sumGX = 0f;
    for (int i = 0; i < n; i++) {
      float xhat = (x[xOff + i] - mean) * rstd;
      float g = dout[doutOff + i] * gamma[gOff + i];
      sumG += g;
      sumGX += g * xhat;
    }
    float meanG = sumG / n, meanGX = sumGX / n;
    for (int i = 0; i < n; i++) {
      float xhat = (x[xOff + i] - mean) * rstd;
      float d = dout[doutOff + i];
      dbeta[dbOff + i] += d;
      dgamma[dgOff + i] += d * xhat;
      dx[dxOff + i] += rstd * (d * gamma[gOff + i] - meanG - xhat * meanGX);
    }
  }

  /** erf by A&S 7.1.26, odd-symmetric. */
  static float erf(float x) {
    float ax = Math.abs(x);
    float t = 1f / (1f + ERF_P * ax);
    float poly = t * (ERF_A1 + t * (ERF_A2 + t * (ERF_A3 + t * (ERF_A4 + t * ERF_A5))));
    float y = 1f - poly * exp(-ax * ax);
    // the sign bit of x onto y, as the vector twin does (copySign would treat NaN differently)
    return Float.intBitsToFloat(Float.floatToRawIntBits(y) | (Float.floatToRawIntBits(x) & 0x80000000));
  }

  static float gelu(GeluForm form, float x) {
    if (form == GeluForm.ERF) {
      return 0.5f * x * (1f + erf(x * INV_SQRT2));
    }
    float u = SQRT_2_OVER_PI * (x + GELU_TANH_C * x * x * x);
    return 0.5f * x * (1f + tanh(u));
  }

  static float geluGrad(GeluForm form, float x) {
    if (form == GeluForm.ERF) {
      // Φ(x) and φ(x) share exp(-x²/2), computed once (as the vector twin does)
      float e = exp(x * x * -0.5f);
      float z = Math.abs(x) * INV_SQRT2;
      float t = 1f / Math.fma(z, ERF_P, 1f);
      float poly = Math.fma(t, ERF_A5, ERF_A4);
      poly = Math.fma(poly, t, ERF_A3);
      poly = Math.fma(poly, t, ERF_A2);
      poly = Math.fma(poly, t, ERF_A1);
      float y = 1f - poly * t * e;
      float erf = Float.intBitsToFloat(Float.floatToRawIntBits(y) | (Float.floatToRawIntBits(x) & 0x80000000));
      float cdf = (erf + 1f) * 0.5f;
      return Math.fma(x, e * INV_SQRT_2PI, cdf);
    }
    float u = SQRT_2_OVER_PI * (x + GELU_TANH_C * x * x * x);
    float th = tanh(u);
    float du = SQRT_2_OVER_PI * (1f + 3f * GELU_TANH_C * x * x);
    return 0.5f * (1f + th) + 0.5f * x * (1f - th * th) * du;
  }

  @Override
  public void geluForward(GeluForm form, float[] out, int outOff, float[] x, int xOff, int n) {
    for (int i = 0; i < n; i++) {
      out[outOff + i] = gelu(form, x[xOff + i]);
    }
  }

  @Override
  public void geluBackward(GeluForm form, float[] dx, int dxOff, float[] dout, int doutOff,
      float[] x, int xOff, int n) {
    for (int i = 0; i < n; i++) {
      dx[dxOff + i] += dout[doutOff + i] * geluGrad(form, x[xOff + i]);
    }
  }

  @Override
  public int dotInt8(byte[] a, int aOff, byte[] b, int bOff, int n) {
    int s = 0;
    for (int i = 0; i < n; i++) {
      s += a[aOff + i] * b[bOff + i];
    }
    return s;
  }

  @Override
  public long hamming(long[] a, int aOff, long[] b, int bOff, int n) {
    long s = 0;
    for (int i = 0; i < n; i++) {
      s += Long.bitCount(a[aOff + i] ^ b[bOff + i]);
    }
    return s;
  }

  static final ValueLayout.OfFloat LE_FLOAT =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

  @Override
  public float dot(float[] q, int qOff, MemorySegment x, long xOff, int n) {
    float s = 0f;
    for (int i = 0; i < n; i++) {
      s += q[qOff + i] * x.get(LE_FLOAT, xOff + 4L * i);
    }
    return s;
  }

  @Override
  public void dotInt8Blocks(int[] q, int qOff, int m, MemorySegment codes, long off,
      long blockBytes, int blocks, int[] out, int outOff, boolean accumulate) {
    for (int b = 0; b < blocks; b++) {
      long base = off + b * blockBytes;
      for (int r = 0; r < CODE_BLOCK; r++) {
        int s = 0;
        for (int j = 0; j < m; j++) {
          s += q[qOff + j] * codes.get(ValueLayout.JAVA_BYTE, base + (long) CODE_BLOCK * j + r);
        }
        out[outOff + CODE_BLOCK * b + r] = accumulate ? out[outOff + CODE_BLOCK * b + r] + s : s;
      }
    }
  }

  @Override
  public void keys(int[] acc, int accOff, float scale, float bias, int mode, float[] w, int wOff,
      float[] out, int outOff, int n) {
    for (int i = 0; i < n; i++) {
      float y = Math.fma(scale, (float) acc[accOff + i], bias);
      out[outOff + i] = switch (mode) {
        case KEY_SCALED -> y * w[wOff + i];
        case KEY_L2 -> 2f * y - w[wOff + i];
        default -> y;
      };
    }
  }

  @Override
  public void hammingWords(long q, long mask, MemorySegment words, long off, int n, int[] acc,
      int accOff) {
    for (int i = 0; i < n; i++) {
      acc[accOff + i] += Long.bitCount((words.get(LE_LONG, off + 8L * i) ^ q) & mask);
    }
  }

  static final ValueLayout.OfLong LE_LONG =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);

  @Override
  public int collectAbove(float[] x, int off, int n, float bar, int[] out) {
    int c = 0;
    for (int i = 0; i < n; i++) {
      if (x[off + i] > bar) {
        out[c++] = i;
      }
    }
    return c;
  }
}
