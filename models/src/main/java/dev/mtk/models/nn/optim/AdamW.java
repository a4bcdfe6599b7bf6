package dev.mtk.models.nn.optim;

import dev.mtk.models.nn.autograd.Arena;
import dev.mtk.core.parallel.WorkerPool;

/**
 * AdamW with decoupled weight decay, exactly as torch.optim.AdamW: p ← p − lr·wd·p, then the
 * Adam update with bias-corrected moments, eps added to sqrt(v̂). Applied to every parameter of
 * an arena (values and gradients side by side), element-wise in parallel chunks.
 */
public final class AdamW implements Optimizer {

  private static final int CHUNK = 1 << 15;

  private final Arena params;
  private final float[] m, v;
  private final float beta1, beta2, eps, weightDecay;
  private int step;

  public AdamW(Arena params, float beta1, float beta2, float eps, float weightDecay) {
    this.params = params;
    this.m = new float[params.size()];
    this.v = new float[params.size()];
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.weightDecay = weightDecay;
  }

  @Override
  public int stepCount() {
    return step;
  }

  @Override
  public java.util.Map<String, float[]> state() {
    java.util.Map<String, float[]> s = new java.util.LinkedHashMap<>();
    s.put("adam.m", m);
    s.put("adam.v", v);
    return s;
  }

  @Override
  public void restore(int steps, java.util.Map<String, float[]> state) {
    restore(steps, state.get("adam.m"), state.get("adam.v"));
  }

  /** First and second moments, for checkpoints. */
  public float[] firstMoment() {
    return m;
  }

  public float[] secondMoment() {
    return v;
  }

  public void restore(int stepCount, float[] first, float[] second) {
    System.arraycopy(first, 0, m, 0, m.length);
    System.arraycopy(second, 0, v, 0, v.length);
    this.step = stepCount;
  }

  @Override
  public void step(WorkerPool pool, float lr) {
    step++;
    float[] p = params.data(), g = params.grad();
    float c1 = (float) (1 - Math.pow(beta1, step)), c2 = (float) (1 - Math.pow(beta2, step));
    float decay = 1f - lr * weightDecay;
    int n = params.size();
    pool.forEach((n + CHUNK - 1) / CHUNK, c -> {
      int end = Math.min(n, (c + 1) * CHUNK);
      for (int i = c * CHUNK; i < end; i++) {
        p[i] *= decay;
        m[i] = beta1 * m[i] + (1 - beta1) * g[i];
        v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
        float mhat = m[i] / c1, vhat = v[i] / c2;
        p[i] -= lr * mhat / ((float) Math.sqrt(vhat) + eps);
      }
    });
  }
}
