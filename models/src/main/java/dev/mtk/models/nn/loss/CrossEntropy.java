package dev.mtk.models.nn.loss;

import dev.mtk.models.nn.autograd.Op;
import dev.mtk.models.nn.autograd.Tensor;

/** Mean over rows of −log softmax(logits)[target] (F.cross_entropy with mean reduction). */
public final class CrossEntropy implements Op {

  private final Tensor logits, loss; // [rows, C], [1]
  private final int[] targets; // [rows], set by the caller
  private final int classes;
  private final float[] probs;

  public CrossEntropy(Tensor logits, int[] targets, Tensor loss) {
    this.logits = logits;
    this.targets = targets;
    this.loss = loss;
    this.classes = logits.dim(logits.shape().length - 1);
    this.probs = new float[logits.size()];
  }

  @Override
  public void forward() {
    int rows = targets.length;
    float[] z = logits.data();
    double total = 0;
    for (int r = 0; r < rows; r++) {
      int t = targets[r], o = logits.offset() + r * classes;
      if (t < 0 || t >= classes) {
        throw new IllegalArgumentException("target " + t + " of row " + r + " is outside 0.." + (classes - 1));
      }
      double max = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < classes; c++) {
        max = Math.max(max, z[o + c]);
      }
      double sum = 0;
      for (int c = 0; c < classes; c++) {
        sum += Math.exp(z[o + c] - max);
      }
      double logZ = max + Math.log(sum);
      for (int c = 0; c < classes; c++) {
        probs[r * classes + c] = (float) Math.exp(z[o + c] - logZ);
      }
      total += logZ - z[o + t];
    }
    loss.data()[loss.offset()] = (float) (total / rows);
  }

  @Override
  public void backward() {
    int rows = targets.length;
    float g = loss.grad()[loss.offset()] / rows;
    float[] dz = logits.grad();
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < classes; c++) {
        dz[logits.offset() + r * classes + c] += g * (probs[r * classes + c] - (c == targets[r] ? 1f : 0f));
      }
    }
  }
}
