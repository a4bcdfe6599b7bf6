package dev.mtk.training.loss;

import dev.mtk.models.nn.loss.CrossEntropy;
import dev.mtk.models.nn.ops.Linear;
import dev.mtk.models.nn.autograd.Tensor;

/**
 * Cross-entropy of a linear classifier on the embedding (logits = z · Wᵀ + b), as the MRL paper
 * trains ImageNet. Under {@link MatryoshkaLoss}, each prefix size gets its own head [C, m] (MRL),
 * or, with {@code shared}, every prefix uses the first m columns of one head [C, d] (MRL-E, the
 * paper's "efficient" variant: one set of weights for all sizes).
 */
public final class SoftmaxClassification implements Loss {

  private final int classes;
  private final boolean shared;
  private LossGraph sharedFor;
  private Tensor sharedWeight, sharedBias;

  public SoftmaxClassification(int classes, boolean shared) {
    if (classes < 2) {
      throw new IllegalArgumentException("classification needs at least 2 classes, the data has " + classes);
    }
    this.classes = classes;
    this.shared = shared;
  }

  public int classes() {
    return classes;
  }

  public boolean shared() {
    return shared;
  }

  @Override
  public Tensor attach(LossGraph g, Tensor embeddings) {
    int rows = embeddings.dim(0), m = embeddings.dim(1);
    if (g.rowsPerGroup() != 1) {
      throw new IllegalArgumentException("classification needs labelled text (one text per example), not pairs");
    }
    Tensor weight, bias;
    if (shared) {
      if (sharedFor != g) {
        // the parameter arena is shared by the whole graph; declare the head once per graph
        sharedWeight = g.sharedParameter("head.weight", classes, g.width());
        sharedBias = g.sharedParameter("head.bias", classes);
        sharedFor = g;
      }
      weight = sharedWeight;
      bias = sharedBias;
    } else {
      weight = g.parameter("head.weight", classes, m);
      bias = g.parameter("head.bias", classes);
    }
    Tensor logits = g.tensor("class_logits", rows, classes);
    g.add(new Linear(g.pool(), embeddings, weight, bias, logits, m));
    Tensor loss = g.tensor("class_ce", 1);
    g.add(new CrossEntropy(logits, g.labels(), loss));
    return loss;
  }

  @Override
  public LossGraph.Rows needs() {
    return LossGraph.Rows.LABELLED;
  }

  @Override
  public String describe() {
    return "softmax classification (" + classes + " classes, " + (shared ? "one shared head: MRL-E" : "a head per size: MRL") + ")";
  }
}
