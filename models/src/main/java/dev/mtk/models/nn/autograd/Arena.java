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
  private final List<Tensor> tensors = new ArrayList<>();
  private int size;
  private float[] data;
  private float[] grad;

  public Arena(String name) {
    this(name, true);
  }

  /** An arena without gradient memory (inference), when {@code withGradients} is false. */
  public Arena(String name, boolean withGradients) {
    this.name = name;
    this.withGradients = withGradients;
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

  /** Allocates the value and gradient arrays (zeroed). */
  public Arena freeze() {
    if (data == null) {
      data = new float[size];
      grad = withGradients ? new float[size] : null;
    }
    return this;
  }

  public float[] data() {
    return data;
  }

  public float[] grad() {
    if (grad == null) {
      throw new IllegalStateException("arena " + name + " was built for inference: no gradients");
    }
    return grad;
  }

  public boolean hasGradients() {
    return grad != null;
  }

  public int size() {
    return size;
  }

  public List<Tensor> tensors() {
    return Collections.unmodifiableList(tensors);
  }

  public void zeroGrad() {
    java.util.Arrays.fill(grad, 0f);
  }

  /** Multiplies every gradient by a factor (the mean over accumulated micro-batches). */
  public void scaleGrad(float factor) {
    for (int i = 0; i < grad.length; i++) {
      grad[i] *= factor;
    }
  }

  /** Zeroes the gradients on a pool (the activation arena of a step is hundreds of megabytes). */
  public void zeroGrad(dev.mtk.core.parallel.WorkerPool pool) {
    int chunk = 1 << 18;
    pool.forEach((size + chunk - 1) / chunk, c -> {
      int from = c * chunk;
      java.util.Arrays.fill(grad, from, Math.min(size, from + chunk), 0f);
    });
  }
}
