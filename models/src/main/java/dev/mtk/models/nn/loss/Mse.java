package dev.mtk.models.nn.loss;

import dev.mtk.models.nn.autograd.Op;
import dev.mtk.models.nn.autograd.Tensor;

/**
 * mean((student − teacher)²) over all elements; the teacher is a constant (detached): only the
 * student receives a gradient. For distillation, the student's prefix against the teacher's.
 */
public final class Mse implements Op {

  private final Tensor student, teacher, loss;

  public Mse(Tensor student, Tensor teacher, Tensor loss) {
    if (student.size() != teacher.size()) {
      throw new IllegalArgumentException("MSE: " + student + " vs " + teacher);
    }
    this.student = student;
    this.teacher = teacher;
    this.loss = loss;
  }

  @Override
  public void forward() {
    double s = 0;
    for (int i = 0; i < student.size(); i++) {
      double d = student.data()[student.offset() + i] - teacher.data()[teacher.offset() + i];
      s += d * d;
    }
    loss.data()[loss.offset()] = (float) (s / student.size());
  }

  @Override
  public void backward() {
    float g = 2f * loss.grad()[loss.offset()] / student.size();
    for (int i = 0; i < student.size(); i++) {
      student.grad()[student.offset() + i] +=
          g * (student.data()[student.offset() + i] - teacher.data()[teacher.offset() + i]);
    }
  }
}
