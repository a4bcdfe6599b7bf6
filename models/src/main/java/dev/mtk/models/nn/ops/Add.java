package dev.mtk.models.nn.ops;

import dev.mtk.models.nn.autograd.Tensor;

/**
 * out = a + b (the residual connection), element-wise in parallel chunks. out may be b itself (in
 * place, as inference does); backward then no longer applies.
 */
public final class Add implements RowWise {

  private static final int CHUNK = 1 << 15;

  private final dev.mtk.core.parallel.WorkerPool pool;
  private final Tensor a, b, out;

  public Add(dev.mtk.core.parallel.WorkerPool pool, Tensor a, Tensor b, Tensor out) {
    if (a.size() != b.size() || a.size() != out.size()) {
      throw new IllegalArgumentException("Add: " + a + " + " + b + " → " + out);
    }
    this.pool = pool;
    this.a = a;
    this.b = b;
    this.out = out;
  }

  @Override
  public void forward() {
    int n = a.size();
    pool.forEach((n + CHUNK - 1) / CHUNK, c -> add(c * CHUNK, Math.min(n, (c + 1) * CHUNK)));
  }

  @Override
  public int rows() {
    return out.dim(0);
  }

  @Override
  public void forwardRows(int from, int to) {
    int width = out.size() / out.dim(0);
    add(from * width, to * width);
  }

  private void add(int from, int to) {
    float[] x = a.data(), y = b.data(), o = out.data();
    int ao = a.offset(), bo = b.offset(), oo = out.offset();
    for (int i = from; i < to; i++) {
      o[oo + i] = x[ao + i] + y[bo + i];
    }
  }

  @Override
  public void backward() {
    float[] g = out.grad(), ga = a.grad(), gb = b.grad();
    int n = a.size();
    pool.forEach((n + CHUNK - 1) / CHUNK, c -> {
      for (int i = c * CHUNK, end = Math.min(n, i + CHUNK); i < end; i++) {
        float v = g[out.offset() + i];
        ga[a.offset() + i] += v;
        gb[b.offset() + i] += v;
      }
    });
  }
}
