package dev.mtk.models.nn.ops;

import dev.mtk.models.nn.autograd.Op;
import dev.mtk.models.nn.autograd.Tensor;

/** out[b] = in[b, 0]: the first token's vector ([CLS] pooling). */
public final class ClsPool implements Op {

  private final Tensor in, out; // [B, T, d], [B, d]

  public ClsPool(Tensor in, Tensor out) {
    this.in = in;
    this.out = out;
  }

  @Override
  public void forward() {
    int batch = out.dim(0), d = out.dim(1), seq = in.size() / (batch * d);
    for (int b = 0; b < batch; b++) {
      System.arraycopy(in.data(), in.offset() + b * seq * d, out.data(), out.offset() + b * d, d);
    }
  }

  @Override
  public void backward() {
    int batch = out.dim(0), d = out.dim(1), seq = in.size() / (batch * d);
    float[] g = out.grad(), gx = in.grad();
    for (int b = 0; b < batch; b++) {
      for (int i = 0; i < d; i++) {
        gx[in.offset() + b * seq * d + i] += g[out.offset() + b * d + i];
      }
    }
  }
}
