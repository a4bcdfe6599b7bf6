package dev.mtk.core.kernel;

import dev.mtk.core.parallel.WorkerPool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * GEMM on the Vector API, blocked as in BLIS/GotoBLAS. For each NC-wide column block of op(B) and
 * each KC-deep slice of k, op(B) is packed into NR-wide slivers (kc × NR, row by row), shared by
 * all threads and kept in L2; each task packs its MC rows of op(A), times alpha, into MR-tall
 * slivers (kc × MR, column by column), so that a 6×kc sliver sits in L1 while the micro-kernel
 * sweeps the B slivers. The micro-kernel keeps a 6 × 2·lanes tile of C in 12 registers: per k it
 * loads two vectors of B, broadcasts six values of A and issues twelve FMAs.
 *
 * <p>Packing turns every transpose into the same inner loop, and zero padding turns every edge
 * into a full tile (computed into a scratch tile, then merged), so the micro-kernel has one shape.
 * Each C element sees the same operations in the same order for any thread count: slices of k are
 * added to C in order, and tile boundaries depend only on m, n and k.
 *
 * <p>All vector loads and stores in the micro-kernel address the packed buffers, which this class
 * sizes, and C, whose bounds {@link Gemm} checked on entry; that is what makes running with the
 * Vector API's own bounds checks off ({@code -Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0})
 * safe here.
 */
final class PackedGemm {

  static final VectorSpecies<Float> F = PanamaKernels.F;
  static final int L = F.length();
  static final int MR = 6;
  static final int NR = 2 * L;
  // Block sizes (tunable for other caches with -Dmtk.gemm.kc / .nc / .mc; the defaults suit a core
  // with 48 KB of L1 and 1-2 MB of L2). NC is rounded to whole slivers, MC to whole MR rows.
  static final int KC = Integer.getInteger("mtk.gemm.kc", 256);
  static final int NC = Math.max(NR, Integer.getInteger("mtk.gemm.nc", 1024) / NR * NR);
  static final int MC_MAX = Math.max(MR, Integer.getInteger("mtk.gemm.mc", 198) / MR * MR);

  private static final ThreadLocal<float[]> PACKED_A = ThreadLocal.withInitial(() -> new float[0]);
  private static final ThreadLocal<float[]> PACKED_B = ThreadLocal.withInitial(() -> new float[0]);
  private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[MR * NR]);

  private PackedGemm() {}

  static void gemm(WorkerPool pool, boolean ta, boolean tb, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff,
      int ldc, float[] bias, int biasOff) {
    int mSlivers = (m + MR - 1) / MR;
    int threads = pool.threads();
    // Row blocks small enough for a few tasks per thread (load balance), large enough to amortise
    // packing, and no taller than MC_MAX so a packed block stays in L2 beside the B block.
    int slPerTask = Math.max(1, Math.min(MC_MAX / MR, (mSlivers + 4 * threads - 1) / (4 * threads)));
    int mc = slPerTask * MR;
    int mTasks = (m + mc - 1) / mc;
    for (int jc = 0; jc < n; jc += NC) {
      int nc = Math.min(NC, n - jc);
      int nSlivers = (nc + NR - 1) / NR;
      // With few row blocks (small m), split the columns too so that every thread has work.
      int nSplit = mTasks >= 2 * threads ? 1 : Math.min(nSlivers, (2 * threads + mTasks - 1) / mTasks);
      int slPerSplit = (nSlivers + nSplit - 1) / nSplit;
      int nParts = (nSlivers + slPerSplit - 1) / slPerSplit;
      for (int pc = 0; pc < k; pc += KC) {
        int kc = Math.min(KC, k - pc);
        float[] pb = ensure(PACKED_B, nSlivers * kc * NR);
        final int jcF = jc, pcF = pc;
        pool.forEach(nSlivers, s -> packB(tb, b, bOff, ldb, pcF, kc, jcF + s * NR,
            Math.min(NR, nc - s * NR), pb, s * kc * NR));
        boolean first = pc == 0;
        pool.forEach(mTasks * nParts, t -> {
          int i0 = (t / nParts) * mc;
          int rows = Math.min(mc, m - i0);
          int s0 = (t % nParts) * slPerSplit;
          int s1 = Math.min(nSlivers, s0 + slPerSplit);
          // The first slice of k stores (C = acc, or acc + bias) when beta is 0: C is then written
          // once and never read. Otherwise C is scaled by beta first and every slice adds.
          boolean store = first && (beta == 0f || bias != null);
          if (first && !store && beta != 1f) {
            int j0 = jcF + s0 * NR, j1 = Math.min(n, jcF + s1 * NR);
            scaleBlock(beta, c, cOff + i0 * ldc + j0, ldc, rows, j1 - j0);
          }
          int rowSlivers = (rows + MR - 1) / MR;
          float[] pa = ensure(PACKED_A, rowSlivers * kc * MR);
          float[] tile = TILE.get();
          for (int r = 0; r < rowSlivers; r++) {
            int i = i0 + r * MR;
            packA(ta, alpha, a, aOff, lda, pcF, kc, i, Math.min(MR, m - i), pa, r * kc * MR);
          }
          // B sliver outer (kc × NR, kept in L1), A slivers inner (the packed block, in L2)
          for (int s = s0; s < s1; s++) {
            int j = jcF + s * NR;
            int nr = Math.min(NR, n - j);
            for (int r = 0; r < rowSlivers; r++) {
              int i = i0 + r * MR;
              int mr = Math.min(MR, m - i);
              if (mr == MR && nr == NR) {
                if (!store) {
                  microKernel(pa, r * kc * MR, pb, s * kc * NR, kc, c, cOff + i * ldc + j, ldc);
                } else if (bias == null) {
                  microKernelStore(pa, r * kc * MR, pb, s * kc * NR, kc, c, cOff + i * ldc + j, ldc);
                } else {
                  microKernelBias(pa, r * kc * MR, pb, s * kc * NR, kc, c, cOff + i * ldc + j, ldc,
                      bias, biasOff + j);
                }
              } else {
                java.util.Arrays.fill(tile, 0f);
                microKernel(pa, r * kc * MR, pb, s * kc * NR, kc, tile, 0, NR);
                if (store) {
                  storeTile(tile, mr, nr, c, cOff + i * ldc + j, ldc, bias, biasOff + j);
                } else {
                  addTile(tile, mr, nr, c, cOff + i * ldc + j, ldc);
                }
              }
            }
          }
        });
      }
    }
  }

  private static float[] ensure(ThreadLocal<float[]> holder, int size) {
    float[] buf = holder.get();
    if (buf.length < size) {
      buf = new float[size];
      holder.set(buf);
    }
    return buf;
  }

  /** op(B)[pc .. pc+kc)[j .. j+w) into one sliver, row by row, zero beyond w. */
  private static void packB(boolean tb, float[] b, int bOff, int ldb, int pc, int kc, int j, int w,
      float[] pb, int base) {
    if (!tb) {
      for (int p = 0; p < kc; p++) {
        int dst = base + p * NR;
        System.arraycopy(b, bOff + (pc + p) * ldb + j, pb, dst, w);
        for (int jj = w; jj < NR; jj++) {
          pb[dst + jj] = 0f;
        }
      }
    } else {
      for (int jj = 0; jj < NR; jj++) {
        if (jj < w) {
          int src = bOff + (j + jj) * ldb + pc;
          for (int p = 0; p < kc; p++) {
            pb[base + p * NR + jj] = b[src + p];
          }
        } else {
          for (int p = 0; p < kc; p++) {
            pb[base + p * NR + jj] = 0f;
          }
        }
      }
    }
  }

  /** alpha · op(A)[i .. i+h)[pc .. pc+kc) into one sliver, column by column, zero beyond h. */
  private static void packA(boolean ta, float alpha, float[] a, int aOff, int lda, int pc, int kc,
      int i, int h, float[] pa, int base) {
    if (!ta) {
      if (h == MR) {
        // six row streams read in step, the sliver written front to back
        int s0 = aOff + i * lda + pc, s1 = s0 + lda, s2 = s1 + lda, s3 = s2 + lda, s4 = s3 + lda,
            s5 = s4 + lda;
        for (int p = 0, dst = base; p < kc; p++, dst += MR) {
          pa[dst] = alpha * a[s0 + p];
          pa[dst + 1] = alpha * a[s1 + p];
          pa[dst + 2] = alpha * a[s2 + p];
          pa[dst + 3] = alpha * a[s3 + p];
          pa[dst + 4] = alpha * a[s4 + p];
          pa[dst + 5] = alpha * a[s5 + p];
        }
        return;
      }
      for (int ii = 0; ii < MR; ii++) {
        if (ii < h) {
          int src = aOff + (i + ii) * lda + pc;
          for (int p = 0; p < kc; p++) {
            pa[base + p * MR + ii] = alpha * a[src + p];
          }
        } else {
          for (int p = 0; p < kc; p++) {
            pa[base + p * MR + ii] = 0f;
          }
        }
      }
    } else {
      for (int p = 0; p < kc; p++) {
        int src = aOff + (pc + p) * lda + i;
        int dst = base + p * MR;
        for (int ii = 0; ii < MR; ii++) {
          pa[dst + ii] = ii < h ? alpha * a[src + ii] : 0f;
        }
      }
    }
  }

  /**
   * C[0..6)[0..NR) += Σ_p A[p][0..6) ⊗ B[p][0..NR). No branches and no helper taking vectors as
   * arguments: C2 keeps the twelve accumulators in registers only while the method stays small
   * and uniform. (A beta switch here once made it box vectors on the heap and run 3× slower,
   * depending on the order of compilation; a store helper with vector parameters, 6× slower.)
   */
  private static void microKernel(float[] pa, int ai, float[] pb, int bi, int kc, float[] c,
      int ci, int ldc) {
    FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    for (int p = 0; p < kc; p++, ai += MR, bi += NR) {
      FloatVector b0 = FloatVector.fromArray(F, pb, bi);
      FloatVector b1 = FloatVector.fromArray(F, pb, bi + L);
      FloatVector a0 = FloatVector.broadcast(F, pa[ai]);
      c00 = a0.fma(b0, c00);
      c01 = a0.fma(b1, c01);
      FloatVector a1 = FloatVector.broadcast(F, pa[ai + 1]);
      c10 = a1.fma(b0, c10);
      c11 = a1.fma(b1, c11);
      FloatVector a2 = FloatVector.broadcast(F, pa[ai + 2]);
      c20 = a2.fma(b0, c20);
      c21 = a2.fma(b1, c21);
      FloatVector a3 = FloatVector.broadcast(F, pa[ai + 3]);
      c30 = a3.fma(b0, c30);
      c31 = a3.fma(b1, c31);
      FloatVector a4 = FloatVector.broadcast(F, pa[ai + 4]);
      c40 = a4.fma(b0, c40);
      c41 = a4.fma(b1, c41);
      FloatVector a5 = FloatVector.broadcast(F, pa[ai + 5]);
      c50 = a5.fma(b0, c50);
      c51 = a5.fma(b1, c51);
    }
    c00.add(FloatVector.fromArray(F, c, ci)).intoArray(c, ci);
    c01.add(FloatVector.fromArray(F, c, ci + L)).intoArray(c, ci + L);
    ci += ldc;
    c10.add(FloatVector.fromArray(F, c, ci)).intoArray(c, ci);
    c11.add(FloatVector.fromArray(F, c, ci + L)).intoArray(c, ci + L);
    ci += ldc;
    c20.add(FloatVector.fromArray(F, c, ci)).intoArray(c, ci);
    c21.add(FloatVector.fromArray(F, c, ci + L)).intoArray(c, ci + L);
    ci += ldc;
    c30.add(FloatVector.fromArray(F, c, ci)).intoArray(c, ci);
    c31.add(FloatVector.fromArray(F, c, ci + L)).intoArray(c, ci + L);
    ci += ldc;
    c40.add(FloatVector.fromArray(F, c, ci)).intoArray(c, ci);
    c41.add(FloatVector.fromArray(F, c, ci + L)).intoArray(c, ci + L);
    ci += ldc;
    c50.add(FloatVector.fromArray(F, c, ci)).intoArray(c, ci);
    c51.add(FloatVector.fromArray(F, c, ci + L)).intoArray(c, ci + L);
  }

  /** C[0..6)[0..NR) = acc: the first slice of k when beta is 0 (C is not read). */
  private static void microKernelStore(float[] pa, int ai, float[] pb, int bi, int kc, float[] c,
      int ci, int ldc) {
    FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    for (int p = 0; p < kc; p++, ai += MR, bi += NR) {
      FloatVector b0 = FloatVector.fromArray(F, pb, bi);
      FloatVector b1 = FloatVector.fromArray(F, pb, bi + L);
      FloatVector a0 = FloatVector.broadcast(F, pa[ai]);
      c00 = a0.fma(b0, c00);
      c01 = a0.fma(b1, c01);
      FloatVector a1 = FloatVector.broadcast(F, pa[ai + 1]);
      c10 = a1.fma(b0, c10);
      c11 = a1.fma(b1, c11);
      FloatVector a2 = FloatVector.broadcast(F, pa[ai + 2]);
      c20 = a2.fma(b0, c20);
      c21 = a2.fma(b1, c21);
      FloatVector a3 = FloatVector.broadcast(F, pa[ai + 3]);
      c30 = a3.fma(b0, c30);
      c31 = a3.fma(b1, c31);
      FloatVector a4 = FloatVector.broadcast(F, pa[ai + 4]);
      c40 = a4.fma(b0, c40);
      c41 = a4.fma(b1, c41);
      FloatVector a5 = FloatVector.broadcast(F, pa[ai + 5]);
      c50 = a5.fma(b0, c50);
      c51 = a5.fma(b1, c51);
    }
    c00.intoArray(c, ci);
    c01.intoArray(c, ci + L);
    ci += ldc;
    c10.intoArray(c, ci);
    c11.intoArray(c, ci + L);
    ci += ldc;
    c20.intoArray(c, ci);
    c21.intoArray(c, ci + L);
    ci += ldc;
    c30.intoArray(c, ci);
    c31.intoArray(c, ci + L);
    ci += ldc;
    c40.intoArray(c, ci);
    c41.intoArray(c, ci + L);
    ci += ldc;
    c50.intoArray(c, ci);
    c51.intoArray(c, ci + L);
  }

  /** C[0..6)[0..NR) = acc + bias[0..NR): the first slice of k of a linear layer. */
  private static void microKernelBias(float[] pa, int ai, float[] pb, int bi, int kc, float[] c,
      int ci, int ldc, float[] bias, int biasAt) {
    FloatVector c00 = FloatVector.zero(F), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    for (int p = 0; p < kc; p++, ai += MR, bi += NR) {
      FloatVector b0 = FloatVector.fromArray(F, pb, bi);
      FloatVector b1 = FloatVector.fromArray(F, pb, bi + L);
      FloatVector a0 = FloatVector.broadcast(F, pa[ai]);
      c00 = a0.fma(b0, c00);
      c01 = a0.fma(b1, c01);
      FloatVector a1 = FloatVector.broadcast(F, pa[ai + 1]);
      c10 = a1.fma(b0, c10);
      c11 = a1.fma(b1, c11);
      FloatVector a2 = FloatVector.broadcast(F, pa[ai + 2]);
      c20 = a2.fma(b0, c20);
      c21 = a2.fma(b1, c21);
      FloatVector a3 = FloatVector.broadcast(F, pa[ai + 3]);
      c30 = a3.fma(b0, c30);
      c31 = a3.fma(b1, c31);
      FloatVector a4 = FloatVector.broadcast(F, pa[ai + 4]);
      c40 = a4.fma(b0, c40);
      c41 = a4.fma(b1, c41);
      FloatVector a5 = FloatVector.broadcast(F, pa[ai + 5]);
      c50 = a5.fma(b0, c50);
      c51 = a5.fma(b1, c51);
    }
    FloatVector bias0 = FloatVector.fromArray(F, bias, biasAt), bias1 = FloatVector.fromArray(F, bias, biasAt + L);
    c00.add(bias0).intoArray(c, ci);
    c01.add(bias1).intoArray(c, ci + L);
    ci += ldc;
    c10.add(bias0).intoArray(c, ci);
    c11.add(bias1).intoArray(c, ci + L);
    ci += ldc;
    c20.add(bias0).intoArray(c, ci);
    c21.add(bias1).intoArray(c, ci + L);
    ci += ldc;
    c30.add(bias0).intoArray(c, ci);
    c31.add(bias1).intoArray(c, ci + L);
    ci += ldc;
    c40.add(bias0).intoArray(c, ci);
    c41.add(bias1).intoArray(c, ci + L);
    ci += ldc;
    c50.add(bias0).intoArray(c, ci);
    c51.add(bias1).intoArray(c, ci + L);
  }

  /** C = beta·C over a block before the first slice of k; beta = 0 writes zeros without reading. */
  private static void scaleBlock(float beta, float[] c, int ci, int ldc, int rows, int cols) {
    for (int r = 0; r < rows; r++) {
      int row = ci + r * ldc;
      if (beta == 0f) {
        java.util.Arrays.fill(c, row, row + cols, 0f);
      } else {
        for (int j = 0; j < cols; j++) {
          c[row + j] *= beta;
        }
      }
    }
  }

  /** The valid mr×nr corner of a scratch tile stored into C, plus the bias when there is one. */
  private static void storeTile(float[] tile, int mr, int nr, float[] c, int ci, int ldc,
      float[] bias, int bi) {
    for (int r = 0; r < mr; r++) {
      for (int j = 0; j < nr; j++) {
        c[ci + r * ldc + j] = bias == null ? tile[r * NR + j] : tile[r * NR + j] + bias[bi + j];
      }
    }
  }

  /** The valid mr×nr corner of a scratch tile added into C, as the micro-kernel adds. */
  private static void addTile(float[] tile, int mr, int nr, float[] c, int ci, int ldc) {
    for (int r = 0; r < mr; r++) {
      for (int j = 0; j < nr; j++) {
        c[ci + r * ldc + j] += tile[r * NR + j];
      }
    }
  }
}
