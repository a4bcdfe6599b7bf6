package dev.mtk.training.loss;

import dev.mtk.models.nn.loss.Mse;
import dev.mtk.models.nn.ops.PrefixSlice;
import dev.mtk.models.nn.autograd.Tensor;

/**
 * Distillation: mean squared error between the student's embedding and a teacher's embedding of
 * the same text (sentence-transformers' MSELoss). Under {@link MatryoshkaLoss} the teacher's
 * vector is cut to the student's prefix, so the student's first m dimensions learn the teacher's
 * first m. The teacher is a constant: it receives no gradient.
 */
public record MseDistillation() implements Loss {

  @Override
  public Tensor attach(LossGraph g, Tensor embeddings) {
    Tensor teacher = g.teacherFor(embeddings.dim(1));
    int rows = embeddings.dim(0), m = embeddings.dim(1), t = teacher.dim(1);
    Tensor target = teacher;
    if (m < t) {
      target = g.tensor("teacher_prefix", rows, m);
      g.add(new PrefixSlice(teacher, target));
    }
    Tensor loss = g.tensor("mse", 1);
    g.add(new Mse(embeddings, target, loss));
    return loss;
  }

  @Override
  public LossGraph.Rows needs() {
    return LossGraph.Rows.ANY;
  }

  @Override
  public String describe() {
    return "MSE distillation";
  }
}
