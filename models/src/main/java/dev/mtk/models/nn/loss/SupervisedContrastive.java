package dev.mtk.models.nn.loss;

import dev.mtk.models.nn.autograd.Op;
import dev.mtk.models.nn.autograd.Tensor;

/**
 * The supervised contrastive loss (Khosla et al., NeurIPS 2020, "L_out") over n rows' pairwise
 * scores s [n, n] (cosines already divided by τ): for anchor a, its positives P(a) are the other
 * rows of its class, and
 *
 * <pre>  L_a = log Σ_{j≠a} exp s_aj − (1/|P(a)|) Σ_{p∈P(a)} s_ap</pre>
 *
 * averaged over the anchors that have a positive (the others are left out, as in the paper). The
 * diagonal (a row with itself) takes no part, so its gradient is zero. The rows may be several
 * views of the labelled examples: row r has the label {@code labels[r % labels.length]}, so a
 * batch of B examples in two views (rows 0..B, then B..2B) passes its B labels as they are.
 */
public final class SupervisedContrastive implements Op {

  private final Tensor scores, loss; // [n, n], [1]
  private final int[] labels; // [n / views], set by the caller before each forward
  private final int n;
  private final float[] probs;
  private int anchors;

  public SupervisedContrastive(Tensor scores, int[] labels, Tensor loss) {
    this.n = scores.dim(0);
    if (scores.shape().length != 2 || scores.dim(1) != n || labels.length == 0 || n % labels.length != 0) {
      throw new IllegalArgumentException("supervised contrastive needs [n, n] scores and a label for "
          + "every row, or for every row of each view");
    }
    this.scores = scores;
    this.labels = labels;
    this.loss = loss;
    this.probs = new float[n * n];
  }

  private int label(int row) {
    return labels[row % labels.length];
  }

  @Override
  public void forward() {
    float[] s = scores.data();
    int o = scores.offset();
    double total = 0;
    anchors = 0;
    for (int a = 0; a < n; a++) {
      int positives = 0;
      double max = Double.NEGATIVE_INFINITY, positiveSum = 0;
      for (int j = 0; j < n; j++) {
        if (j != a) {
          max = Math.max(max, s[o + a * n + j]);
          if (label(j) == label(a)) {
            positives++;
            positiveSum += s[o + a * n + j];
          }
        }
      }
      double sum = 0;
      for (int j = 0; j < n; j++) {
        if (j != a) {
          sum += Math.exp(s[o + a * n + j] - max);
        }
      }
      double logZ = max + Math.log(sum);
      for (int j = 0; j < n; j++) {
        probs[a * n + j] = j == a || positives == 0 ? 0f : (float) Math.exp(s[o + a * n + j] - logZ);
      }
      if (positives > 0) {
        anchors++;
        total += logZ - positiveSum / positives;
      }
    }
    loss.data()[loss.offset()] = anchors == 0 ? 0f : (float) (total / anchors);
  }

  @Override
  public void backward() {
    if (anchors == 0) {
      return;
    }
    float g = loss.grad()[loss.offset()] / anchors;
    float[] ds = scores.grad();
    int o = scores.offset();
    for (int a = 0; a < n; a++) {
      int positives = 0;
      for (int j = 0; j < n; j++) {
        positives += j != a && label(j) == label(a) ? 1 : 0;
      }
      if (positives == 0) {
        continue;
      }
      float share = 1f / positives;
      for (int j = 0; j < n; j++) {
        if (j != a) {
          ds[o + a * n + j] += g * (probs[a * n + j] - (label(j) == label(a) ? share : 0f));
        }
      }
    }
  }
}
