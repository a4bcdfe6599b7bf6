package dev.mtk.models.nn.ops;

import dev.mtk.models.nn.autograd.Op;
import dev.mtk.models.nn.autograd.Tensor;
import dev.mtk.core.kernel.Gemm;
import dev.mtk.core.kernel.Vectors;
import dev.mtk.core.parallel.WorkerPool;

/**
 * Multi-head scaled dot-product attention with a padding mask, fused: for each sequence b and
 * head h, S = Q·Kᵀ / sqrt(hd) with keys at or beyond lengths[b] masked to -∞, P = softmax(S) by
 * row (saved), out = P·V. Q, K and V come packed in one [N, 3d] tensor (the output of the QKV
 * projection: q | k | v, head h at columns h·hd of each), out is [N, d] with heads side by side.
 *
 * <p>Each sequence is one task, its heads in order; each head's small products run as
 * single-threaded GEMMs straight on the strided slices (leading dimension 3d), and a task writes
 * only its own sequence's slices, so results do not depend on the number of threads.
 */
public final class Attention implements Op {

  /** The per-head products run inside a task: one thread each, no nested parallelism. */
  private static final WorkerPool INLINE = new WorkerPool(1);
  private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

  private final WorkerPool pool;
  private final Tensor qkv, out, probs; // [N, 3d], [N, d], [B, H, T, T]
  private final int[] lengths; // [B]
  private final int batch, heads, seq, d, hd;
  private final float scale;

  public Attention(WorkerPool pool, Tensor qkv, Tensor out, Tensor probs, int[] lengths, int heads) {
    this(pool, qkv, out, probs, lengths, heads, probs.dim(0), probs.dim(2));
  }

  /**
   * For inference only: the probabilities go to a per-thread scratch instead of a [B, H, T, T]
   * tensor kept for backward (which then throws) — less memory, and nothing written out.
   */
  public static Attention forInference(WorkerPool pool, Tensor qkv, Tensor out, int[] lengths,
      int heads, int batch, int seq) {
    return new Attention(pool, qkv, out, null, lengths, heads, batch, seq);
  }

  private Attention(WorkerPool pool, Tensor qkv, Tensor out, Tensor probs, int[] lengths,
      int heads, int batch, int seq) {
    this.pool = pool;
    this.qkv = qkv;
    this.out = out;
    this.probs = probs;
    this.lengths = lengths;
    this.heads = heads;
    this.batch = batch;
    this.seq = seq;
    this.d = out.size() / (batch * seq);
    this.hd = d / heads;
    if (hd * heads != d) {
      throw new IllegalArgumentException("d_model " + d + " is not divisible by " + heads + " heads");
    }
    this.scale = (float) (1.0 / Math.sqrt(hd));
  }

  /** Offset of q (then k at +d, v at +2d) of row i of sequence b, head h. */
  private int q(int b, int i, int h) {
    return qkv.offset() + (b * seq + i) * 3 * d + h * hd;
  }

  private int p(int b, int h) {
    return probs.offset() + (b * heads + h) * seq * seq;
  }

  private int o(int b, int h) {
    return out.offset() + b * seq * d + h * hd;
  }

  @Override
  public void forward() {
    // One task per sequence, its heads in order: head h's slices of q, k and v sit next to head
    // h - 1's in every row, so the cache's sequential prefetch has fetched them by the time they
    // are needed (a task per head, reading 64 rows at a stride of 3d, ran 10% slower).
    // (With fewer sequences than two per thread, a task per head keeps every thread busy.)
    if (batch < 2 * pool.threads()) {
      pool.forEach(batch * heads, t -> forwardHead(t / heads, t % heads));
    } else {
      pool.forEach(batch, b -> {
        for (int h = 0; h < heads; h++) {
          forwardHead(b, h);
        }
      });
    }
  }

  private void forwardHead(int b, int h) {
    float[] x = qkv.data(), o = out.data();
    int ld = 3 * d, len = lengths[b];
    float[] p = probs != null ? probs.data() : scratch(seq * seq);
    int pb = probs != null ? p(b, h) : 0;
    // S = scale · Q Kᵀ over the real keys [T, len]; masked columns set below
    Gemm.sgemm(INLINE, false, true, seq, len, hd, scale, x, q(b, 0, h), ld, x, q(b, 0, h) + d, ld,
        0f, p, pb, seq);
    for (int i = 0; i < seq; i++) {
      int row = pb + i * seq;
      java.util.Arrays.fill(p, row + len, row + seq, Float.NEGATIVE_INFINITY);
      Vectors.softmax(p, row, len);
      java.util.Arrays.fill(p, row + len, row + seq, 0f);
    }
    // out = P V
    Gemm.sgemm(INLINE, false, false, seq, hd, len, 1f, p, pb, seq, x, q(b, 0, h) + 2 * d, ld, 0f,
        o, o(b, h), d);
  }

  @Override
  public void backward() {
    if (probs == null) {
      throw new IllegalStateException("attention built for inference keeps no probabilities");
    }
    // per sequence, heads in order, as in forward
    if (batch < 2 * pool.threads()) {
      pool.forEach(batch * heads, t -> backwardHead(t / heads, t % heads));
    } else {
      pool.forEach(batch, b -> {
        for (int h = 0; h < heads; h++) {
          backwardHead(b, h);
        }
      });
    }
  }

  private void backwardHead(int b, int h) {
    float[] x = qkv.data(), gx = qkv.grad(), go = out.grad(), p = probs.data();
    int ld = 3 * d;
    int len = lengths[b], pb = p(b, h);
    float[] ds = scratch(seq * seq);
    // dP = dOut Vᵀ  [T, len]
    Gemm.sgemm(INLINE, false, true, seq, len, hd, 1f, go, o(b, h), d, x, q(b, 0, h) + 2 * d, ld,
        0f, ds, 0, seq);
    // dV += Pᵀ dOut  [len, hd]
    Gemm.sgemm(INLINE, true, false, len, hd, seq, 1f, p, pb, seq, go, o(b, h), d, 1f, gx,
        q(b, 0, h) + 2 * d, ld);
    // dS = P ⊙ (dP − rowsum(P ⊙ dP)) · scale
    for (int i = 0; i < seq; i++) {
      int row = pb + i * seq, drow = i * seq;
      float sum = 0f;
      for (int j = 0; j < len; j++) {
        sum += p[row + j] * ds[drow + j];
      }
      for (int j = 0; j < len; j++) {
        ds[drow + j] = p[row + j] * (ds[drow + j] - sum) * scale;
      }
    }
    // dQ += dS K,  dK += dSᵀ Q
    Gemm.sgemm(INLINE, false, false, seq, hd, len, 1f, ds, 0, seq, x, q(b, 0, h) + d, ld, 1f, gx,
        q(b, 0, h), ld);
    Gemm.sgemm(INLINE, true, false, len, hd, seq, 1f, ds, 0, seq, x, q(b, 0, h), ld, 1f, gx,
        q(b, 0, h) + d, ld);
  }

  private static float[] scratch(int n) {
    float[] s = SCRATCH.get();
    if (s.length < n) {
      s = new float[n];
      SCRATCH.set(s);
    }
    return s;
  }
}
