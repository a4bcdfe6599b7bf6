package dev.mtk.models.nn.ops;

import dev.mtk.models.nn.autograd.Op;
import dev.mtk.models.nn.autograd.Tensor;
import java.util.SplittableRandom;

/**
 * Inverted dropout: while training, each element is kept with probability 1 − p and scaled by
 * 1 / (1 − p); otherwise out = in. The mask of call number c comes from SplittableRandom(seed, c)
 * drawn in element order, so a run with the same seed drops the same elements whatever the
 * number of threads, and {@link #setCall} lets a resumed run continue the sequence.
 */
public final class Dropout implements Op {

  private final Tensor in, out;
  private final float p;
  private final long seed;
  private final float[] mask; // 0 or 1 / (1 − p)
  private boolean training = true;
  private long call;

  public Dropout(Tensor in, Tensor out, float p, long seed) {
    if (!(p >= 0f && p < 1f)) {
      throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
    }
    this.in = in;
    this.out = out;
    this.p = p;
    this.seed = seed;
    this.mask = new float[in.size()];
  }

  /** The current mask (0 or 1 / (1 − p) per element), for tests. */
  public float[] mask() {
    return mask;
  }

  public void setTraining(boolean training) {
    this.training = training;
  }

  /** The number of forward calls made so far (the random stream's position). */
  public long call() {
    return call;
  }

  public void setCall(long call) {
    this.call = call;
  }

  @Override
  public void forward() {
    float[] x = in.data(), y = out.data();
    if (!training || p == 0f) {
      java.util.Arrays.fill(mask, 1f);
    } else {
      SplittableRandom rnd = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * (call + 1)));
      float keep = 1f / (1f - p);
      for (int i = 0; i < mask.length; i++) {
        mask[i] = rnd.nextFloat() < p ? 0f : keep;
      }
      call++;
    }
    for (int i = 0; i < mask.length; i++) {
      y[out.offset() + i] = x[in.offset() + i] * mask[i];
    }
  }

  @Override
  public void backward() {
    float[] dy = out.grad(), dx = in.grad();
    for (int i = 0; i < mask.length; i++) {
      dx[in.offset() + i] += dy[out.offset() + i] * mask[i];
    }
  }
}
