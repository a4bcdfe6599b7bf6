package dev.mtk.tokenizers.audio;

/**
 * Band-limited resampling with a windowed sinc: each output sample is a weighted sum of the input
 * around its position, the sinc cut at the lower of the two Nyquist frequencies (so downsampling
 * filters out what would alias) and tapered by a Blackman window over 16 zero crossings each side.
 * When the rates have a small ratio L/M (16000/44100 = 160/441) the kernel is tabulated once per
 * phase (polyphase); otherwise it is computed per sample.
 */
public final class Resampler {

  static final int ZEROS = 16;
  static final int MAX_PHASES = 4096;

  private Resampler() {}

  public static Audio resample(Audio in, int rate) {
    if (rate < 1) {
      throw new IllegalArgumentException("target rate must be positive, got " + rate);
    }
    int from = in.sampleRate();
    if (from == rate) {
      return in;
    }
    int g = gcd(from, rate);
    int up = rate / g, down = from / g; // output i sits at input position i·down/up
    float[] x = in.samples();
    long outLen = ((long) x.length * up + down - 1) / down;
    double cutoff = Math.min(1.0, (double) rate / from); // in units of the input Nyquist
    int half = (int) Math.ceil(ZEROS / cutoff);
    float[] out = new float[(int) outLen];
    double[][] table = up <= MAX_PHASES ? new double[up][] : null;
    for (int i = 0; i < outLen; i++) {
      long num = (long) i * down;
      int base = (int) (num / up), phase = (int) (num % up);
      double frac = (double) phase / up;
      double[] k;
      if (table != null) {
        k = table[phase];
        if (k == null) {
          k = table[phase] = kernel(frac, half, cutoff);
        }
      } else {
        k = kernel(frac, half, cutoff);
      }
      double s = 0;
      for (int t = -half + 1; t <= half; t++) {
        int j = base + t;
        if (j >= 0 && j < x.length) {
          s += k[t + half - 1] * x[j];
        }
      }
      out[i] = (float) s;
    }
    return new Audio(out, rate);
  }

  /** Weights for input offsets −half+1 … half around a position frac past the base sample. */
  private static double[] kernel(double frac, int half, double cutoff) {
    double[] k = new double[2 * half];
    for (int t = -half + 1; t <= half; t++) {
      double d = t - frac;
      double a = Math.PI * cutoff * d;
      double sinc = d == 0 ? 1 : Math.sin(a) / a;
      double u = d / half; // in (−1, 1]: Blackman taper
      double w = Math.abs(u) >= 1 ? 0
          : 0.42 + 0.5 * Math.cos(Math.PI * u) + 0.08 * Math.cos(2 * Math.PI * u);
      k[t + half - 1] = cutoff * sinc * w;
    }
    return k;
  }

  private static int gcd(int a, int b) {
    return b == 0 ? a : gcd(b, a % b);
  }
}
