package dev.mtk.models.nn.ops;

import dev.mtk.models.nn.autograd.Op;
import dev.mtk.models.nn.autograd.Tensor;
import dev.mtk.core.kernel.Gemm;
import dev.mtk.core.parallel.WorkerPool;

/**
 * Continuous tokens in (image patches, audio frames, video tubelets: [N, p] floats from the
 * tokenizers), out[n] = W · in[n] + b + position[n mod T]: ViT's linear patch projection with
 * learned positions. W is [d, p] as nn.Linear (a Conv2d(k = s = patch) weight flattened (C, y, x)).
 */
public final class PatchEmbedding implements Op {

  private final WorkerPool pool;
  private final Tensor in, weight, bias, position, out;
  private final int rows, p, d, seqLen;

  public PatchEmbedding(WorkerPool pool, Tensor in, Tensor weight, Tensor bias, Tensor position,
      Tensor out, int seqLen) {
    this.pool = pool;
    this.in = in;
    this.weight = weight;
    this.bias = bias;
    this.position = position;
    this.out = out;
    this.d = weight.dim(0);
    this.p = weight.dim(1);
    this.rows = in.size() / p;
    this.seqLen = seqLen;
  }

  @Override
  public void forward() {
    Gemm.sgemmBias(pool, false, true, rows, d, p, 1f, in.data(), in.offset(), p, weight.data(),
        weight.offset(), p, bias.data(), bias.offset(), out.data(), out.offset(), d);
    float[] o = out.data(), pos = position.data();
    for (int n = 0; n < rows; n++) {
      int dst = out.offset() + n * d, src = position.offset() + (n % seqLen) * d;
      for (int i = 0; i < d; i++) {
        o[dst + i] += pos[src + i];
      }
    }
  }

  @Override
  public void backward() {
    float[] g = out.grad();
    // dW += dOutᵀ · in; db += Σ rows; dPos += dOut by position (the input is data: no gradient)
    Gemm.sgemm(pool, true, false, d, p, rows, 1f, g, out.offset(), d, in.data(), in.offset(), p,
        1f, weight.grad(), weight.offset(), p);
    float[] gb = bias.grad(), gp = position.grad();
    for (int n = 0; n < rows; n++) {
      int src = out.offset() + n * d, pos = position.offset() + (n % seqLen) * d;
      for (int i = 0; i < d; i++) {
        gb[bias.offset() + i] += g[src + i];
        gp[pos + i] += g[src + i];
      }
    }
  }
}
