package dev.mtk.training.loss;

import dev.mtk.models.nn.autograd.Tensor;
import dev.mtk.models.nn.loss.SupervisedContrastive;
import dev.mtk.models.nn.ops.L2Normalize;
import dev.mtk.models.nn.ops.PairScores;

/**
 * Supervised contrastive learning between two augmented views of each labelled image (Khosla et
 * al. 2020): rows are the batch's first views, then its second views; each is L2-normalised,
 * scores every other row at cos/τ, and its positives are the other rows of its class — its own
 * second view among them ({@link SupervisedContrastive}). No head: the loss shapes the embedding
 * itself, as InfoNCE does for pairs; under {@link MatryoshkaLoss}, on every prefix.
 */
public record SupCon(float temperature) implements Loss {

  public SupCon {
    if (!(temperature > 0)) {
      throw new IllegalArgumentException("supcon temperature must be > 0 (0.1 is usual), got " + temperature);
    }
  }

  @Override
  public Tensor attach(LossGraph g, Tensor embeddings) {
    int b = g.groups(), n = 2 * b, m = embeddings.dim(1);
    if (g.rowsPerGroup() != 2) {
      throw new IllegalArgumentException("supcon needs two views of each labelled example");
    }
    Tensor unit = g.tensor("unit", n, m);
    g.add(new L2Normalize(embeddings, unit));
    Tensor scores = g.tensor("scores", n, n);
    g.add(new PairScores(unit, 0, n, 0, n, 1f / temperature, scores));
    // both views carry their example's label (the trainer refills the B labels every step)
    Tensor loss = g.tensor("supcon", 1);
    g.add(new SupervisedContrastive(scores, g.labels(), loss));
    return loss;
  }

  @Override
  public LossGraph.Rows needs() {
    return LossGraph.Rows.VIEWS;
  }

  @Override
  public String describe() {
    return "SupCon(τ=" + temperature + ")";
  }
}
