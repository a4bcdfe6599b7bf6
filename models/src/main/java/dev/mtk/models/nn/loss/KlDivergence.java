package dev.mtk.models.nn.loss;

import dev.mtk.models.nn.autograd.Op;
import dev.mtk.models.nn.autograd.Tensor;

/**
 * KL(softmax(teacher / τ) ‖ softmax(student / τ)) per row, averaged over rows: the alignment of an
 * earlier layer (student) to the last (teacher, detached) in adaptive-layer training. Only the
 * student receives a gradient.
 */
public final class KlDivergence implements Op {

  private final Tensor student, teacher, loss; // [rows, C], [rows, C], [1]
  private final float temperature;
  private final int classes;
  private final float[] ps, pt;

  public KlDivergence(Tensor student, Tensor teacher, float temperature, Tensor loss) {
    this.student = student;
    this.teacher = teacher;
    this.temperature = temperature;
    this.loss = loss;
    this.classes = student.dim(student.shape().length - 1);
    this.ps = new float[student.size()];
    this.pt = new float[student.size()];
  }

  private static double logSoftmax(float[] z, int off, int n, float tau, float[] p, int pOff) {
    double max = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < n; c++) {
      max = Math.max(max, z[off + c] / tau);
    }
    double sum = 0;
    for (int c = 0; c < n; c++) {
      sum += Math.exp(z[off + c] / tau - max);
    }
    double logZ = max + Math.log(sum);
    for (int c = 0; c < n; c++) {
      p[pOff + c] = (float) Math.exp(z[off + c] / tau - logZ);
    }
    return logZ;
  }

  @Override
  public void forward() {
    int rows = student.size() / classes;
    double total = 0;
    for (int r = 0; r < rows; r++) {
      int so = student.offset() + r * classes, to = teacher.offset() + r * classes;
      double lzs = logSoftmax(student.data(), so, classes, temperature, ps, r * classes);
      double lzt = logSoftmax(teacher.data(), to, classes, temperature, pt, r * classes);
      for (int c = 0; c < classes; c++) {
        double logPt = teacher.data()[to + c] / temperature - lzt;
        double logPs = student.data()[so + c] / temperature - lzs;
        total += pt[r * classes + c] * (logPt - logPs);
      }
    }
    loss.data()[loss.offset()] = (float) (total / rows);
  }

  @Override
  public void backward() {
    int rows = student.size() / classes;
    float g = loss.grad()[loss.offset()] / (rows * temperature);
    for (int i = 0; i < student.size(); i++) {
      student.grad()[student.offset() + i] += g * (ps[i] - pt[i]);
    }
  }
}
