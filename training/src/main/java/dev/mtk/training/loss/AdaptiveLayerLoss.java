package dev.mtk.training.loss;

import dev.mtk.models.nn.loss.KlDivergence;
import dev.mtk.models.nn.autograd.Tensor;
import dev.mtk.models.nn.ops.WeightedSum;

/**
 * Adaptive layers (sentence-transformers' AdaptiveLayerLoss; with a {@link MatryoshkaLoss} inside,
 * 2D Matryoshka: layers × dims). The wrapped loss runs on the last layer's embedding and on each
 * earlier layer's (final layer norm and pooling applied to that layer's output), so a model cut
 * after layer l still embeds well. As sentence-transformers weighs it:
 *
 * <pre>
 * L = w_last · loss(last)
 *   + Σ_{l ∈ S} [ w_prior · loss(layer l) / (1 + l) / |S|
 *               + w_kl · τ · KL(softmax(last / τ) ‖ softmax(layer l / τ)) ]
 * </pre>
 *
 * with l counted from 0, the last layer a detached teacher in the KL term (it receives no
 * gradient from it), and S all earlier layers, or {@code layersPerStep} of them drawn each step
 * from the run's seed and the step number.
 */
public final class AdaptiveLayerLoss implements Loss {

  private final Loss inner;
  private final int layersPerStep;
  private final float lastWeight, priorWeight, klWeight, klTemperature;

  public AdaptiveLayerLoss(Loss inner, int layersPerStep, float lastWeight, float priorWeight,
      float klWeight, float klTemperature) {
    if (inner instanceof AdaptiveLayerLoss) {
      throw new IllegalArgumentException("AdaptiveLayerLoss cannot wrap itself");
    }
    if (layersPerStep == 0 || layersPerStep < -1) {
      throw new IllegalArgumentException("layers_per_step " + layersPerStep + ": give -1 (every "
          + "earlier layer each step) or a positive number");
    }
    if (!(lastWeight >= 0) || !(priorWeight >= 0) || !(klWeight >= 0)) {
      throw new IllegalArgumentException("adaptive-layer weights must be ≥ 0");
    }
    if (!(klTemperature > 0)) {
      throw new IllegalArgumentException("kl_temperature must be > 0 (0.3 is usual)");
    }
    this.inner = inner;
    this.layersPerStep = layersPerStep;
    this.lastWeight = lastWeight;
    this.priorWeight = priorWeight;
    this.klWeight = klWeight;
    this.klTemperature = klTemperature;
  }

  public Loss inner() {
    return inner;
  }

  @Override
  public Tensor attach(LossGraph g, Tensor embeddings) {
    Tensor[] layers = g.layers();
    int last = layers.length - 1;
    if (layers[last] != embeddings) {
      throw new IllegalArgumentException("AdaptiveLayerLoss must be the outermost loss: it needs every layer");
    }
    int prior = last;
    if (prior == 0) {
      throw new IllegalArgumentException("adaptive layers need a model with at least 2 layers; this one has 1");
    }
    int chosen = layersPerStep < 0 ? prior : Math.min(layersPerStep, prior);
    Tensor[] parts = new Tensor[1 + 2 * prior];
    // names count layers from 1, as everywhere in mtk: "layer2" is the model after 2 layers
    parts[0] = g.scoped("layer" + (last + 1) + "/", inner, embeddings);
    g.component("layer" + (last + 1), parts[0]);
    for (int l = 0; l < prior; l++) {
      String name = "layer" + (l + 1);
      parts[1 + 2 * l] = g.scoped(name + "/", inner, layers[l]);
      g.component(name, parts[1 + 2 * l]);
      Tensor kl = g.tensor(name + "/kl", 1);
      g.add(new KlDivergence(layers[l], embeddings, klTemperature, kl));
      g.component(name + "/kl", kl);
      parts[2 + 2 * l] = kl;
    }
    float[] full = new float[parts.length];
    full[0] = lastWeight;
    for (int l = 0; l < prior; l++) {
      full[1 + 2 * l] = chosen == 0 ? 0f : priorWeight / (1 + l) / chosen;
      full[2 + 2 * l] = klWeight * klTemperature;
    }
    Tensor total = g.tensor("adaptive_layers", 1);
    WeightedSum sum = g.add(new WeightedSum(parts, full, total));
    if (chosen > 0 && chosen < prior) {
      long seed = g.seed() + 0x632BE59BD9B4E019L;
      g.everyStep(step -> {
        for (int l = 0; l < prior; l++) {
          sum.weight(1 + 2 * l, 0f);
          sum.weight(2 + 2 * l, 0f);
        }
        for (int l : MatryoshkaLoss.sample(prior, chosen, seed, step)) {
          sum.weight(1 + 2 * l, full[1 + 2 * l]);
          sum.weight(2 + 2 * l, full[2 + 2 * l]);
        }
      });
    }
    return total;
  }

  @Override
  public LossGraph.Rows needs() {
    return inner.needs();
  }

  @Override
  public boolean needsLayers() {
    return true;
  }

  @Override
  public String describe() {
    return "adaptive layers of " + inner.describe();
  }
}
