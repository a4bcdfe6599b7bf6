package dev.mtk.training.loss;

import dev.mtk.models.nn.autograd.Tensor;
import dev.mtk.models.nn.loss.Mse;
import dev.mtk.models.nn.ops.L2Normalize;
import dev.mtk.models.nn.ops.PairScores;
import dev.mtk.models.nn.ops.WeightedSum;

/**
 * Self-distillation of a similarity structure, for unlabelled text: the student's cosine
 * similarities between every two rows of the batch are pulled towards the teacher's full-width
 * cosine similarities of the same rows (MSE over the R×R matrix). Under {@link MatryoshkaLoss}
 * each prefix learns to rank pairs as the whole teacher does; it need not reproduce the teacher's
 * coordinates, which a 16-dimensional prefix could not. At the teacher's own width an anchor
 * term is added: {@code anchorWeight} · mean over rows of (1 − cos(student, teacher)), which
 * keeps the full embedding where the teacher put it, so the full width does not drift while the
 * prefixes move. The teacher is a constant: it receives no gradient.
 */
public record SimilarityDistillation(float anchorWeight) implements Loss {

  public SimilarityDistillation {
    if (!(anchorWeight >= 0) || !Float.isFinite(anchorWeight)) {
      throw new IllegalArgumentException("loss.anchor_weight must be a finite number ≥ 0, got " + anchorWeight);
    }
  }

  @Override
  public Tensor attach(LossGraph g, Tensor embeddings) {
    Tensor teacher = g.teacherFor(embeddings.dim(1));
    int rows = embeddings.dim(0), m = embeddings.dim(1), t = teacher.dim(1);
    Tensor unit = g.tensor("unit", rows, m);
    g.add(new L2Normalize(embeddings, unit));
    Tensor cos = g.tensor("cos", rows, rows);
    g.add(new PairScores(unit, 0, rows, 0, rows, 1f, cos));
    Tensor teacherUnit = g.tensor("teacher_unit", rows, t);
    g.add(new L2Normalize(teacher, teacherUnit));
    Tensor teacherCos = g.tensor("teacher_cos", rows, rows);
    g.add(new PairScores(teacherUnit, 0, rows, 0, rows, 1f, teacherCos));
    Tensor structure = g.tensor("similarity_mse", 1);
    g.add(new Mse(cos, teacherCos, structure));
    if (m < t || anchorWeight == 0) {
      return structure;
    }
    // mean of (u − v)² over rows·t elements is mean(2 − 2cos)/t: scaled by t/2, mean(1 − cos)
    Tensor anchor = g.tensor("anchor_mse", 1);
    g.add(new Mse(unit, teacherUnit, anchor));
    g.component("anchor", anchor);
    g.component("structure", structure);
    Tensor total = g.tensor("similarity_total", 1);
    g.add(new WeightedSum(new Tensor[] {structure, anchor}, new float[] {1f, anchorWeight * t / 2f}, total));
    return total;
  }

  @Override
  public LossGraph.Rows needs() {
    return LossGraph.Rows.ANY;
  }

  @Override
  public String describe() {
    return "similarity distillation (anchor " + anchorWeight + ")";
  }
}
