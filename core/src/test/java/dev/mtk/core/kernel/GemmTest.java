package dev.mtk.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mtk.core.parallel.WorkerPool;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;
import org.junit.jupiter.api.Test;

/** The packed SIMD GEMM against its scalar twin, against EJML and against double precision. */
class GemmTest {

  // Shared by the JUnit tests and the jqwik properties (two engines, two lifecycles): never closed,
  // its threads are daemons.
  static final WorkerPool POOL = new WorkerPool(2);

  /** A problem: op(A) is m×k, op(B) is k×n, stored with padding and offsets. */
  record Problem(boolean ta, boolean tb, int m, int n, int k, float alpha, float beta,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {

    static Problem random(long seed, boolean ta, boolean tb, int m, int n, int k, float alpha,
        float beta) {
      SplittableRandom rnd = new SplittableRandom(seed);
      int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
      int lda = aCols + rnd.nextInt(3), ldb = bCols + rnd.nextInt(3), ldc = n + rnd.nextInt(3);
      int aOff = rnd.nextInt(4), bOff = rnd.nextInt(4), cOff = rnd.nextInt(4);
      float[] a = Reference.randomFloats(rnd, aOff + aRows * lda + 2, 1);
      float[] b = Reference.randomFloats(rnd, bOff + bRows * ldb + 2, 1);
      float[] c = Reference.randomFloats(rnd, cOff + m * ldc + 2, 1);
      return new Problem(ta, tb, m, n, k, alpha, beta, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    }

    float opA(int i, int p) {
      return ta ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
    }

    float opB(int p, int j) {
      return tb ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
    }

    float[] runPacked(WorkerPool pool) {
      float[] out = c.clone();
      Gemm.sgemm(pool, ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, out, cOff, ldc);
      return out;
    }

    float[] runScalar(WorkerPool pool) {
      float[] out = c.clone();
      Gemm.sgemmScalar(pool, ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, out, cOff, ldc);
      return out;
    }

    /** Checks a result against double precision, element by element, and that padding is untouched. */
    void check(float[] out, String who) {
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          double s = 0, abs = 0;
          for (int p = 0; p < k; p++) {
            double t = (double) opA(i, p) * opB(p, j);
            s += t;
            abs += Math.abs(t);
          }
          double cij = c[cOff + i * ldc + j];
          double ref = alpha * s + (beta == 0f ? 0 : beta * cij);
          double tol = Reference.sumTolerance(k, Math.abs(alpha) * abs) + 4 * Reference.EPS * Math.abs(beta * cij);
          assertEquals(ref, out[cOff + i * ldc + j], tol, who + " " + this.shape() + " at " + i + "," + j);
        }
        for (int j = n; j < ldc && cOff + i * ldc + j < c.length; j++) {
          assertEquals(c[cOff + i * ldc + j], out[cOff + i * ldc + j], 0f, who + " wrote padding");
        }
      }
      for (int i = 0; i < cOff; i++) {
        assertEquals(c[i], out[i], 0f, who + " wrote before C");
      }
    }

    String shape() {
      return (ta ? "Aᵀ" : "A") + (tb ? "Bᵀ" : "B") + " m=" + m + " n=" + n + " k=" + k
          + " alpha=" + alpha + " beta=" + beta;
    }
  }

  @Property(tries = 60)
  void packedAndScalarMatchDoubleOnRandomShapes(@ForAll @IntRange(min = 1, max = 70) int m,
      @ForAll @IntRange(min = 1, max = 90) int n, @ForAll @IntRange(min = 1, max = 300) int k,
      @ForAll boolean ta, @ForAll boolean tb, @ForAll @IntRange(min = 0, max = 3) int coeffs) {
    float alpha = coeffs == 2 ? -0.5f : 1f;
    float beta = switch (coeffs) {
      case 0 -> 0f;
      case 1 -> 1f;
      default -> 0.25f;
    };
    Problem pr = Problem.random(m * 31L + n * 7L + k, ta, tb, m, n, k, alpha, beta);
    pr.check(pr.runPacked(POOL), "packed");
    pr.check(pr.runScalar(POOL), "scalar");
  }

  /**
   * Small problems take another path (SmallGemm, no packing of A, one thread); it must give the
   * packed path's bits exactly, so that which one runs is invisible, bias and beta included.
   */
  /**
   * Weights packed once give the bits of packing them on every call, for any m, over several
   * column blocks (n beyond NC) and slices of k (k beyond KC), with bias, and for any thread count;
   * a packed B used with another matrix is refused.
   */
  @Test
  void prepackedWeightsGiveTheBitsOfPackingPerCall() {
    SplittableRandom rnd = new SplittableRandom(21);
    int[][] shapes = {{13, 100, 64}, {100, 1500, 300}, {37, 1030, 600}, {300, 384, 384}, {12, 48, 257}};
    for (int threads : new int[] {1, 3}) {
      try (WorkerPool pool = new WorkerPool(threads)) {
        for (int[] sh : shapes) {
          int m = sh[0], n = sh[1], k = sh[2];
          float[] a = new float[m * k], w = new float[7 + n * k], bias = new float[n];
          for (float[] x : new float[][] {a, w, bias}) {
            for (int i = 0; i < x.length; i++) {
              x[i] = (float) rnd.nextGaussian();
            }
          }
          float[] want = new float[m * n], got = new float[m * n];
          Gemm.sgemmBias(pool, false, true, m, n, k, 1f, a, 0, k, w, 7, k, bias, 0, want, 0, n);
          Gemm.PackedB p = Gemm.pack(pool, true, n, k, w, 7, k);
          Gemm.sgemmBias(pool, false, true, m, n, k, 1f, a, 0, k, w, 7, k, bias, 0, got, 0, n, null, p);
          assertArrayEquals(want, got, m + "×" + n + "×" + k + " on " + threads + " threads");
          // again with the same packing: it is only read
          java.util.Arrays.fill(got, 0f);
          Gemm.sgemmBias(pool, false, true, m, n, k, 1f, a, 0, k, w, 7, k, bias, 0, got, 0, n, null, p);
          assertArrayEquals(want, got);
          assertEquals(KernelProvider.vectorized(), p != null, "scalar kernels pack nothing");
          if (p == null) {
            continue;
          }
          float[] other = w.clone();
          assertThrows(IllegalArgumentException.class, () -> Gemm.sgemmBias(pool, false, true, m, n, k, 1f, a, 0, k,
              other, 7, k, bias, 0, new float[m * n], 0, n, null, p));
        }
      }
    }
  }

  @Test
  void smallPathGivesThePackedPathsBits() {
    // a JUnit test rather than a property: with the vector kernels off it is skipped, not exhausted
    org.junit.jupiter.api.Assumptions.assumeTrue(KernelProvider.vectorized());
    SplittableRandom rnd = new SplittableRandom(11);
    for (int trial = 0; trial < 150; trial++) {
      int m = 4 + rnd.nextInt(67), n = 1 + rnd.nextInt(90), k = 1 + rnd.nextInt(256);
      boolean ta = rnd.nextBoolean(), tb = rnd.nextBoolean();
      int mode = rnd.nextInt(5);
      checkSmallAgainstPacked(m, n, k, ta, tb, mode);
    }
    checkSmallAgainstPacked(64, 64, 64, false, true, 0); // attention's Q·Kᵀ
    checkSmallAgainstPacked(64, 64, 64, false, false, 0); // and P·V
  }

  private static void checkSmallAgainstPacked(int m, int n, int k, boolean ta, boolean tb, int mode) {
    float alpha = mode == 3 ? -0.3f : 1f;
    float beta = switch (mode) {
      case 0, 4 -> 0f;
      case 1 -> 1f;
      default -> 0.7f;
    };
    Problem pr = Problem.random(m * 131L + n * 17L + k + mode, ta, tb, m, n, k, alpha, beta);
    float[] bias = mode == 4 ? Reference.randomFloats(new SplittableRandom(k), n + 1, 1) : null;
    float[] small = pr.c().clone(), packed = pr.c().clone();
    SmallGemm.gemm(ta, tb, m, n, k, alpha, pr.a(), pr.aOff(), pr.lda(), pr.b(), pr.bOff(),
        pr.ldb(), beta, small, pr.cOff(), pr.ldc(), bias, 1, null);
    PackedGemm.gemm(POOL, ta, tb, m, n, k, alpha, pr.a(), pr.aOff(), pr.lda(), pr.b(), pr.bOff(),
        pr.ldb(), beta, packed, pr.cOff(), pr.ldc(), bias, 1, null);
    assertArrayEquals(packed, small, pr.shape() + (bias != null ? " with bias" : ""));
    if (bias == null) {
      pr.check(small, "small");
    }
  }

  /**
   * The epilogue sees every row of C exactly once, and only when it is final: a snapshot taken in
   * the callback equals C after the call. Shapes: small (one block), tall with one column block
   * (in the tasks), wider than a column block and short (after the GEMM), slices of k.
   */
  @Test
  void epilogueSeesEveryRowOnceAndFinal() {
    int[][] shapes = {{40, 30, 20}, {3000, 256, 300}, {500, 1500, 64}, {7, 2000, 600}, {1, 5, 5}};
    for (int[] sh : shapes) {
      int m = sh[0], n = sh[1], k = sh[2];
      SplittableRandom rnd = new SplittableRandom(m + n + k);
      float[] a = Reference.randomFloats(rnd, m * k, 1), b = Reference.randomFloats(rnd, n * k, 1);
      float[] bias = Reference.randomFloats(rnd, n, 1);
      for (int threads : new int[] {1, 3}) {
        try (WorkerPool pool = new WorkerPool(threads)) {
          float[] c = new float[m * n], snapshot = new float[m * n];
          java.util.concurrent.atomic.AtomicIntegerArray seen = new java.util.concurrent.atomic.AtomicIntegerArray(m);
          Gemm.sgemmBias(pool, false, true, m, n, k, 1f, a, 0, k, b, 0, k, bias, 0, c, 0, n,
              (from, to) -> {
                for (int i = from; i < to; i++) {
                  seen.incrementAndGet(i);
                  System.arraycopy(c, i * n, snapshot, i * n, n);
                }
              });
          for (int i = 0; i < m; i++) {
            assertEquals(1, seen.get(i), "row " + i + " of " + m + "×" + n + "×" + k);
          }
          assertArrayEquals(c, snapshot, "rows were final when seen, " + m + "×" + n + "×" + k);
          float[] plain = new float[m * n];
          Gemm.sgemmBias(pool, false, true, m, n, k, 1f, a, 0, k, b, 0, k, bias, 0, plain, 0, n);
          assertArrayEquals(plain, c, "an epilogue changes nothing in C");
        }
      }
    }
  }

  @Test
  void awkwardShapesAllTransposes() {
    int[][] shapes = {{1, 1, 1}, {1, 257, 33}, {257, 1, 33}, {6, 32, 1}, {7, 33, 257},
        {13, 17, 19}, {5, 31, 512}, {199, 67, 300}, {64, 1024, 3}, {1, 1100, 70}};
    for (int[] s : shapes) {
      for (int t = 0; t < 4; t++) {
        Problem pr = Problem.random(s[0] + s[1] + s[2] + t, (t & 1) != 0, (t & 2) != 0, s[0], s[1],
            s[2], 1.5f, 0.5f);
        pr.check(pr.runPacked(POOL), "packed");
      }
    }
  }

  @Test
  void matchesEjmlOnEveryTranspose() {
    SplittableRandom rnd = new SplittableRandom(7);
    int m = 123, n = 77, k = 301;
    for (int t = 0; t < 4; t++) {
      boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
      FMatrixRMaj a = new FMatrixRMaj(ta ? k : m, ta ? m : k, true, Reference.randomFloats(rnd, m * k, 1));
      FMatrixRMaj b = new FMatrixRMaj(tb ? n : k, tb ? k : n, true, Reference.randomFloats(rnd, k * n, 1));
      FMatrixRMaj expected = new FMatrixRMaj(m, n);
      if (!ta && !tb) {
        CommonOps_FDRM.mult(a, b, expected);
      } else if (ta && !tb) {
        CommonOps_FDRM.multTransA(a, b, expected);
      } else if (!ta) {
        CommonOps_FDRM.multTransB(a, b, expected);
      } else {
        CommonOps_FDRM.multTransAB(a, b, expected);
      }
      float[] c = new float[m * n];
      Gemm.sgemm(POOL, ta, tb, m, n, k, 1f, a.data, 0, a.numCols, b.data, 0, b.numCols, 0f, c, 0, n);
      for (int i = 0; i < m * n; i++) {
        assertEquals(expected.data[i], c[i], 2e-4, "vs EJML t=" + t + " at " + i);
      }
    }
  }

  @Test
  void biasVariantAddsTheBiasToEveryRow() {
    SplittableRandom rnd = new SplittableRandom(3);
    int[][] shapes = {{37, 70, 300}, {6, 32, 5}, {1, 1, 1}, {100, 33, 513}};
    for (int[] sh : shapes) {
      int m = sh[0], n = sh[1], k = sh[2];
      float[] a = Reference.randomFloats(rnd, m * k, 1), b = Reference.randomFloats(rnd, n * k, 1);
      float[] bias = Reference.randomFloats(rnd, n + 3, 1);
      float[] c = Reference.randomFloats(rnd, m * n, 1), expected = new float[m * n], twin = c.clone();
      for (int i = 0; i < m; i++) {
        System.arraycopy(bias, 3, expected, i * n, n);
      }
      // the reference: bias copied into C, then C += A·Bᵀ
      Gemm.sgemm(POOL, false, true, m, n, k, 1f, a, 0, k, b, 0, k, 1f, expected, 0, n);
      Gemm.sgemmBias(POOL, false, true, m, n, k, 1f, a, 0, k, b, 0, k, bias, 3, c, 0, n);
      assertArrayEquals(expected, c, "the same bits as bias-then-accumulate, " + m + "×" + n + "×" + k);
      Gemm.sgemmBias(new WorkerPool(1), false, true, m, n, k, 1f, a, 0, k, b, 0, k, bias, 3, twin, 0, n);
      assertArrayEquals(c, twin, "any pool");
    }
  }

  @Test
  void bitIdenticalForAnyThreadCount() {
    int[][] shapes = {{517, 389, 300}, {1024, 1024, 260}, {3, 2000, 700}, {300, 5, 1100}};
    for (int[] s : shapes) {
      Problem pr = Problem.random(42, false, true, s[0], s[1], s[2], 1f, 0.5f);
      float[] one;
      try (WorkerPool p1 = new WorkerPool(1)) {
        one = pr.runPacked(p1);
      }
      for (int threads : new int[] {2, 3, 4, 7}) {
        try (WorkerPool p = new WorkerPool(threads)) {
          assertArrayEquals(one, pr.runPacked(p), "packed, " + threads + " threads, " + pr.shape());
          assertArrayEquals(pr.runScalar(new WorkerPool(1)), pr.runScalar(p), "scalar, " + threads);
        }
      }
    }
  }

  @Test
  void betaZeroIgnoresNanInC_andNanInAPropagates() {
    int m = 9, n = 40, k = 20;
    float[] a = new float[m * k], b = new float[k * n], c = new float[m * n];
    java.util.Arrays.fill(a, 1f);
    java.util.Arrays.fill(b, 1f);
    java.util.Arrays.fill(c, Float.NaN);
    Gemm.sgemm(POOL, false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
    for (float v : c) {
      assertEquals(20f, v);
    }
    a[3 * k + 5] = Float.NaN;
    Gemm.sgemm(POOL, false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        assertEquals(i == 3, Float.isNaN(c[i * n + j]), "row " + i);
      }
    }
    a[3 * k + 5] = Float.POSITIVE_INFINITY;
    Gemm.sgemm(POOL, false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
    assertEquals(Float.POSITIVE_INFINITY, c[3 * n]);
  }

  @Test
  void emptyAndDegenerateSizes() {
    float[] c = {1f, 2f, 3f, 4f};
    Gemm.sgemm(POOL, false, false, 2, 2, 0, 1f, new float[0], 0, 1, new float[0], 0, 2, 0.5f, c, 0, 2);
    assertArrayEquals(new float[] {0.5f, 1f, 1.5f, 2f}, c);
    Gemm.sgemm(POOL, false, false, 0, 0, 5, 1f, new float[0], 0, 5, new float[0], 0, 1, 0f, new float[0], 0, 1);
  }

  @Test
  void badArgumentsAreNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Gemm.sgemm(POOL, false, false, 4, 4, 4, 1f, new float[15], 0, 4, new float[16], 0, 4,
            0f, new float[16], 0, 4));
    assertTrue(e.getMessage().contains("A") && e.getMessage().contains("15"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Gemm.sgemm(POOL, false, false, 4, 4, 4, 1f, new float[16], 0, 3, new float[16], 0, 4,
            0f, new float[16], 0, 4));
    assertTrue(e.getMessage().contains("lda=3"), e.getMessage());
    float[] arena = new float[64];
    assertThrows(IllegalArgumentException.class,
        () -> Gemm.sgemm(POOL, false, false, 4, 4, 4, 1f, arena, 0, 4, arena, 16, 4, 0f, arena, 8, 4));
    // disjoint slots of one arena are fine
    Gemm.sgemm(POOL, false, false, 4, 4, 4, 1f, arena, 0, 4, arena, 16, 4, 0f, arena, 32, 4);
    assertThrows(IllegalArgumentException.class,
        () -> Gemm.sgemm(POOL, false, false, -1, 4, 4, 1f, arena, 0, 4, arena, 16, 4, 0f, arena, 32, 4));
  }
}
