package dev.mtk.models.nn;

/** out = a + b (the residual connection), element-wise in parallel chunks. */
public final class Add implements Op {

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
    float[] x = a.data(), y = b.data(), o = out.data();
    int n = a.size();
    pool.forEach((n + CHUNK - 1) / CHUNK, c -> {
      for (int i = c * CHUNK, end = Math.min(n, i + CHUNK); i < end; i++) {
        o[out.offset() + i] = x[a.offset() + i] + y[b.offset() + i];
      }
    });
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
