package dev.mtk.training.loss;

import dev.mtk.models.nn.ops.PrefixSlice;
import dev.mtk.models.nn.autograd.Tensor;
import dev.mtk.models.nn.ops.WeightedSum;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The Matryoshka loss (Kusupati et al. 2022; sentence-transformers' MatryoshkaLoss): the wrapped
 * loss applied to the first m dimensions of the embedding for every m in {@code dims}, weighted
 * and summed — L = Σ wₘ · base(z[:, :m]). The encoder runs once; only the prefixes differ. Base
 * losses that compare directions (InfoNCE) renormalise each prefix themselves.
 *
 * <p>{@code dimsPerStep} &gt; 0 picks that many sizes at random each step (seeded by the run's
 * seed and the step number, so a resumed run picks the same ones); the others weigh 0 that step.
 */
public final class MatryoshkaLoss implements Loss {

  private final Loss base;
  private final int[] dims;
  private final float[] weights;
  private final int dimsPerStep;

  public MatryoshkaLoss(Loss base, int[] dims, float[] weights, int dimsPerStep) {
    if (base instanceof MatryoshkaLoss || base instanceof AdaptiveLayerLoss) {
      throw new IllegalArgumentException("MatryoshkaLoss wraps a base loss (InfoNCE, classification, "
          + "MSE); for layers × dims wrap it in AdaptiveLayerLoss instead");
    }
    if (dims.length == 0) {
      throw new IllegalArgumentException("Matryoshka dims are empty: give the prefix sizes to train, e.g. [8, 16, 32, 64]");
    }
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] < 1 || (i > 0 && dims[i] <= dims[i - 1])) {
        throw new IllegalArgumentException("Matryoshka dims " + Arrays.toString(dims)
            + " must be positive and strictly increasing, e.g. [8, 16, 32, 64]");
      }
    }
    if (weights == null) {
      weights = new float[dims.length];
      Arrays.fill(weights, 1f);
    }
    if (weights.length != dims.length) {
      throw new IllegalArgumentException("Matryoshka weights: " + weights.length + " given for "
          + dims.length + " dims " + Arrays.toString(dims) + "; give one per dim, or none for all 1");
    }
    for (float w : weights) {
      if (!(w >= 0) || Float.isInfinite(w)) {
        throw new IllegalArgumentException("Matryoshka weights must be finite and ≥ 0, got " + Arrays.toString(weights));
      }
    }
    if (dimsPerStep == 0 || dimsPerStep < -1 || dimsPerStep > dims.length) {
      throw new IllegalArgumentException("dims_per_step " + dimsPerStep + ": give -1 (all "
          + dims.length + " every step) or a number from 1 to " + dims.length);
    }
    this.base = base;
    this.dims = dims.clone();
    this.weights = weights.clone();
    this.dimsPerStep = dimsPerStep;
  }

  public int[] dims() {
    return dims.clone();
  }

  public float[] weights() {
    return weights.clone();
  }

  public int dimsPerStep() {
    return dimsPerStep;
  }

  public Loss base() {
    return base;
  }

  @Override
  public Tensor attach(LossGraph g, Tensor embeddings) {
    int rows = embeddings.dim(0), width = embeddings.dim(1);
    if (dims[dims.length - 1] > width) {
      throw new IllegalArgumentException("Matryoshka dims " + Arrays.toString(dims) + " exceed the "
          + width + "-dimensional embedding: drop the larger sizes or widen the model");
    }
    Tensor[] parts = new Tensor[dims.length];
    for (int k = 0; k < dims.length; k++) {
      int m = dims[k];
      Tensor prefix = embeddings;
      if (m < width) {
        prefix = g.tensor("prefix" + m, rows, m);
        g.add(new PrefixSlice(embeddings, prefix));
      }
      parts[k] = g.scoped("dim" + m + "/", base, prefix);
      g.component("dim" + m, parts[k]);
    }
    Tensor total = g.tensor("matryoshka", 1);
    WeightedSum sum = g.add(new WeightedSum(parts, weights, total));
    if (dimsPerStep > 0 && dimsPerStep < dims.length) {
      long seed = g.seed();
      g.everyStep(step -> {
        int[] chosen = sample(dims.length, dimsPerStep, seed, step);
        for (int k = 0; k < dims.length; k++) {
          sum.weight(k, 0f);
        }
        for (int k : chosen) {
          sum.weight(k, weights[k]);
        }
      });
    }
    return total;
  }

  /** {@code n} distinct indices of {@code 0..count-1}, a function of (seed, step) alone. */
  static int[] sample(int count, int n, long seed, long step) {
    SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ (step + 0x5851F42D4C957F2DL));
    int[] idx = new int[count];
    for (int i = 0; i < count; i++) {
      idx[i] = i;
    }
    for (int i = 0; i < n; i++) {
      int j = i + rnd.nextInt(count - i);
      int t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
    return Arrays.copyOf(idx, n);
  }

  @Override
  public LossGraph.Rows needs() {
    return base.needs();
  }

  @Override
  public String describe() {
    return "Matryoshka" + Arrays.toString(dims) + " of " + base.describe();
  }
}
