package dev.mtk.training.loss;

import dev.mtk.models.nn.autograd.Tensor;

/**
 * A training loss over a batch's embeddings, composable as sentence-transformers' losses are: a
 * base loss ({@link InfoNce}, {@link SoftmaxClassification}, {@link MseDistillation}) scores one
 * embedding tensor; a wrapper ({@link MatryoshkaLoss}, {@link AdaptiveLayerLoss}) calls the loss
 * it wraps on prefixes or on earlier layers and weighs the results. Attaching declares tensors and
 * appends ops to the graph once; the graph then replays them every step.
 */
public interface Loss {

  /** Adds this loss over {@code embeddings} [rows, m] to the graph; returns the scalar [1]. */
  Tensor attach(LossGraph graph, Tensor embeddings);

  /** What the batch must hold, so a config that cannot work fails before training starts. */
  LossGraph.Rows needs();

  /** Whether this loss needs the embeddings of every layer (adaptive-layer training). */
  default boolean needsLayers() {
    return false;
  }

  /** A short description for logs and the run's config. */
  String describe();
}
