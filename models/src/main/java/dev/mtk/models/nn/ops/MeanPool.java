package dev.mtk.models.nn.ops;

import dev.mtk.models.nn.autograd.Op;
import dev.mtk.models.nn.autograd.Tensor;

/**
 * out[b] = mean of in[b, t] over the first lengths[b] positions: mean pooling over the tokens
 * that are not padding (padding sits at the end of each sequence).
 */
public final class MeanPool implements Op {

  private final Tensor in, out; // [B, T, d], [B, d]
  private final int[] lengths; // [B], set by the caller before forward

  public MeanPool(Tensor in, int[] lengths, Tensor out) {
    this.in = in;
    this.out = out;
    this.lengths = lengths;
  }

  @Override
  public void forward() {
    int batch = out.dim(0), d = out.dim(1), seq = in.size() / (batch * d);
    float[] x = in.data(), o = out.data();
    for (int b = 0; b < batch; b++) {
      int len = lengths[b];
      if (len < 1 || len > seq) {
        throw new IllegalArgumentException("sequence " + b + " has length " + len + ", expected 1.." + seq);
      }
      int dst = out.offset() + b * d;
      java.util.Arrays.fill(o, dst, dst + d, 0f);
      for (int t = 0; t < len; t++) {
        int src = in.offset() + (b * seq + t) * d;
        for (int i = 0; i < d; i++) {
          o[dst + i] += x[src + i];
        }
      }
      float inv = 1f / len;
      for (int i = 0; i < d; i++) {
        o[dst + i] *= inv;
      }
    }
  }

  @Override
  public void backward() {
    int batch = out.dim(0), d = out.dim(1), seq = in.size() / (batch * d);
    float[] g = out.grad(), gx = in.grad();
    for (int b = 0; b < batch; b++) {
      float inv = 1f / lengths[b];
      int src = out.offset() + b * d;
      for (int t = 0; t < lengths[b]; t++) {
        int dst = in.offset() + (b * seq + t) * d;
        for (int i = 0; i < d; i++) {
          gx[dst + i] += g[src + i] * inv;
        }
      }
    }
  }
}
