package dev.mtk.models.nn.autograd;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * All tensors of one kind (parameters, or one batch shape's activations) in two arrays, values
 * and gradients, laid out once as llm.c does: slots are declared, then {@link #freeze} allocates,
 * and every training step reuses the same memory, so the hot path allocates nothing.
 */
public final class Arena {

  private final String name;
  private final boolean withGradients;
  private final java.util.function.IntFunction<float[]> memory;
  private final List<Tensor> tensors = new ArrayList<>();
  private int size;
  private float[] data;
  private float[] grad;

  public Arena(String name) {
    this(name, true);
  }

  /** An arena without gradient memory (inference), when {@code withGradients} is false. */
  public Arena(String name, boolean withGradients) {
    this(name, withGradients, float[]::new);
  }

  /**
   * An arena whose value array comes from {@code memory} (given the size, it returns an array at
   * least that long, zeroed or not): inference passes of different shapes that never run at
   * the same time can all live in one array.
   */
  public Arena(String name, boolean withGradients, java.util.function.IntFunction<float[]> memory) {
    this.name = name;
    this.withGradients = withGradients;
    this.memory = memory;
  }

  /** Declares a slot; only before {@link #freeze}. Slots start on 16-float boundaries. */
  public Tensor alloc(String tensorName, int... shape) {
    if (data != null) {
      throw new IllegalStateException("arena " + name + " is frozen; declare " + tensorName + " before");
    }
    Tensor t = new Tensor(this, tensorName, shape, size);
    long end = (long) size + t.size();
    end = (end + 15) & ~15L;
    if (end > Integer.MAX_VALUE - 16) {
      throw new IllegalStateException("arena " + name + " would exceed 2^31 floats");
    }
    size = (int) end;
    tensors.add(t);
    return t;
  }

  /**
   * Allocates the value array (zeroed). The gradient array comes on first use: a model that is
   * only embedded with (or imported, or evaluated) never pays for it — 90 MB for a MiniLM.
   */
  public Arena freeze() {
    if (data == null) {
      data = memory.apply(size);
      if (data.length < size) {
        throw new IllegalStateException("arena " + name + " needs " + size + " floats, got " + data.length);
      }
    }
    return this;
  }

  private synchronized float[] allocateGrad() {
    if (grad == null) {
      grad = new float[size];
    }
    return grad;
  }

  public float[] data() {
    return data;
  }

  public float[] grad() {
    float[] g = grad;
    if (g != null) {
      return g;
    }
    if (!withGradients) {
      throw new IllegalStateException("arena " + name + " was built for inference: no gradients");
    }
    if (data == null) {
      throw new IllegalStateException("arena " + name + " is not frozen yet");
    }
    return allocateGrad();
  }

  public boolean hasGradients() {
    return withGradients;
  }

  public int size() {
    return size;
  }

  public List<Tensor> tensors() {
    return Collections.unmodifiableList(tensors);
  }

  public void zeroGrad() {
    java.util.Arrays.fill(grad(), 0f);
  }

  /** Multiplies every gradient by a factor (the mean over accumulated micro-batches). */
  public void scaleGrad(float factor) {
    float[] g = grad();
    for (int i = 0; i < g.length; i++) {
      g[i] *= factor;
    }
  }

  /** Zeroes the gradients on a pool (the activation arena of a step is hundreds of megabytes). */
  public void zeroGrad(dev.mtk.core.parallel.WorkerPool pool) {
    int chunk = 1 << 18;
    float[] grad = grad();
    pool.forEach((size + chunk - 1) / chunk, c -> {
      int from = c * chunk;
      java.util.Arrays.fill(grad, from, Math.min(size, from + chunk), 0f);
    });
  }
}
