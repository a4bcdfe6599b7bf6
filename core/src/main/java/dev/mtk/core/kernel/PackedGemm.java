package dev.mtk.core.kernel;

import dev.mtk.core.parallel.WorkerPool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * GEMM on the Vector API, blocked as in BLIS/GotoBLAS. For each NC-wide column block of op(B) and
 * each KC-deep slice of k, op(B) is packed into NR-wide slivers (kc × NR, row by row), shared by
 * all threads and kept in L2; each task packs its MC rows of op(A), times alpha, into MR-row
 * slivers (MR rows of stride KC) and, one A sliver at a time (kept in L1), sweeps the B slivers.
 * The micro-kernel holds a 12 × 2·lanes tile of C in 24 registers: per k it loads two vectors of
 * B, broadcasts twelve values of A (loads, not shuffles) and issues 24 FMAs. Measured with all
 * data in L1 on AVX-512: 94% of the FMA peak, against 80% for the 6-row tile this replaced
 * (twelve accumulators could not hide the loads and the FMA latency).
 *
 * <p>Packing turns every transpose into the same inner loop, and zero padding turns every edge
 * into a full tile (computed into a scratch tile, then merged), so the micro-kernel has one shape.
 * Each C element sees the same operations in the same order for any thread count: slices of k are
 * added to C in order, and tile boundaries depend only on m, n and k.
 *
 * <p>All vector loads and stores in the micro-kernel address the packed buffers, which this class
 * sizes, and C; packing reads whole vectors only inside the rows of A that {@link Gemm} checked
 * on entry, as it checked C; that is what makes running with the
 * Vector API's own bounds checks off ({@code -Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0})
 * safe here.
 */
final class PackedGemm {

  static final VectorSpecies<Float> F = PanamaKernels.F;
  static final int L = F.length();
  static final int MR = 12;
  static final int NR = 2 * L;
  // Block sizes (tunable for other caches with -Dmtk.gemm.kc / .nc / .mc; the defaults suit a core
  // with 48 KB of L1 and 1-2 MB of L2). NC is rounded to whole slivers, MC to whole MR rows.
  static final int KC = Integer.getInteger("mtk.gemm.kc", 256);
  static final int NC = Math.max(NR, Integer.getInteger("mtk.gemm.nc", 1024) / NR * NR);
  static final int MC_MAX = Math.max(MR, Integer.getInteger("mtk.gemm.mc", 192) / MR * MR);

  private static final ThreadLocal<float[]> PACKED_A = ThreadLocal.withInitial(() -> new float[0]);
  private static final ThreadLocal<float[]> PACKED_B = ThreadLocal.withInitial(() -> new float[0]);
  private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[MR * NR]);

  private PackedGemm() {}

  static void gemm(WorkerPool pool, boolean ta, boolean tb, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff,
      int ldc, float[] bias, int biasOff, Gemm.Epilogue after) {
    gemm(pool, ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, bias, biasOff, after, null);
  }

  /**
   * op(B) packed for every column block and slice of k, as {@link #gemm} packs it on each call:
   * block jc's slivers start at {@link #packedOffset}. For a matrix many GEMMs multiply by (an
   * inference pass's weights), packing once saves reading and writing all of B on every call.
   */
  static float[] packAll(WorkerPool pool, boolean tb, int n, int k, float[] b, int bOff, int ldb) {
    long size = 0;
    for (int jc = 0; jc < n; jc += NC) {
      size += (long) ((Math.min(NC, n - jc) + NR - 1) / NR) * k * NR;
    }
    float[] out = new float[Math.toIntExact(size)];
    for (int jc = 0; jc < n; jc += NC) {
      int nc = Math.min(NC, n - jc), nSlivers = (nc + NR - 1) / NR;
      for (int pc = 0; pc < k; pc += KC) {
        int kc = Math.min(KC, k - pc), base = packedOffset(n, k, jc, pc);
        final int jcF = jc, pcF = pc;
        pool.forEach(nSlivers, s -> packB(tb, b, bOff, ldb, pcF, kc, jcF + s * NR,
            Math.min(NR, nc - s * NR), out, base + s * kc * NR));
      }
    }
    return out;
  }

  /** Where {@link #packAll}'s slivers of column block jc and slice pc start. */
  static int packedOffset(int n, int k, int jc, int pc) {
    // every earlier column block is full (NC wide): NC / NR slivers of k rows each
    int before = jc / NC * (NC / NR) * k * NR;
    int nSlivers = (Math.min(NC, n - jc) + NR - 1) / NR;
    return before + nSlivers * pc * NR;
  }

  /** As above; {@code prepacked} (from {@link #packAll} of this B, or null) replaces packing. */
  static void gemm(WorkerPool pool, boolean ta, boolean tb, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff,
      int ldc, float[] bias, int biasOff, Gemm.Epilogue after, float[] prepacked) {
    int mSlivers = (m + MR - 1) / MR;
    int threads = pool.threads();
    // Row blocks small enough for a few tasks per thread (load balance), large enough to amortise
    // packing, and no taller than MC_MAX so a packed block stays in L2 beside the B block.
    int slPerTask = Math.max(1, Math.min(MC_MAX / MR, (mSlivers + 4 * threads - 1) / (4 * threads)));
    int mc = slPerTask * MR;
    int mTasks = (m + mc - 1) / mc;
    boolean ranInTask = false;
    for (int jc = 0; jc < n; jc += NC) {
      int nc = Math.min(NC, n - jc);
      int nSlivers = (nc + NR - 1) / NR;
      // With few row blocks (small m), split the columns too so that every thread has work.
      int nSplit = mTasks >= 2 * threads ? 1 : Math.min(nSlivers, (2 * threads + mTasks - 1) / mTasks);
      int slPerSplit = (nSlivers + nSplit - 1) / nSplit;
      int nParts = (nSlivers + slPerSplit - 1) / slPerSplit;
      // A task owns whole rows of C when there is one column block and it is not split: it can run
      // the epilogue on them after the last slice of k, while they are still in its cache.
      boolean epilogueInTask = after != null && n <= NC && nParts == 1;
      ranInTask = epilogueInTask;
      for (int pc = 0; pc < k; pc += KC) {
        int kc = Math.min(KC, k - pc);
        final int jcF = jc, pcF = pc;
        final float[] pb;
        final int pbo;
        if (prepacked != null) {
          pb = prepacked;
          pbo = packedOffset(n, k, jc, pc);
        } else {
          pb = ensure(PACKED_B, nSlivers * kc * NR);
          pbo = 0;
          pool.forEach(nSlivers, s -> packB(tb, b, bOff, ldb, pcF, kc, jcF + s * NR,
              Math.min(NR, nc - s * NR), pb, s * kc * NR));
        }
        boolean first = pc == 0, last = pc + KC >= k;
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
          float[] pa = ensure(PACKED_A, rowSlivers * MR * KC);
          float[] tile = TILE.get();
          for (int r = 0; r < rowSlivers; r++) {
            int i = i0 + r * MR;
            packA(ta, alpha, a, aOff, lda, pcF, kc, i, Math.min(MR, m - i), pa, r * MR * KC);
          }
          // A sliver outer (MR × kc, kept in L1), B slivers inner (the packed block, in L2)
          for (int r = 0; r < rowSlivers; r++) {
            int i = i0 + r * MR;
            int mr = Math.min(MR, m - i);
            for (int s = s0; s < s1; s++) {
              int j = jcF + s * NR;
              int nr = Math.min(NR, n - j);
              if (mr == MR && nr == NR) {
                if (!store) {
                  microKernel(pa, r * MR * KC, pb, pbo + s * kc * NR, kc, c, cOff + i * ldc + j, ldc);
                } else if (bias == null) {
                  microKernelStore(pa, r * MR * KC, pb, pbo + s * kc * NR, kc, c, cOff + i * ldc + j, ldc);
                } else {
                  microKernelBias(pa, r * MR * KC, pb, pbo + s * kc * NR, kc, c, cOff + i * ldc + j, ldc,
                      bias, biasOff + j);
                }
              } else {
                java.util.Arrays.fill(tile, 0f);
                microKernel(pa, r * MR * KC, pb, pbo + s * kc * NR, kc, tile, 0, NR);
                if (store) {
                  storeTile(tile, mr, nr, c, cOff + i * ldc + j, ldc, bias, biasOff + j);
                } else {
                  addTile(tile, mr, nr, c, cOff + i * ldc + j, ldc);
                }
              }
            }
          }
          if (epilogueInTask && last) {
            after.rows(i0, i0 + rows);
          }
        });
      }
    }
    if (after != null && !ranInTask) {
      pool.forEach(mTasks, t -> after.rows(t * mc, Math.min(m, (t + 1) * mc)));
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

  /**
   * alpha · op(A)[i .. i+h)[pc .. pc+kc) into one sliver: row ii at base + ii·KC, zero rows beyond
   * h. Rows rather than the usual column-by-column interleave: packing is then a copy of whole
   * vectors, and since KC is a constant the micro-kernel reaches the twelve rows by fixed
   * displacements from one index. The interleaved pack, element by element, cost a fifth of the
   * time of a linear layer with 256 outputs.
   */
  private static void packA(boolean ta, float alpha, float[] a, int aOff, int lda, int pc, int kc,
      int i, int h, float[] pa, int base) {
    if (!ta) {
      // Across the rows, one vector of each in turn, rather than row after row: the source rows
      // are usually far apart in memory and not in cache, and this way their loads are in flight
      // together instead of one row's misses after another's (a third of the packing time when
      // the rows are 4 KB apart).
      int src = aOff + i * lda + pc, whole = kc / L * L;
      for (int p = 0; p < whole; p += L) {
        for (int ii = 0, s = src + p, d = base + p; ii < h; ii++, s += lda, d += KC) {
          FloatVector v = FloatVector.fromArray(F, a, s);
          (alpha == 1f ? v : v.mul(alpha)).intoArray(pa, d);
        }
      }
      for (int ii = 0; ii < h; ii++) {
        for (int p = whole; p < kc; p++) {
          pa[base + ii * KC + p] = alpha * a[src + ii * lda + p];
        }
      }
    } else {
      for (int p = 0; p < kc; p++) {
        int src = aOff + (pc + p) * lda + i;
        for (int ii = 0; ii < h; ii++) {
          pa[base + ii * KC + p] = alpha * a[src + ii];
        }
      }
    }
    for (int ii = h; ii < MR; ii++) {
      java.util.Arrays.fill(pa, base + ii * KC, base + ii * KC + kc, 0f);
    }
  }

  /**
   * C[0..MR)[0..NR) += Σ_p A[p][0..MR) ⊗ B[p][0..NR). No branches and no helper taking vectors as
   * arguments: C2 keeps the 24 accumulators in registers only while the method stays small
   * and uniform. (A beta switch here once made it box vectors on the heap and run 3× slower,
   * depending on the order of compilation; a store helper with vector parameters, 6× slower.)
   */
  private static void microKernel(float[] pa, int ai, float[] pb, int bi, int kc, float[] c,
      int ci, int ldc) {
    FloatVector c000 = FloatVector.zero(F), c001 = c000, c010 = c000, c011 = c000;
    FloatVector c020 = c000, c021 = c000, c030 = c000, c031 = c000, c040 = c000, c041 = c000;
    FloatVector c050 = c000, c051 = c000, c060 = c000, c061 = c000, c070 = c000, c071 = c000;
    FloatVector c080 = c000, c081 = c000, c090 = c000, c091 = c000, c100 = c000, c101 = c000;
    FloatVector c110 = c000, c111 = c000;
    for (int p = 0; p < kc; p++, ai++, bi += NR) {
      FloatVector b0 = FloatVector.fromArray(F, pb, bi);
      FloatVector b1 = FloatVector.fromArray(F, pb, bi + L);
      FloatVector a0 = FloatVector.broadcast(F, pa[ai]);
      c000 = a0.fma(b0, c000);
      c001 = a0.fma(b1, c001);
      FloatVector a1 = FloatVector.broadcast(F, pa[ai + KC]);
      c010 = a1.fma(b0, c010);
      c011 = a1.fma(b1, c011);
      FloatVector a2 = FloatVector.broadcast(F, pa[ai + 2 * KC]);
      c020 = a2.fma(b0, c020);
      c021 = a2.fma(b1, c021);
      FloatVector a3 = FloatVector.broadcast(F, pa[ai + 3 * KC]);
      c030 = a3.fma(b0, c030);
      c031 = a3.fma(b1, c031);
      FloatVector a4 = FloatVector.broadcast(F, pa[ai + 4 * KC]);
      c040 = a4.fma(b0, c040);
      c041 = a4.fma(b1, c041);
      FloatVector a5 = FloatVector.broadcast(F, pa[ai + 5 * KC]);
      c050 = a5.fma(b0, c050);
      c051 = a5.fma(b1, c051);
      FloatVector a6 = FloatVector.broadcast(F, pa[ai + 6 * KC]);
      c060 = a6.fma(b0, c060);
      c061 = a6.fma(b1, c061);
      FloatVector a7 = FloatVector.broadcast(F, pa[ai + 7 * KC]);
      c070 = a7.fma(b0, c070);
      c071 = a7.fma(b1, c071);
      FloatVector a8 = FloatVector.broadcast(F, pa[ai + 8 * KC]);
      c080 = a8.fma(b0, c080);
      c081 = a8.fma(b1, c081);
      FloatVector a9 = FloatVector.broadcast(F, pa[ai + 9 * KC]);
      c090 = a9.fma(b0, c090);
      c091 = a9.fma(b1, c091);
      FloatVector a10 = FloatVector.broadcast(F, pa[ai + 10 * KC]);
      c100 = a10.fma(b0, c100);
      c101 = a10.fma(b1, c101);
      FloatVector a11 = FloatVector.broadcast(F, pa[ai + 11 * KC]);
      c110 = a11.fma(b0, c110);
      c111 = a11.fma(b1, c111);
    }
    c000.add(FloatVector.fromArray(F, c, ci)).intoArray(c, ci);
    c001.add(FloatVector.fromArray(F, c, ci + L)).intoArray(c, ci + L);
    ci += ldc;
    c010.add(FloatVector.fromArray(F, c, ci)).intoArray(c, ci);
    c011.add(FloatVector.fromArray(F, c, ci + L)).intoArray(c, ci + L);
    ci += ldc;
    c020.add(FloatVector.fromArray(F, c, ci)).intoArray(c, ci);
    c021.add(FloatVector.fromArray(F, c, ci + L)).intoArray(c, ci + L);
    ci += ldc;
    c030.add(FloatVector.fromArray(F, c, ci)).intoArray(c, ci);
    c031.add(FloatVector.fromArray(F, c, ci + L)).intoArray(c, ci + L);
    ci += ldc;
    c040.add(FloatVector.fromArray(F, c, ci)).intoArray(c, ci);
    c041.add(FloatVector.fromArray(F, c, ci + L)).intoArray(c, ci + L);
    ci += ldc;
    c050.add(FloatVector.fromArray(F, c, ci)).intoArray(c, ci);
    c051.add(FloatVector.fromArray(F, c, ci + L)).intoArray(c, ci + L);
    ci += ldc;
    c060.add(FloatVector.fromArray(F, c, ci)).intoArray(c, ci);
    c061.add(FloatVector.fromArray(F, c, ci + L)).intoArray(c, ci + L);
    ci += ldc;
    c070.add(FloatVector.fromArray(F, c, ci)).intoArray(c, ci);
    c071.add(FloatVector.fromArray(F, c, ci + L)).intoArray(c, ci + L);
    ci += ldc;
    c080.add(FloatVector.fromArray(F, c, ci)).intoArray(c, ci);
    c081.add(FloatVector.fromArray(F, c, ci + L)).intoArray(c, ci + L);
    ci += ldc;
    c090.add(FloatVector.fromArray(F, c, ci)).intoArray(c, ci);
    c091.add(FloatVector.fromArray(F, c, ci + L)).intoArray(c, ci + L);
    ci += ldc;
    c100.add(FloatVector.fromArray(F, c, ci)).intoArray(c, ci);
    c101.add(FloatVector.fromArray(F, c, ci + L)).intoArray(c, ci + L);
    ci += ldc;
    c110.add(FloatVector.fromArray(F, c, ci)).intoArray(c, ci);
    c111.add(FloatVector.fromArray(F, c, ci + L)).intoArray(c, ci + L);
  }

  /** C[0..MR)[0..NR) = acc: the first slice of k when beta is 0 (C is not read). */
  private static void microKernelStore(float[] pa, int ai, float[] pb, int bi, int kc, float[] c,
      int ci, int ldc) {
    FloatVector c000 = FloatVector.zero(F), c001 = c000, c010 = c000, c011 = c000;
    FloatVector c020 = c000, c021 = c000, c030 = c000, c031 = c000, c040 = c000, c041 = c000;
    FloatVector c050 = c000, c051 = c000, c060 = c000, c061 = c000, c070 = c000, c071 = c000;
    FloatVector c080 = c000, c081 = c000, c090 = c000, c091 = c000, c100 = c000, c101 = c000;
    FloatVector c110 = c000, c111 = c000;
    for (int p = 0; p < kc; p++, ai++, bi += NR) {
      FloatVector b0 = FloatVector.fromArray(F, pb, bi);
      FloatVector b1 = FloatVector.fromArray(F, pb, bi + L);
      FloatVector a0 = FloatVector.broadcast(F, pa[ai]);
      c000 = a0.fma(b0, c000);
      c001 = a0.fma(b1, c001);
      FloatVector a1 = FloatVector.broadcast(F, pa[ai + KC]);
      c010 = a1.fma(b0, c010);
      c011 = a1.fma(b1, c011);
      FloatVector a2 = FloatVector.broadcast(F, pa[ai + 2 * KC]);
      c020 = a2.fma(b0, c020);
      c021 = a2.fma(b1, c021);
      FloatVector a3 = FloatVector.broadcast(F, pa[ai + 3 * KC]);
      c030 = a3.fma(b0, c030);
      c031 = a3.fma(b1, c031);
      FloatVector a4 = FloatVector.broadcast(F, pa[ai + 4 * KC]);
      c040 = a4.fma(b0, c040);
      c041 = a4.fma(b1, c041);
      FloatVector a5 = FloatVector.broadcast(F, pa[ai + 5 * KC]);
      c050 = a5.fma(b0, c050);
      c051 = a5.fma(b1, c051);
      FloatVector a6 = FloatVector.broadcast(F, pa[ai + 6 * KC]);
      c060 = a6.fma(b0, c060);
      c061 = a6.fma(b1, c061);
      FloatVector a7 = FloatVector.broadcast(F, pa[ai + 7 * KC]);
      c070 = a7.fma(b0, c070);
      c071 = a7.fma(b1, c071);
      FloatVector a8 = FloatVector.broadcast(F, pa[ai + 8 * KC]);
      c080 = a8.fma(b0, c080);
      c081 = a8.fma(b1, c081);
      FloatVector a9 = FloatVector.broadcast(F, pa[ai + 9 * KC]);
      c090 = a9.fma(b0, c090);
      c091 = a9.fma(b1, c091);
      FloatVector a10 = FloatVector.broadcast(F, pa[ai + 10 * KC]);
      c100 = a10.fma(b0, c100);
      c101 = a10.fma(b1, c101);
      FloatVector a11 = FloatVector.broadcast(F, pa[ai + 11 * KC]);
      c110 = a11.fma(b0, c110);
      c111 = a11.fma(b1, c111);
    }
    c000.intoArray(c, ci);
    c001.intoArray(c, ci + L);
    ci += ldc;
    c010.intoArray(c, ci);
    c011.intoArray(c, ci + L);
    ci += ldc;
    c020.intoArray(c, ci);
    c021.intoArray(c, ci + L);
    ci += ldc;
    c030.intoArray(c, ci);
    c031.intoArray(c, ci + L);
    ci += ldc;
    c040.intoArray(c, ci);
    c041.intoArray(c, ci + L);
    ci += ldc;
    c050.intoArray(c, ci);
    c051.intoArray(c, ci + L);
    ci += ldc;
    c060.intoArray(c, ci);
    c061.intoArray(c, ci + L);
    ci += ldc;
    c070.intoArray(c, ci);
    c071.intoArray(c, ci + L);
    ci += ldc;
    c080.intoArray(c, ci);
    c081.intoArray(c, ci + L);
    ci += ldc;
    c090.intoArray(c, ci);
    c091.intoArray(c, ci + L);
    ci += ldc;
    c100.intoArray(c, ci);
    c101.intoArray(c, ci + L);
    ci += ldc;
    c110.intoArray(c, ci);
    c111.intoArray(c, ci + L);
  }

  /** C[0..MR)[0..NR) = acc + bias[0..NR): the first slice of k of a linear layer. */
  private static void microKernelBias(float[] pa, int ai, float[] pb, int bi, int kc, float[] c,
      int ci, int ldc, float[] bias, int biasAt) {
    FloatVector c000 = FloatVector.zero(F), c001 = c000, c010 = c000, c011 = c000;
    FloatVector c020 = c000, c021 = c000, c030 = c000, c031 = c000, c040 = c000, c041 = c000;
    FloatVector c050 = c000, c051 = c000, c060 = c000, c061 = c000, c070 = c000, c071 = c000;
    FloatVector c080 = c000, c081 = c000, c090 = c000, c091 = c000, c100 = c000, c101 = c000;
    FloatVector c110 = c000, c111 = c000;
    for (int p = 0; p < kc; p++, ai++, bi += NR) {
      FloatVector b0 = FloatVector.fromArray(F, pb, bi);
      FloatVector b1 = FloatVector.fromArray(F, pb, bi + L);
      FloatVector a0 = FloatVector.broadcast(F, pa[ai]);
      c000 = a0.fma(b0, c000);
      c001 = a0.fma(b1, c001);
      FloatVector a1 = FloatVector.broadcast(F, pa[ai + KC]);
      c010 = a1.fma(b0, c010);
      c011 = a1.fma(b1, c011);
      FloatVector a2 = FloatVector.broadcast(F, pa[ai + 2 * KC]);
      c020 = a2.fma(b0, c020);
      c021 = a2.fma(b1, c021);
      FloatVector a3 = FloatVector.broadcast(F, pa[ai + 3 * KC]);
      c030 = a3.fma(b0, c030);
      c031 = a3.fma(b1, c031);
      FloatVector a4 = FloatVector.broadcast(F, pa[ai + 4 * KC]);
      c040 = a4.fma(b0, c040);
      c041 = a4.fma(b1, c041);
      FloatVector a5 = FloatVector.broadcast(F, pa[ai + 5 * KC]);
      c050 = a5.fma(b0, c050);
      c051 = a5.fma(b1, c051);
      FloatVector a6 = FloatVector.broadcast(F, pa[ai + 6 * KC]);
      c060 = a6.fma(b0, c060);
      c061 = a6.fma(b1, c061);
      FloatVector a7 = FloatVector.broadcast(F, pa[ai + 7 * KC]);
      c070 = a7.fma(b0, c070);
      c071 = a7.fma(b1, c071);
      FloatVector a8 = FloatVector.broadcast(F, pa[ai + 8 * KC]);
      c080 = a8.fma(b0, c080);
      c081 = a8.fma(b1, c081);
      FloatVector a9 = FloatVector.broadcast(F, pa[ai + 9 * KC]);
      c090 = a9.fma(b0, c090);
      c091 = a9.fma(b1, c091);
      FloatVector a10 = FloatVector.broadcast(F, pa[ai + 10 * KC]);
      c100 = a10.fma(b0, c100);
      c101 = a10.fma(b1, c101);
      FloatVector a11 = FloatVector.broadcast(F, pa[ai + 11 * KC]);
      c110 = a11.fma(b0, c110);
      c111 = a11.fma(b1, c111);
    }
    FloatVector bias0 = FloatVector.fromArray(F, bias, biasAt), bias1 = FloatVector.fromArray(F, bias, biasAt + L);
    c000.add(bias0).intoArray(c, ci);
    c001.add(bias1).intoArray(c, ci + L);
    ci += ldc;
    c010.add(bias0).intoArray(c, ci);
    c011.add(bias1).intoArray(c, ci + L);
    ci += ldc;
    c020.add(bias0).intoArray(c, ci);
    c021.add(bias1).intoArray(c, ci + L);
    ci += ldc;
    c030.add(bias0).intoArray(c, ci);
    c031.add(bias1).intoArray(c, ci + L);
    ci += ldc;
    c040.add(bias0).intoArray(c, ci);
    c041.add(bias1).intoArray(c, ci + L);
    ci += ldc;
    c050.add(bias0).intoArray(c, ci);
    c051.add(bias1).intoArray(c, ci + L);
    ci += ldc;
    c060.add(bias0).intoArray(c, ci);
    c061.add(bias1).intoArray(c, ci + L);
    ci += ldc;
    c070.add(bias0).intoArray(c, ci);
    c071.add(bias1).intoArray(c, ci + L);
    ci += ldc;
    c080.add(bias0).intoArray(c, ci);
    c081.add(bias1).intoArray(c, ci + L);
    ci += ldc;
    c090.add(bias0).intoArray(c, ci);
    c091.add(bias1).intoArray(c, ci + L);
    ci += ldc;
    c100.add(bias0).intoArray(c, ci);
    c101.add(bias1).intoArray(c, ci + L);
    ci += ldc;
    c110.add(bias0).intoArray(c, ci);
    c111.add(bias1).intoArray(c, ci + L);
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
