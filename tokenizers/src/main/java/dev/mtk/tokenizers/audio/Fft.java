package dev.mtk.tokenizers.audio;

/**
 * A mixed-radix FFT for any length: the length is split into its prime factors (400 = 2⁴·5²,
 * Whisper's window, is not a power of two), each level combining p sub-transforms of length n/p
 * (decimation in time). Factors above 5 use a direct p-point sum, so any length works, fastest
 * when it has small factors. Double precision; a plan holds the twiddles and scratch, so a
 * transform allocates nothing. Not thread-safe: one plan per thread.
 */
public final class Fft {

  private final int n;
  private final double[] cos, sin; // W_n^j = cos(2πj/n) − i·sin(2πj/n)
  private final int[] factors;
  private final double[] tRe, tIm;

  public Fft(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("FFT length must be at least 1, got " + n);
    }
    this.n = n;
    cos = new double[n];
    sin = new double[n];
    for (int j = 0; j < n; j++) {
      double a = 2 * Math.PI * j / n;
      cos[j] = Math.cos(a);
      sin[j] = Math.sin(a);
    }
    int[] f = new int[32];
    int c = 0;
    for (int m = n, p = 2; m > 1; ) {
      if (m % p == 0) {
        f[c++] = p;
        m /= p;
      } else {
        p = p == 2 ? 3 : p + 2;
        if ((long) p * p > m) {
          p = m;
        }
      }
    }
    factors = java.util.Arrays.copyOf(f, c);
    int maxP = 1;
    for (int p : factors) {
      maxP = Math.max(maxP, p);
    }
    tRe = new double[maxP];
    tIm = new double[maxP];
  }

  public int size() {
    return n;
  }

  /** out = DFT(in): X[k] = Σ x[j]·e^(−2πi·jk/n). Inputs and outputs must not overlap. */
  public void forward(double[] inRe, double[] inIm, double[] outRe, double[] outIm) {
    work(inRe, inIm, 0, 1, outRe, outIm, 0, n, 0);
  }

  private void work(double[] inRe, double[] inIm, int inOff, int stride, double[] outRe,
      double[] outIm, int outOff, int len, int level) {
    if (len == 1) {
      outRe[outOff] = inRe[inOff];
      outIm[outOff] = inIm == null ? 0 : inIm[inOff];
      return;
    }
    int p = factors[level], m = len / p;
    for (int r = 0; r < p; r++) {
      work(inRe, inIm, inOff + r * stride, stride * p, outRe, outIm, outOff + r * m, m, level + 1);
    }
    int step = n / len; // W_len^x = W_n^(x·step)
    for (int k = 0; k < m; k++) {
      for (int r = 0; r < p; r++) {
        int at = outOff + r * m + k;
        int tw = (r * k * step) % n;
        double c = cos[tw], s = sin[tw];
        double re = outRe[at], im = outIm[at];
        tRe[r] = re * c + im * s; // (re + i·im)·(c − i·s)
        tIm[r] = im * c - re * s;
      }
      if (p == 2) {
        outRe[outOff + k] = tRe[0] + tRe[1];
        outIm[outOff + k] = tIm[0] + tIm[1];
        outRe[outOff + m + k] = tRe[0] - tRe[1];
        outIm[outOff + m + k] = tIm[0] - tIm[1];
        continue;
      }
      int pStep = n / p; // W_p^x = W_n^(x·n/p)
      for (int q = 0; q < p; q++) {
        double sr = 0, si = 0;
        for (int r = 0; r < p; r++) {
          int tw = (int) ((long) r * q % p) * pStep;
          double c = cos[tw], s = sin[tw];
          sr += tRe[r] * c + tIm[r] * s;
          si += tIm[r] * c - tRe[r] * s;
        }
        outRe[outOff + q * m + k] = sr;
        outIm[outOff + q * m + k] = si;
      }
    }
  }
}
