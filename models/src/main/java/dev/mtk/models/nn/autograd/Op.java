package dev.mtk.models.nn.autograd;

/**
 * One coarse operation of a {@link Graph}: forward computes its outputs from its inputs and saves
 * what backward needs; backward adds the gradients of its inputs ({@code +=}) from the gradients
 * of its outputs.
 */
public interface Op {
  void forward();

  void backward();
}
