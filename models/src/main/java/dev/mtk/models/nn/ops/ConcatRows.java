package dev.mtk.models.nn.ops;

import dev.mtk.models.nn.autograd.Op;
import dev.mtk.models.nn.autograd.Tensor;

/**
 * out = [a; b]: the rows of a, then the rows of b (same width). A dual encoder's loss sees one
 * tensor of audio rows followed by their texts' rows — the anchors-then-positives layout every
 * pair loss reads.
 */
public final class ConcatRows implements Op {

  private final Tensor a, b, out;

  public ConcatRows(Tensor a, Tensor b, Tensor out) {
    int w = out.dim(out.shape().length - 1);
    if (a.dim(a.shape().length - 1) != w || b.dim(b.shape().length - 1) != w || a.size() + b.size() != out.size()) {
      throw new IllegalArgumentException("cannot stack " + a + " over " + b + " into " + out);
    }
    this.a = a;
    this.b = b;
    this.out = out;
  }

  @Override
  public void forward() {
    System.arraycopy(a.data(), a.offset(), out.data(), out.offset(), a.size());
    System.arraycopy(b.data(), b.offset(), out.data(), out.offset() + a.size(), b.size());
  }

  @Override
  public void backward() {
    float[] g = out.grad(), ga = a.grad(), gb = b.grad();
    for (int i = 0; i < a.size(); i++) {
      ga[a.offset() + i] += g[out.offset() + i];
    }
    for (int i = 0; i < b.size(); i++) {
      gb[b.offset() + i] += g[out.offset() + a.size() + i];
    }
  }
}
