package dev.mtk.training.loss;

import dev.mtk.models.nn.loss.CrossEntropy;
import dev.mtk.models.nn.ops.L2Normalize;
import dev.mtk.models.nn.ops.PairScores;
import dev.mtk.models.nn.autograd.Tensor;
import dev.mtk.models.nn.ops.WeightedSum;

/**
 * InfoNCE with in-batch negatives (sentence-transformers' MultipleNegativesRankingLoss): rows are
 * L2-normalised, anchor i scores every positive (and every hard negative, for triplets) at
 * cos/τ, and the loss is the cross-entropy of picking its own positive, averaged over anchors.
 * Symmetric adds the positives → anchors direction and averages the two.
 */
public record InfoNce(float temperature, boolean symmetric) implements Loss {

  public InfoNce {
    if (!(temperature > 0)) {
      throw new IllegalArgumentException("InfoNCE temperature must be > 0 (0.05 is usual), got " + temperature);
    }
  }

  @Override
  public Tensor attach(LossGraph g, Tensor embeddings) {
    int b = g.groups(), k = g.rowsPerGroup(), m = embeddings.dim(1);
    if (k < 2) {
      throw new IllegalArgumentException("InfoNCE needs (anchor, positive) pairs; this data has one text per example");
    }
    Tensor unit = g.tensor("unit", b * k, m);
    g.add(new L2Normalize(embeddings, unit));
    int[] diagonal = new int[b];
    for (int i = 0; i < b; i++) {
      diagonal[i] = i;
    }
    Tensor logits = g.tensor("logits", b, (k - 1) * b);
    g.add(new PairScores(unit, 0, b, b, (k - 1) * b, 1f / temperature, logits));
    Tensor forward = g.tensor("ce", 1);
    g.add(new CrossEntropy(logits, diagonal, forward));
    if (!symmetric) {
      return forward;
    }
    Tensor reverse = g.tensor("reverse_logits", b, b);
    g.add(new PairScores(unit, b, b, 0, b, 1f / temperature, reverse));
    Tensor backward = g.tensor("reverse_ce", 1);
    g.add(new CrossEntropy(reverse, diagonal, backward));
    Tensor mean = g.tensor("symmetric", 1);
    g.add(new WeightedSum(new Tensor[] {forward, backward}, new float[] {0.5f, 0.5f}, mean));
    return mean;
  }

  @Override
  public LossGraph.Rows needs() {
    return LossGraph.Rows.PAIRS;
  }

  @Override
  public String describe() {
    return (symmetric ? "symmetric " : "") + "InfoNCE(τ=" + temperature + ")";
  }
}
