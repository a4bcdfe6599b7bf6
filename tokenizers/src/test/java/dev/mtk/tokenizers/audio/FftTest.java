package dev.mtk.tokenizers.audio;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class FftTest {

  static void check(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] re = new double[n], im = new double[n];
    for (int i = 0; i < n; i++) {
      re[i] = r.nextDouble(-1, 1);
      im[i] = r.nextDouble(-1, 1);
    }
    double[] outRe = new double[n], outIm = new double[n];
    new Fft(n).forward(re, im, outRe, outIm);
    double energyIn = 0, energyOut = 0;
    for (int k = 0; k < n; k++) {
      double sr = 0, si = 0;
      for (int j = 0; j < n; j++) {
        double a = -2 * Math.PI * (long) j * k / n;
        sr += re[j] * Math.cos(a) - im[j] * Math.sin(a);
        si += re[j] * Math.sin(a) + im[j] * Math.cos(a);
      }
      assertEquals(sr, outRe[k], 1e-9 * n, "n=" + n + " k=" + k);
      assertEquals(si, outIm[k], 1e-9 * n, "n=" + n + " k=" + k);
      energyOut += outRe[k] * outRe[k] + outIm[k] * outIm[k];
      energyIn += re[k] * re[k] + im[k] * im[k];
    }
    // Parseval: Σ|x|² = Σ|X|² / n
    assertEquals(energyIn, energyOut / n, 1e-9 * energyIn);
  }

  @Property(tries = 60)
  void matchesTheDirectDftOnAnyLength(@ForAll @IntRange(min = 1, max = 300) int n, @ForAll long seed) {
    check(n, seed);
  }

  @Test
  void whispersWindowAndOtherMixedRadixLengths() {
    for (int n : new int[] {400, 512, 210, 97, 1, 2, 3, 360}) {
      check(n, n);
    }
  }

  @Test
  void realInputGivesHermitianOutput() {
    int n = 400;
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = Math.sin(0.3 * i) + 0.1 * i % 7;
    }
    double[] re = new double[n], im = new double[n];
    new Fft(n).forward(x, null, re, im);
    for (int k = 1; k < n; k++) {
      assertEquals(re[k], re[n - k], 1e-9);
      assertEquals(im[k], -im[n - k], 1e-9);
    }
  }
}
