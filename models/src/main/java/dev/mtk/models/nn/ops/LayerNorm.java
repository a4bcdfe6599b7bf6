package dev.mtk.models.nn.ops;

import dev.mtk.models.nn.autograd.Tensor;
import dev.mtk.core.kernel.Vectors;
import dev.mtk.core.parallel.WorkerPool;

/**
 * y = (x - mean) / sqrt(var + eps) · gamma + beta over the last dimension (biased variance, as
 * PyTorch). Rows run in parallel chunks; gamma and beta gradients are summed per chunk, then the
 * chunks in order.
 */
public final class LayerNorm implements RowWise {


  private final WorkerPool pool;
  private final Tensor in, gamma, beta, out;
  private final float eps;
  private final float[] mean, rstd; // [rows], saved for backward
  private float[] partial; // [chunks, 2d]: dgamma then dbeta per chunk, made by the first backward

  public LayerNorm(WorkerPool pool, Tensor in, Tensor gamma, Tensor beta, Tensor out, float eps) {
    this.pool = pool;
    this.in = in;
    this.gamma = gamma;
    this.beta = beta;
    this.out = out;
    this.eps = eps;
    int rows = in.size() / gamma.size();
    this.mean = new float[rows];
    this.rstd = new float[rows];
  }

  @Override
  public void forward() {
    RowChunks.run(pool, mean.length, (c, from, to) -> forwardRows(from, to));
  }

  @Override
  public int rows() {
    return mean.length;
  }

  @Override
  public void forwardRows(int from, int to) {
    int d = gamma.size();
    float[] x = in.data(), y = out.data(), g = gamma.data(), b = beta.data();
    for (int r = from; r < to; r++) {
      Vectors.layerNormRow(y, out.offset() + r * d, x, in.offset() + r * d, g, gamma.offset(), b,
          beta.offset(), d, eps, mean, rstd, r);
    }
  }

  @Override
  public void backward() {
    int d = gamma.size();
    float[] x = in.data(), dx = in.grad(), dy = out.grad(), g = gamma.data();
    if (partial == null) {
      partial = new float[RowChunks.count(mean.length) * 2 * gamma.size()];
    }
    java.util.Arrays.fill(partial, 0f);
    RowChunks.run(pool, mean.length, (c, from, to) -> {
      for (int r = from; r < to; r++) {
        Vectors.layerNormRowBackward(dx, in.offset() + r * d, partial, c * 2 * d, partial, c * 2 * d + d,
            dy, out.offset() + r * d, x, in.offset() + r * d, g, gamma.offset(), d, mean[r], rstd[r]);
      }
    });
    float[] gg = gamma.grad(), gb = beta.grad();
    for (int c = 0; c < RowChunks.count(mean.length); c++) {
      for (int i = 0; i < d; i++) {
        gg[gamma.offset() + i] += partial[c * 2 * d + i];
        gb[beta.offset() + i] += partial[c * 2 * d + d + i];
      }
    }
  }
}
