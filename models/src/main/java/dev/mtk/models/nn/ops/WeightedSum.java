package dev.mtk.models.nn.ops;

import dev.mtk.models.nn.autograd.Op;
import dev.mtk.models.nn.autograd.Tensor;

/**
 * out = Σ wₖ · partₖ over scalar parts: how a wrapper loss (Matryoshka over prefix sizes,
 * adaptive layers over depths) combines the losses it wraps. Weights may change between steps —
 * a part weighted 0 that step neither counts nor receives a gradient (dims_per_step sampling).
 */
public final class WeightedSum implements Op {

  private final Tensor[] parts;
  private final float[] weights;
  private final Tensor out;

  public WeightedSum(Tensor[] parts, float[] weights, Tensor out) {
    if (parts.length != weights.length || parts.length == 0) {
      throw new IllegalArgumentException("WeightedSum: " + parts.length + " parts, "
          + weights.length + " weights");
    }
    for (Tensor p : parts) {
      if (p.size() != 1) {
        throw new IllegalArgumentException("WeightedSum adds scalars; " + p + " is not one");
      }
    }
    this.parts = parts.clone();
    this.weights = weights.clone();
    this.out = out;
  }

  /** Sets the weight of part k (for the next forward). */
  public void weight(int k, float w) {
    weights[k] = w;
  }

  public float weight(int k) {
    return weights[k];
  }

  @Override
  public void forward() {
    double s = 0;
    for (int k = 0; k < parts.length; k++) {
      if (weights[k] != 0f) {
        s += (double) weights[k] * parts[k].data()[parts[k].offset()];
      }
    }
    out.data()[out.offset()] = (float) s;
  }

  @Override
  public void backward() {
    float g = out.grad()[out.offset()];
    for (int k = 0; k < parts.length; k++) {
      parts[k].grad()[parts[k].offset()] += weights[k] * g;
    }
  }
}
