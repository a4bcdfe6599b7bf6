package dev.mtk.models.nn;

/** out = a + b (the residual connection). */
public final class Add implements Op {

  private final Tensor a, b, out;

  public Add(Tensor a, Tensor b, Tensor out) {
    if (a.size() != b.size() || a.size() != out.size()) {
      throw new IllegalArgumentException("Add: " + a + " + " + b + " → " + out);
    }
    this.a = a;
    this.b = b;
    this.out = out;
  }

  @Override
  public void forward() {
    float[] x = a.data(), y = b.data(), o = out.data();
    for (int i = 0; i < a.size(); i++) {
      o[out.offset() + i] = x[a.offset() + i] + y[b.offset() + i];
    }
  }

  @Override
  public void backward() {
    float[] g = out.grad(), ga = a.grad(), gb = b.grad();
    for (int i = 0; i < a.size(); i++) {
      float v = g[out.offset() + i];
      ga[a.offset() + i] += v;
      gb[b.offset() + i] += v;
    }
  }
}
