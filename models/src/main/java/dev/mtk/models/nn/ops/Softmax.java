package dev.mtk.models.nn.ops;

import dev.mtk.models.nn.autograd.Op;
import dev.mtk.models.nn.autograd.Tensor;
import dev.mtk.core.kernel.Vectors;

/** Row-wise softmax: out[r] = exp(in[r] − max) / Σ exp(in[r] − max). */
public final class Softmax implements Op {


  private final Tensor in, out; // [rows, n]
  private final int n;

  public Softmax(Tensor in, Tensor out) {
    this.in = in;
    this.out = out;
    this.n = in.dim(in.shape().length - 1);
  }

  @Override
  public void forward() {
    System.arraycopy(in.data(), in.offset(), out.data(), out.offset(), in.size());
    for (int r = 0; r < in.size() / n; r++) {
      Vectors.softmax(out.data(), out.offset() + r * n, n);
    }
  }

  @Override
  public void backward() {
    float[] y = out.data(), dy = out.grad(), dx = in.grad();
    for (int r = 0; r < in.size() / n; r++) {
      int o = out.offset() + r * n, i = in.offset() + r * n;
      // dx = y ⊙ (dy − Σ y·dy)
      float dot = Vectors.dot(y, o, dy, o, n);
      for (int j = 0; j < n; j++) {
        dx[i + j] += y[o + j] * (dy[o + j] - dot);
      }
    }
  }
}
