package dev.mtk.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every SIMD kernel against its scalar twin and against a double-precision reference, on awkward
 * lengths: 0, 1, primes, and the vector width and its multiples ± 1.
 */
class VectorKernelsTest {

  static final VectorKernels SIMD = KernelProvider.kernels();
  static final VectorKernels SCALAR = KernelProvider.scalar();

  static IntStream lengths() {
    int w = 16; // the widest float species; narrower ones are covered by its multiples
    return IntStream.of(0, 1, 2, 3, 5, 7, 8, 13, w - 1, w, w + 1, 2 * w - 1, 2 * w + 1,
        4 * w - 1, 4 * w, 4 * w + 1, 97, 207, 257, 702, 768, 1021, 1024, 1025, 4099).distinct();
  }

  @Test
  void simdIsInUseUnlessForcedOff() {
    // The build runs the tests with the Vector API; if this fails the twins below compare scalar
    // with scalar and prove nothing. The simd-off run checks the forced fallback instead.
    String forced = System.getProperty(KernelProvider.PROPERTY, "auto");
    assertEquals(!forced.equals("off"), KernelProvider.vectorized(), KernelProvider.description());
    if (!forced.equals("off") && !forced.equals("auto")) {
      assertEquals("panama-" + forced, KernelProvider.kernels().name());
    }
  }

  @ParameterizedTest
  @MethodSource("lengths")
  void reductionsMatchScalarAndDouble(int n) {
    SplittableRandom rnd = new SplittableRandom(n);
    int off = n % 3; // unaligned starts
    float[] a = Reference.randomFloats(rnd, n + off, 2), b = Reference.randomFloats(rnd, n + off, 2);
    double dot = 0, dotAbs = 0, l2 = 0, l2Abs = 0, sum = 0, sumAbs = 0, aa = 0, bb = 0;
    float max = Float.NEGATIVE_INFINITY;
    for (int i = off; i < off + n; i++) {
      dot += (double) a[i] * b[i];
      dotAbs += Math.abs((double) a[i] * b[i]);
      double d = (double) a[i] - b[i];
      l2 += d * d;
      l2Abs += d * d;
      sum += a[i];
      sumAbs += Math.abs(a[i]);
      aa += (double) a[i] * a[i];
      bb += (double) b[i] * b[i];
      max = Math.max(max, a[i]);
    }
    for (VectorKernels k : new VectorKernels[] {SIMD, SCALAR}) {
      String who = k.name() + " n=" + n;
      assertEquals(dot, k.dot(a, off, b, off, n), Reference.sumTolerance(n, dotAbs), who + " dot");
      assertEquals(l2, k.squaredL2(a, off, b, off, n), Reference.sumTolerance(n, l2Abs), who + " l2");
      assertEquals(sum, k.sum(a, off, n), Reference.sumTolerance(n, sumAbs), who + " sum");
      assertEquals(max, k.max(a, off, n), who + " max");
      if (n > 0) {
        double cos = dot / Math.sqrt(aa * bb);
        assertEquals(cos, k.cosine(a, off, b, off, n),
            Reference.sumTolerance(n, dotAbs) / Math.sqrt(aa * bb) + 4 * Reference.EPS, who + " cos");
      }
    }
    assertEquals(SCALAR.dot(a, off, b, off, n), SIMD.dot(a, off, b, off, n),
        2 * Reference.sumTolerance(n, dotAbs), "twins dot n=" + n);
  }

  @ParameterizedTest
  @MethodSource("lengths")
  void elementwiseMatchScalar(int n) {
    SplittableRandom rnd = new SplittableRandom(1000 + n);
    float[] x = Reference.randomFloats(rnd, n, 3), y = Reference.randomFloats(rnd, n, 3);
    float alpha = 0.7f;
    float[] y1 = y.clone(), y2 = y.clone();
    SIMD.axpy(alpha, x, 0, y1, 0, n);
    SCALAR.axpy(alpha, x, 0, y2, 0, n);
    for (int i = 0; i < n; i++) {
      // FMA rounds once, mul+add twice: at most one ulp of each part apart
      double tol = 2 * Reference.EPS * (Math.abs(alpha * x[i]) + Math.abs(y[i]));
      assertEquals(y2[i], y1[i], tol, "axpy i=" + i);
      assertEquals((double) y[i] + (double) alpha * x[i], y1[i], tol, "axpy vs double i=" + i);
    }
    float[] s1 = x.clone(), s2 = x.clone();
    SIMD.scale(alpha, s1, 0, n);
    SCALAR.scale(alpha, s2, 0, n);
    for (int i = 0; i < n; i++) {
      assertEquals(s2[i], s1[i], 0f, "scale is exactly one rounding in both");
    }
  }

  @ParameterizedTest
  @MethodSource("lengths")
  void softmaxMatchesDouble(int n) {
    SplittableRandom rnd = new SplittableRandom(2000 + n);
    float[] x = Reference.randomFloats(rnd, n, 10);
    float[] p1 = x.clone(), p2 = x.clone();
    SIMD.softmax(p1, 0, n);
    SCALAR.softmax(p2, 0, n);
    double m = Double.NEGATIVE_INFINITY, s = 0;
    for (float v : x) {
      m = Math.max(m, v);
    }
    for (float v : x) {
      s += Math.exp(v - m);
    }
    double total = 0;
    for (int i = 0; i < n; i++) {
      double ref = Math.exp(x[i] - m) / s;
      // exp within 3 ulp, then the float sum of n terms and one division
      double tol = ref * (6 * Reference.EPS + Reference.sumTolerance(n, 1)) + 1e-12;
      assertEquals(ref, p1[i], tol, "simd softmax i=" + i);
      assertEquals(ref, p2[i], tol, "scalar softmax i=" + i);
      total += p1[i];
    }
    if (n > 0) {
      assertEquals(1.0, total, 1e-5);
    }
  }

  @ParameterizedTest
  @MethodSource("lengths")
  void geluMatchesDoubleAndDerivative(int n) {
    SplittableRandom rnd = new SplittableRandom(3000 + n);
    float[] x = Reference.randomFloats(rnd, n, 6);
    if (n > 2) {
      x[0] = 0f;
      x[1] = -12f;
      x[2] = 12f;
    }
    float[] dout = Reference.randomFloats(rnd, n, 1);
    for (GeluForm form : GeluForm.values()) {
      float[] o1 = new float[n], o2 = new float[n];
      SIMD.geluForward(form, o1, 0, x, 0, n);
      SCALAR.geluForward(form, o2, 0, x, 0, n);
      float[] d1 = new float[n], d2 = new float[n];
      SIMD.geluBackward(form, d1, 0, dout, 0, x, 0, n);
      SCALAR.geluBackward(form, d2, 0, dout, 0, x, 0, n);
      for (int i = 0; i < n; i++) {
        double xi = x[i];
        double ref = Reference.gelu(form, xi);
        // A&S erf is good to 1.5e-7 absolute; float rounding adds a few ulps of |x|
        double tol = 4e-7 * Math.abs(xi) + 4 * Reference.EPS * Math.abs(ref) + 1e-7;
        assertEquals(ref, o1[i], tol, form + " simd gelu x=" + xi);
        assertEquals(ref, o2[i], tol, form + " scalar gelu x=" + xi);
        double h = 1e-4;
        double grad = (Reference.gelu(form, xi + h) - Reference.gelu(form, xi - h)) / (2 * h);
        double gtol = 2e-6 * (1 + Math.abs(xi)) * Math.abs(dout[i]) + 1e-7;
        assertEquals(dout[i] * grad, d1[i], gtol, form + " simd gelu' x=" + xi);
        assertEquals(dout[i] * grad, d2[i], gtol, form + " scalar gelu' x=" + xi);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("lengths")
  void layerNormForwardAndBackwardMatchDouble(int n) {
    if (n < 2) {
      return; // a row of one element has zero variance; covered by the eps test below
    }
    SplittableRandom rnd = new SplittableRandom(4000 + n);
    float[] x = Reference.randomFloats(rnd, n, 3), gamma = Reference.randomFloats(rnd, n, 1.5),
        beta = Reference.randomFloats(rnd, n, 1), dout = Reference.randomFloats(rnd, n, 1);
    float eps = 1e-5f;
    for (VectorKernels k : new VectorKernels[] {SIMD, SCALAR}) {
      float[] out = new float[n], mean = new float[1], rstd = new float[1];
      k.layerNormForward(out, 0, x, 0, gamma, 0, beta, 0, n, eps, mean, rstd, 0);
      double[] ref = layerNorm(x, gamma, beta, eps);
      for (int i = 0; i < n; i++) {
        assertEquals(ref[i], out[i], 2e-5 * (Math.abs(gamma[i]) + 1), k.name() + " ln i=" + i);
      }
      float[] dx = new float[n], dgamma = new float[n], dbeta = new float[n];
      k.layerNormBackward(dx, 0, dgamma, 0, dbeta, 0, dout, 0, x, 0, gamma, 0, n, mean[0], rstd[0]);
      // finite differences of L = Σ dout·out in double, one input at a time
      for (int i = 0; i < n; i += Math.max(1, n / 40)) {
        double h = 1e-3;
        float[] xp = x.clone(), xm = x.clone();
        xp[i] += (float) h;
        xm[i] -= (float) h;
        double hp = xp[i] - (double) x[i], hm = (double) x[i] - xm[i];
        double g = (loss(layerNorm(xp, gamma, beta, eps), dout) - loss(layerNorm(xm, gamma, beta, eps), dout)) / (hp + hm);
        assertEquals(g, dx[i], 2e-3 * (1 + Math.abs(g)), k.name() + " dx i=" + i);
        double xhat = (x[i] - mean[0]) * (double) rstd[0];
        assertEquals(dout[i] * xhat, dgamma[i], 1e-4 * (1 + Math.abs(xhat)), k.name() + " dgamma");
        assertEquals(dout[i], dbeta[i], 0f, k.name() + " dbeta");
      }
    }
  }

  private static double[] layerNorm(float[] x, float[] gamma, float[] beta, float eps) {
    int n = x.length;
    double mean = 0, var = 0;
    for (float v : x) {
      mean += v;
    }
    mean /= n;
    for (float v : x) {
      var += (v - mean) * (v - mean);
    }
    var /= n;
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = (x[i] - mean) / Math.sqrt(var + eps) * gamma[i] + beta[i];
    }
    return out;
  }

  private static double loss(double[] out, float[] dout) {
    double s = 0;
    for (int i = 0; i < out.length; i++) {
      s += out[i] * dout[i];
    }
    return s;
  }

  @ParameterizedTest
  @MethodSource("lengths")
  void int8AndHammingAreExact(int n) {
    SplittableRandom rnd = new SplittableRandom(5000 + n);
    byte[] a = new byte[n + 3], b = new byte[n + 3];
    for (int i = 0; i < a.length; i++) {
      a[i] = (byte) rnd.nextInt(256);
      b[i] = (byte) rnd.nextInt(256);
    }
    if (n > 1) {
      a[0] = -128;
      b[0] = -128;
      a[1] = 127;
      b[1] = -128;
    }
    long ref = 0;
    for (int i = 1; i < n + 1; i++) {
      ref += a[i] * b[i];
    }
    assertEquals(ref, SIMD.dotInt8(a, 1, b, 1, n), "simd int8");
    assertEquals(ref, SCALAR.dotInt8(a, 1, b, 1, n), "scalar int8");
    long[] x = new long[n + 2], y = new long[n + 2];
    for (int i = 0; i < x.length; i++) {
      x[i] = rnd.nextLong();
      y[i] = rnd.nextLong();
    }
    long bits = 0;
    for (int i = 2; i < n + 2; i++) {
      for (int bit = 0; bit < 64; bit++) {
        if (((x[i] >>> bit) & 1) != ((y[i] >>> bit) & 1)) {
          bits++;
        }
      }
    }
    assertEquals(bits, SIMD.hamming(x, 2, y, 2, n), "simd hamming");
    assertEquals(bits, SCALAR.hamming(x, 2, y, 2, n), "scalar hamming");
  }

  @Test
  void nanAndInfinityPropagate() {
    for (VectorKernels k : new VectorKernels[] {SIMD, SCALAR}) {
      for (int n : new int[] {5, 64, 100}) {
        float[] a = new float[n], b = new float[n];
        java.util.Arrays.fill(a, 1f);
        java.util.Arrays.fill(b, 1f);
        a[n - 2] = Float.NaN;
        assertTrue(Float.isNaN(k.dot(a, 0, b, 0, n)), k.name() + " dot NaN");
        assertTrue(Float.isNaN(k.sum(a, 0, n)), k.name() + " sum NaN");
        assertTrue(Float.isNaN(k.max(a, 0, n)), k.name() + " max NaN");
        a[n - 2] = Float.POSITIVE_INFINITY;
        assertEquals(Float.POSITIVE_INFINITY, k.dot(a, 0, b, 0, n), k.name() + " dot inf");
        assertEquals(Float.POSITIVE_INFINITY, k.max(a, 0, n), k.name() + " max inf");
        b[n - 2] = 0f;
        assertTrue(Float.isNaN(k.dot(a, 0, b, 0, n)), k.name() + " inf*0");
        a[0] = Float.NEGATIVE_INFINITY;
        assertTrue(Float.isNaN(k.sum(a, 0, n)), k.name() + " inf-inf");
      }
      assertEquals(0f, k.dot(new float[0], 0, new float[0], 0, 0));
      assertEquals(0f, k.sum(new float[0], 0, 0));
      assertEquals(Float.NEGATIVE_INFINITY, k.max(new float[0], 0, 0));
      assertTrue(Float.isNaN(k.cosine(new float[4], 0, new float[4], 0, 4)), "zero vector cosine");
    }
  }

  @Test
  void expIsBitIdenticalInBothTwinsAndCloseToMathExp() {
    org.junit.jupiter.api.Assumptions.assumeTrue(KernelProvider.vectorized());
    SplittableRandom rnd = new SplittableRandom(11);
    int n = 4099;
    float[] x = Reference.randomFloats(rnd, n, 90);
    x[0] = Float.NaN;
    x[1] = Float.NEGATIVE_INFINITY;
    x[2] = Float.POSITIVE_INFINITY;
    x[3] = 0f;
    x[4] = -87.3f;
    x[5] = 88.3f;
    float[] v = x.clone();
    float[] out = new float[n];
    int L = PanamaKernels.L;
    for (int i = 0; i + L <= n; i += L) {
      PanamaKernels.exp(jdk.incubator.vector.FloatVector.fromArray(PanamaKernels.F, v, i))
          .intoArray(out, i);
    }
    for (int i = 0; i + L <= n; i += L) {
      for (int j = i; j < i + L; j++) {
        float s = ScalarKernels.exp(x[j]);
        assertEquals(Float.floatToRawIntBits(s), Float.floatToRawIntBits(out[j]),
            "exp bits at x=" + x[j] + ": scalar " + s + " vector " + out[j]);
        double ref = Math.exp(x[j]);
        if (Float.isNaN(x[j])) {
          assertTrue(Float.isNaN(s));
        } else if (x[j] >= 88.37f) {
          double top = Math.exp((double) 88.37f);
          assertEquals(top, s, 3 * Math.ulp((float) top), "saturates above");
        } else if (x[j] > ScalarKernels.EXP_LO) {
          assertEquals(ref, s, 3 * Math.ulp((float) ref), "exp(" + x[j] + ")");
        } else {
          assertTrue(s > 0 && s <= 2 * Float.MIN_NORMAL, "saturates below at " + x[j] + ": " + s);
        }
      }
    }
  }

  @Test
  void resultsDoNotChangeOnceTheJitCompilesTheKernels() {
    // The interpreter, C1 and C2 must give the same bits; 30,000 calls cross every tier.
    SplittableRandom rnd = new SplittableRandom(12);
    float[] a = Reference.randomFloats(rnd, 777, 3), b = Reference.randomFloats(rnd, 777, 3);
    int dot0 = Float.floatToRawIntBits(SIMD.dot(a, 0, b, 0, 777));
    int sum0 = Float.floatToRawIntBits(SIMD.sum(a, 0, 777));
    float[] g0 = new float[777], g = new float[777], sm0 = a.clone(), sm = new float[777];
    SIMD.geluForward(GeluForm.TANH, g0, 0, a, 0, 777);
    SIMD.softmax(sm0, 0, 777);
    for (int it = 0; it < 30_000; it++) {
      assertEquals(dot0, Float.floatToRawIntBits(SIMD.dot(a, 0, b, 0, 777)), "dot, call " + it);
      assertEquals(sum0, Float.floatToRawIntBits(SIMD.sum(a, 0, 777)), "sum, call " + it);
      if (it % 100 == 0) {
        SIMD.geluForward(GeluForm.TANH, g, 0, a, 0, 777);
        assertArrayEquals(g0, g, "gelu, call " + it);
        System.arraycopy(a, 0, sm, 0, 777);
        SIMD.softmax(sm, 0, 777);
        assertArrayEquals(sm0, sm, "softmax, call " + it);
      }
    }
  }

  @Test
  void facadeNamesBothLengths() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Vectors.dot(new float[3], new float[5]));
    assertTrue(e.getMessage().contains("3") && e.getMessage().contains("5"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Vectors.cosine(new float[3], new float[4]));
    assertThrows(IllegalArgumentException.class, () -> Vectors.squaredL2(new float[3], new float[4]));
    assertThrows(IllegalArgumentException.class, () -> Vectors.axpy(1f, new float[3], new float[4]));
    assertThrows(IllegalArgumentException.class, () -> Vectors.dotInt8(new byte[3], new byte[4]));
    assertThrows(IllegalArgumentException.class, () -> Vectors.hamming(new long[3], new long[4]));
    assertThrows(IllegalArgumentException.class, () -> Vectors.softmaxRows(new float[7], 2, 3));
    assertThrows(IllegalArgumentException.class, () -> Vectors.dot(new float[4], 2, new float[4], 0, 3));
    assertThrows(IllegalArgumentException.class,
        () -> Vectors.gelu(GeluForm.ERF, new float[2], new float[3]));
  }

  @Test
  void offsetFacadeRefusesEveryOutOfBoundsRowAndAgreesWithTheKernels() {
    float[] x = new float[10], y = new float[10];
    for (int i = 0; i < 10; i++) {
      x[i] = (float) Math.sin(i);
      y[i] = (float) Math.cos(i);
    }
    VectorKernels k = KernelProvider.kernels();
    float[] a = x.clone(), b = x.clone();
    Vectors.softmax(a, 2, 5);
    k.softmax(b, 2, 5);
    assertArrayEquals(b, a);
    assertEquals(k.squaredL2(x, 1, y, 3, 6), Vectors.squaredL2(x, 1, y, 3, 6));
    var seg = java.lang.foreign.MemorySegment.ofArray(new byte[40]);
    assertThrows(IllegalArgumentException.class, () -> Vectors.softmax(new float[4], 2, 3));
    assertThrows(IllegalArgumentException.class, () -> Vectors.scale(2f, new float[4], -1, 2));
    assertThrows(IllegalArgumentException.class, () -> Vectors.squaredL2(x, 5, y, 0, 6));
    assertThrows(IllegalArgumentException.class, () -> Vectors.gelu(GeluForm.ERF, x, 0, y, 8, 3));
    assertThrows(IllegalArgumentException.class,
        () -> Vectors.geluBackward(GeluForm.ERF, x, 0, y, 0, new float[2], 0, 3));
    assertThrows(IllegalArgumentException.class, () -> Vectors.layerNormRow(x, 0, y, 0, new float[3],
        0, new float[4], 0, 4, 1e-5f, new float[1], new float[1], 0));
    assertThrows(IllegalArgumentException.class, () -> Vectors.layerNormRowBackward(x, 0, y, 0,
        new float[4], 0, x, 8, y, 0, new float[4], 0, 4, 0f, 1f));
    var e = assertThrows(IllegalArgumentException.class, () -> Vectors.dot(x, 0, seg, 8, 9));
    assertTrue(e.getMessage().contains("segment of 40"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Vectors.hammingWords(1L, -1L, seg, 8, 5,
        new int[5], 0));
    assertThrows(IllegalArgumentException.class, () -> Vectors.collectAbove(x, 4, 7, 0f, new int[7]));
    assertThrows(IllegalArgumentException.class, () -> Vectors.keys(new int[4], 0, 1f, 0f,
        Vectors.KEY_SCALED, new float[3], 0, new float[4], 0, 4));
    assertThrows(IllegalArgumentException.class, () -> Vectors.dotInt8Blocks(new int[16], 0, 16,
        java.lang.foreign.MemorySegment.ofArray(new byte[16 * 16]), 0, 256, 2, new int[32], 0, false));
  }
}
