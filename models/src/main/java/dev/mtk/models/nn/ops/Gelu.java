package dev.mtk.models.nn.ops;

import dev.mtk.models.nn.autograd.Tensor;
import dev.mtk.core.kernel.GeluForm;
import dev.mtk.core.kernel.Vectors;
import dev.mtk.core.parallel.WorkerPool;

/**
 * out = GELU(in), element-wise, erf or tanh form. out may be in itself (in place, as inference
 * does); backward, which needs in, then no longer applies.
 */
public final class Gelu implements RowWise {

  private static final int CHUNK = 1 << 14;

  private final WorkerPool pool;
  private final GeluForm form;
  private final Tensor in, out;

  public Gelu(WorkerPool pool, GeluForm form, Tensor in, Tensor out) {
    this.pool = pool;
    this.form = form;
    this.in = in;
    this.out = out;
  }

  @Override
  public void forward() {
    int n = in.size();
    pool.forEach((n + CHUNK - 1) / CHUNK, c -> {
      int from = c * CHUNK, len = Math.min(CHUNK, n - from);
      Vectors.gelu(form, out.data(), out.offset() + from, in.data(), in.offset() + from, len);
    });
  }

  @Override
  public int rows() {
    return in.dim(0);
  }

  @Override
  public void forwardRows(int from, int to) {
    int width = in.size() / in.dim(0);
    Vectors.gelu(form, out.data(), out.offset() + from * width, in.data(),
        in.offset() + from * width, (to - from) * width);
  }

  @Override
  public void backward() {
    int n = in.size();
    pool.forEach((n + CHUNK - 1) / CHUNK, c -> {
      int from = c * CHUNK, len = Math.min(CHUNK, n - from);
      Vectors.geluBackward(form, in.grad(), in.offset() + from, out.grad(), out.offset() + from,
          in.data(), in.offset() + from, len);
    });
  }
}
