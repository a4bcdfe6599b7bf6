package dev.mtk.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * GEMM for small problems on one thread, without packing A: attention's per-head products (64 × 64
 * × 64 in the reference encoder) are too small for {@link PackedGemm}'s packing, scratch tiles and
 * task dispatch to pay off (64³ with B in place: 4.6 µs here against 6.0 µs there).
 *
 * <p>A 4 × (4 vectors) tile of C stays in sixteen registers while k runs; A is read in place (four
 * broadcasts per step, alpha applied as it is read) and op(B) row by row, in place when it is B
 * with whole vectors per row, otherwise from a copy padded with zeros to whole vectors (a
 * transpose for Bᵀ). Only used when k fits in one of {@link PackedGemm}'s slices of k: each
 * element of C is then computed exactly as there — the products (alpha·a)·b fused-added in order
 * of k into zero, then stored, biased, or added to beta·C — so the two give the same bits and the
 * choice between them is invisible.
 *
 * <p>Vector accesses stay inside what {@link Gemm} checked: whole vectors within the n columns of
 * B's rows (read in place only when n is a multiple of the vector length) and of C's rows (the
 * last partial vector of a row is stored element by element), or inside the padded copy.
 */
final class SmallGemm {

  static final VectorSpecies<Float> F = PanamaKernels.F;
  static final int L = F.length();
  private static final int MR = 4;
  private static final int NV = 4;
  /**
   * The most multiply-adds taken here: attention's per-head products (64³ = 2¹⁸) with room to
   * spare; anything larger keeps the packed path, which can use every thread.
   */
  static final long MAX_WORK = 1L << 19;

  private static final ThreadLocal<float[]> PACKED_B = ThreadLocal.withInitial(() -> new float[0]);
  private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[MR * NV * L]);

  private SmallGemm() {}

  static boolean suits(int m, int n, int k) {
    return m >= MR && k <= PackedGemm.KC && (long) m * n * k <= MAX_WORK;
  }

  static void gemm(boolean ta, boolean tb, int m, int n, int k, float alpha, float[] a, int aOff,
      int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc, float[] bias,
      int biasOff, Gemm.Epilogue after) {
    // A's element (i, p) sits at aOff + i·rs + p·ps
    int rs = ta ? 1 : lda, ps = ta ? lda : 1;
    // op(B)'s row p, as whole vectors: B itself when it allows, else a zero-padded copy
    int vectors = (n + L - 1) / L;
    float[] pb = b;
    int bi = bOff, bs = ldb;
    if (tb || n % L != 0) {
      bs = vectors * L;
      pb = packB(tb, k, n, b, bOff, ldb, bs);
      bi = 0;
    }
    float[] tile = TILE.get();
    int mode = bias != null ? BIAS : beta == 0f ? STORE : beta == 1f ? ADD : SCALE_ADD;
    int i = 0;
    for (; i + MR <= m; i += MR) {
      int v = 0;
      for (; v + NV <= vectors; v += NV) {
        kernel4x4(alpha, a, aOff + i * rs, rs, ps, pb, bi + v * L, bs, k, tile);
        epilogue(tile, NV * L, MR, Math.min(NV * L, n - v * L), mode, beta, c,
            cOff + i * ldc + v * L, ldc, bias, biasOff + v * L);
      }
      for (; v < vectors; v++) {
        kernel4x1(alpha, a, aOff + i * rs, rs, ps, pb, bi + v * L, bs, k, tile);
        epilogue(tile, L, MR, Math.min(L, n - v * L), mode, beta, c, cOff + i * ldc + v * L, ldc,
            bias, biasOff + v * L);
      }
    }
    for (; i < m; i++) {
      for (int v = 0; v < vectors; v++) {
        kernel1x1(alpha, a, aOff + i * rs, ps, pb, bi + v * L, bs, k, tile);
        epilogue(tile, L, 1, Math.min(L, n - v * L), mode, beta, c, cOff + i * ldc + v * L, ldc,
            bias, biasOff + v * L);
      }
    }
    if (after != null) {
      after.rows(0, m);
    }
  }

  private static final int STORE = 0, BIAS = 1, ADD = 2, SCALE_ADD = 3;

  /** op(B) (k × n) into rows of width w ≥ n, zero beyond n. */
  private static float[] packB(boolean tb, int k, int n, float[] b, int bOff, int ldb, int w) {
    float[] pb = PACKED_B.get();
    if (pb.length < k * w) {
      pb = new float[k * w];
      PACKED_B.set(pb);
    }
    if (tb) {
      // B is n × k: walk it row by row (sequential reads), scatter into columns
      for (int j = 0; j < n; j++) {
        int src = bOff + j * ldb;
        for (int p = 0, dst = j; p < k; p++, dst += w) {
          pb[dst] = b[src + p];
        }
      }
    } else {
      for (int p = 0; p < k; p++) {
        System.arraycopy(b, bOff + p * ldb, pb, p * w, n);
      }
    }
    for (int p = 0; p < k; p++) {
      java.util.Arrays.fill(pb, p * w + n, (p + 1) * w, 0f);
    }
    return pb;
  }

  /**
   * tile[r][0..4L) = Σ_p (alpha·A[r][p]) · B[p][0..4L) for r < 4. Written out, one accumulator per
   * register, for the reason given at {@link PackedGemm}'s micro-kernel.
   */
  private static void kernel4x4(float alpha, float[] a, int ai, int rs, int ps, float[] b, int bi,
      int bs, int k, float[] tile) {
    FloatVector c00 = FloatVector.zero(F), c01 = c00, c02 = c00, c03 = c00;
    FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
    FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
    FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
    int a1 = ai + rs, a2 = a1 + rs, a3 = a2 + rs;
    for (int p = 0; p < k; p++, bi += bs) {
      FloatVector b0 = FloatVector.fromArray(F, b, bi);
      FloatVector b1 = FloatVector.fromArray(F, b, bi + L);
      FloatVector b2 = FloatVector.fromArray(F, b, bi + 2 * L);
      FloatVector b3 = FloatVector.fromArray(F, b, bi + 3 * L);
      int o = p * ps;
      FloatVector x = FloatVector.broadcast(F, alpha * a[ai + o]);
      c00 = x.fma(b0, c00);
      c01 = x.fma(b1, c01);
      c02 = x.fma(b2, c02);
      c03 = x.fma(b3, c03);
      x = FloatVector.broadcast(F, alpha * a[a1 + o]);
      c10 = x.fma(b0, c10);
      c11 = x.fma(b1, c11);
      c12 = x.fma(b2, c12);
      c13 = x.fma(b3, c13);
      x = FloatVector.broadcast(F, alpha * a[a2 + o]);
      c20 = x.fma(b0, c20);
      c21 = x.fma(b1, c21);
      c22 = x.fma(b2, c22);
      c23 = x.fma(b3, c23);
      x = FloatVector.broadcast(F, alpha * a[a3 + o]);
      c30 = x.fma(b0, c30);
      c31 = x.fma(b1, c31);
      c32 = x.fma(b2, c32);
      c33 = x.fma(b3, c33);
    }
    int w = NV * L;
    c00.intoArray(tile, 0);
    c01.intoArray(tile, L);
    c02.intoArray(tile, 2 * L);
    c03.intoArray(tile, 3 * L);
    c10.intoArray(tile, w);
    c11.intoArray(tile, w + L);
    c12.intoArray(tile, w + 2 * L);
    c13.intoArray(tile, w + 3 * L);
    c20.intoArray(tile, 2 * w);
    c21.intoArray(tile, 2 * w + L);
    c22.intoArray(tile, 2 * w + 2 * L);
    c23.intoArray(tile, 2 * w + 3 * L);
    c30.intoArray(tile, 3 * w);
    c31.intoArray(tile, 3 * w + L);
    c32.intoArray(tile, 3 * w + 2 * L);
    c33.intoArray(tile, 3 * w + 3 * L);
  }

  /** tile[r][0..L) = Σ_p (alpha·A[r][p]) · B[p][0..L) for r < 4: the columns left over. */
  private static void kernel4x1(float alpha, float[] a, int ai, int rs, int ps, float[] b, int bi,
      int bs, int k, float[] tile) {
    FloatVector c0 = FloatVector.zero(F), c1 = c0, c2 = c0, c3 = c0;
    int a1 = ai + rs, a2 = a1 + rs, a3 = a2 + rs;
    for (int p = 0; p < k; p++, bi += bs) {
      FloatVector b0 = FloatVector.fromArray(F, b, bi);
      int o = p * ps;
      c0 = FloatVector.broadcast(F, alpha * a[ai + o]).fma(b0, c0);
      c1 = FloatVector.broadcast(F, alpha * a[a1 + o]).fma(b0, c1);
      c2 = FloatVector.broadcast(F, alpha * a[a2 + o]).fma(b0, c2);
      c3 = FloatVector.broadcast(F, alpha * a[a3 + o]).fma(b0, c3);
    }
    c0.intoArray(tile, 0);
    c1.intoArray(tile, L);
    c2.intoArray(tile, 2 * L);
    c3.intoArray(tile, 3 * L);
  }

  /** tile[0][0..L) = Σ_p (alpha·A[0][p]) · B[p][0..L): the rows left over. */
  private static void kernel1x1(float alpha, float[] a, int ai, int ps, float[] b, int bi, int bs,
      int k, float[] tile) {
    FloatVector c0 = FloatVector.zero(F);
    for (int p = 0; p < k; p++, bi += bs) {
      c0 = FloatVector.broadcast(F, alpha * a[ai + p * ps]).fma(FloatVector.fromArray(F, b, bi), c0);
    }
    c0.intoArray(tile, 0);
  }

  /** rows × cols of the tile (row width w) into C, as PackedGemm finishes a tile. */
  private static void epilogue(float[] tile, int w, int rows, int cols, int mode, float beta,
      float[] c, int ci, int ldc, float[] bias, int biasAt) {
    int whole = cols / L * L;
    for (int r = 0; r < rows; r++, ci += ldc) {
      int t = r * w, j = 0;
      for (; j < whole; j += L) {
        FloatVector acc = FloatVector.fromArray(F, tile, t + j);
        switch (mode) {
          case STORE -> acc.intoArray(c, ci + j);
          case BIAS -> acc.add(FloatVector.fromArray(F, bias, biasAt + j)).intoArray(c, ci + j);
          case ADD -> acc.add(FloatVector.fromArray(F, c, ci + j)).intoArray(c, ci + j);
          default -> acc.add(FloatVector.fromArray(F, c, ci + j).mul(beta)).intoArray(c, ci + j);
        }
      }
      for (; j < cols; j++) {
        float acc = tile[t + j];
        c[ci + j] = switch (mode) {
          case STORE -> acc;
          case BIAS -> acc + bias[biasAt + j];
          case ADD -> acc + c[ci + j];
          default -> acc + c[ci + j] * beta;
        };
      }
    }
  }
}
