package dev.mtk.models.nn;

import dev.mtk.core.kernel.KernelProvider;
import dev.mtk.core.kernel.VectorKernels;
import dev.mtk.core.parallel.WorkerPool;

/**
 * Multi-head scaled dot-product attention with a padding mask, fused: for each sequence b and
 * head h, S = Q·Kᵀ / sqrt(hd) with keys at or beyond lengths[b] masked to -∞, P = softmax(S) by
 * row (saved), out = P·V. Q, K and V come packed in one [N, 3d] tensor (the output of the QKV
 * projection: q | k | v, head h at columns h·hd of each), out is [N, d] with heads side by side.
 * Each (b, h) is one task writing only its own slices, so results do not depend on threads.
 */
public final class Attention implements Op {

  private static final VectorKernels K = KernelProvider.kernels();

  private final WorkerPool pool;
  private final Tensor qkv, out, probs; // [N, 3d], [N, d], [B, H, T, T]
  private final int[] lengths; // [B]
  private final int batch, heads, seq, d, hd;
  private final float scale;
  private final float[] dp; // [B, H, T] backward scratch

  public Attention(WorkerPool pool, Tensor qkv, Tensor out, Tensor probs, int[] lengths, int heads) {
    this.pool = pool;
    this.qkv = qkv;
    this.out = out;
    this.probs = probs;
    this.lengths = lengths;
    this.heads = heads;
    this.batch = probs.dim(0);
    this.seq = probs.dim(2);
    this.d = out.size() / (batch * seq);
    this.hd = d / heads;
    if (hd * heads != d) {
      throw new IllegalArgumentException("d_model " + d + " is not divisible by " + heads + " heads");
    }
    this.scale = (float) (1.0 / Math.sqrt(hd));
    this.dp = new float[batch * heads * seq];
  }

  private int q(int b, int i, int h) {
    return qkv.offset() + (b * seq + i) * 3 * d + h * hd;
  }

  @Override
  public void forward() {
    float[] x = qkv.data(), o = out.data(), p = probs.data();
    pool.forEach(batch * heads, task -> {
      int b = task / heads, h = task % heads, len = lengths[b];
      for (int i = 0; i < seq; i++) {
        int row = probs.offset() + ((b * heads + h) * seq + i) * seq;
        int qi = q(b, i, h);
        for (int j = 0; j < seq; j++) {
          p[row + j] = j < len ? K.dot(x, qi, x, q(b, j, h) + d, hd) * scale : Float.NEGATIVE_INFINITY;
        }
        K.softmax(p, row, seq);
        int oi = out.offset() + (b * seq + i) * d + h * hd;
        java.util.Arrays.fill(o, oi, oi + hd, 0f);
        for (int j = 0; j < len; j++) {
          K.axpy(p[row + j], x, q(b, j, h) + 2 * d, o, oi, hd);
        }
      }
    });
  }

  @Override
  public void backward() {
    float[] x = qkv.data(), gx = qkv.grad(), go = out.grad(), p = probs.data();
    pool.forEach(batch * heads, task -> {
      int b = task / heads, h = task % heads, len = lengths[b];
      int dpOff = task * seq;
      for (int i = 0; i < seq; i++) {
        int row = probs.offset() + ((b * heads + h) * seq + i) * seq;
        int oi = out.offset() + (b * seq + i) * d + h * hd;
        float sum = 0f;
        for (int j = 0; j < len; j++) {
          int vj = q(b, j, h) + 2 * d;
          float g = K.dot(go, oi, x, vj, hd);
          dp[dpOff + j] = g;
          sum += p[row + j] * g;
          K.axpy(p[row + j], go, oi, gx, vj, hd); // dV_j += p_ij dOut_i
        }
        int qi = q(b, i, h);
        for (int j = 0; j < len; j++) {
          float ds = p[row + j] * (dp[dpOff + j] - sum) * scale;
          int kj = q(b, j, h) + d;
          K.axpy(ds, x, kj, gx, qi, hd); // dQ_i += dS_ij K_j
          K.axpy(ds, x, qi, gx, kj, hd); // dK_j += dS_ij Q_i
        }
      }
    });
  }
}
