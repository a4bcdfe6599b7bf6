package dev.mtk.models.nn.ops;

import dev.mtk.models.nn.autograd.Op;
import dev.mtk.models.nn.autograd.Tensor;

/** Each row divided by its L2 norm (at least 1e-12, as F.normalize). */
public final class L2Normalize implements Op {

  private final Tensor in, out; // [rows, n]
  private final int n;
  private final float[] norms;

  public L2Normalize(Tensor in, Tensor out) {
    this.in = in;
    this.out = out;
    this.n = in.dim(in.shape().length - 1);
    this.norms = new float[in.size() / n];
  }

  @Override
  public void forward() {
    float[] x = in.data(), y = out.data();
    for (int r = 0; r < norms.length; r++) {
      double ss = 0;
      for (int j = 0; j < n; j++) {
        ss += (double) x[in.offset() + r * n + j] * x[in.offset() + r * n + j];
      }
      norms[r] = (float) Math.max(Math.sqrt(ss), 1e-12);
      for (int j = 0; j < n; j++) {
        y[out.offset() + r * n + j] = x[in.offset() + r * n + j] / norms[r];
      }
    }
  }

  @Override
  public void backward() {
    float[] y = out.data(), dy = out.grad(), dx = in.grad();
    for (int r = 0; r < norms.length; r++) {
      int o = out.offset() + r * n, i = in.offset() + r * n;
      float dot = 0f;
      for (int j = 0; j < n; j++) {
        dot += y[o + j] * dy[o + j];
      }
      for (int j = 0; j < n; j++) {
        dx[i + j] += (dy[o + j] - y[o + j] * dot) / norms[r];
      }
    }
  }
}
