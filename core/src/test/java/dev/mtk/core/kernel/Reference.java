package dev.mtk.core.kernel;

import java.util.SplittableRandom;

/** Double-precision references and random data shared by the kernel tests. */
final class Reference {

  static final double EPS = Math.ulp(1f);

  private Reference() {}

  static float[] randomFloats(SplittableRandom rnd, int n, double scale) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
    }
    return x;
  }

  /**
   * Error allowed for a float sum of n terms whose absolute values add up to absSum: rounding
   * errors of a sum grow like sqrt(n) in practice (n in the worst case); eight sigma of the
   * random-walk bound, plus a little for the final reduction.
   */
  static double sumTolerance(int n, double absSum) {
    return 8 * Math.sqrt(n + 1) * EPS * absSum + 1e-30;
  }

  /** erf to about 1e-12 in double: Taylor series below 4, 1 beyond (erfc(4) < 2e-8, then tiny). */
  static double erf(double x) {
    double ax = Math.abs(x);
    if (ax >= 6) {
      return Math.signum(x);
    }
    if (ax > 4) {
      // erfc by its continued fraction, accurate here
      double t = 0;
      for (int k = 60; k >= 1; k--) {
        t = k / 2.0 / (ax + t);
      }
      double erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + t);
      return Math.signum(x) * (1 - erfc);
    }
    double term = ax, sum = ax;
    for (int n = 1; n < 200; n++) {
      term *= -ax * ax / n;
      double add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) {
        break;
      }
    }
    return Math.signum(x) * 2 / Math.sqrt(Math.PI) * sum;
  }

  static double gelu(GeluForm form, double x) {
    if (form == GeluForm.ERF) {
      return 0.5 * x * (1 + erf(x / Math.sqrt(2)));
    }
    return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
  }
}
