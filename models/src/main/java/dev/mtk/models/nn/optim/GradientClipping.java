package dev.mtk.models.nn.optim;

import dev.mtk.models.nn.autograd.Arena;
import dev.mtk.core.kernel.Vectors;
import dev.mtk.core.parallel.WorkerPool;

/**
 * Clips the gradients of an arena to a global L2 norm, as torch.nn.utils.clip_grad_norm_: when
 * the norm exceeds maxNorm, every gradient is scaled by maxNorm / (norm + 1e-6). The norm is a
 * fixed-order parallel reduction, so clipping gives the same bits for any number of threads.
 */
public final class GradientClipping {

  private GradientClipping() {}

  /** Returns the norm before clipping. */
  public static float clip(Arena params, float maxNorm, WorkerPool pool) {
    return clip(maxNorm, pool, params);
  }

  /** One global norm over several arenas (the encoder and the loss heads), in their order. */
  public static float clip(float maxNorm, WorkerPool pool, Arena... arenas) {
    if (!(maxNorm > 0)) {
      throw new IllegalArgumentException("max norm must be > 0, got " + maxNorm);
    }
    double squares = 0;
    for (Arena a : arenas) {
      squares += Vectors.dot(a.grad(), a.grad(), pool);
    }
    float norm = (float) Math.sqrt(squares);
    if (norm > maxNorm) {
      float scale = maxNorm / (norm + 1e-6f);
      int chunk = 1 << 16;
      for (Arena a : arenas) {
        float[] g = a.grad();
        pool.forEach((g.length + chunk - 1) / chunk, c -> {
          for (int i = c * chunk, end = Math.min(g.length, i + chunk); i < end; i++) {
            g[i] *= scale;
          }
        });
      }
    }
    return norm;
  }
}
