package dev.mtk.models.nn.ops;

import dev.mtk.models.nn.autograd.Op;
import dev.mtk.models.nn.autograd.Tensor;

/** out[r] = in[r, 0 .. m): Matryoshka truncation of each row to its first m dimensions. */
public final class PrefixSlice implements Op {

  private final Tensor in, out; // [rows, d], [rows, m]
  private final int d, m;

  public PrefixSlice(Tensor in, Tensor out) {
    this.in = in;
    this.out = out;
    this.d = in.dim(in.shape().length - 1);
    this.m = out.dim(out.shape().length - 1);
    if (m > d || in.size() / d != out.size() / m) {
      throw new IllegalArgumentException("prefix " + out + " does not fit " + in);
    }
  }

  @Override
  public void forward() {
    for (int r = 0; r < in.size() / d; r++) {
      System.arraycopy(in.data(), in.offset() + r * d, out.data(), out.offset() + r * m, m);
    }
  }

  @Override
  public void backward() {
    float[] g = out.grad(), gx = in.grad();
    for (int r = 0; r < in.size() / d; r++) {
      for (int j = 0; j < m; j++) {
        gx[in.offset() + r * d + j] += g[out.offset() + r * m + j];
      }
    }
  }
}
