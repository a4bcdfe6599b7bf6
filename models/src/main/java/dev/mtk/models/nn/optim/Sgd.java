package dev.mtk.models.nn.optim;

import dev.mtk.models.nn.autograd.Arena;
import dev.mtk.core.parallel.WorkerPool;

/**
 * SGD with momentum and weight decay, exactly as torch.optim.SGD: d = g + wd·p; buf = μ·buf + d
 * (buf = d on the first step); p ← p − lr·buf. Element-wise in parallel chunks.
 */
public final class Sgd implements Optimizer {

  private static final int CHUNK = 1 << 15;

  private final Arena params;
  private final float[] buf;
  private final float momentum, weightDecay;
  private int step;

  public Sgd(Arena params, float momentum, float weightDecay) {
    if (momentum < 0 || weightDecay < 0) {
      throw new IllegalArgumentException("momentum and weight decay must be >= 0");
    }
    this.params = params;
    this.buf = new float[params.size()];
    this.momentum = momentum;
    this.weightDecay = weightDecay;
  }

  @Override
  public int stepCount() {
    return step;
  }

  @Override
  public java.util.Map<String, float[]> state() {
    return java.util.Map.of("sgd.momentum", buf);
  }

  @Override
  public void restore(int steps, java.util.Map<String, float[]> state) {
    System.arraycopy(state.get("sgd.momentum"), 0, buf, 0, buf.length);
    this.step = steps;
  }

  @Override
  public void step(WorkerPool pool, float lr) {
    boolean first = step == 0;
    step++;
    float[] p = params.data(), g = params.grad();
    int n = params.size();
    pool.forEach((n + CHUNK - 1) / CHUNK, c -> {
      for (int i = c * CHUNK, end = Math.min(n, i + CHUNK); i < end; i++) {
        float d = g[i] + weightDecay * p[i];
        buf[i] = momentum == 0f || first ? d : momentum * buf[i] + d;
        p[i] -= lr * buf[i];
      }
    });
  }
}
