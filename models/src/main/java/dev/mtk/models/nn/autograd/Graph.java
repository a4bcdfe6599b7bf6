package dev.mtk.models.nn.autograd;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The tape: operations in the order they run. Built once for a batch shape, replayed each step:
 * {@link #forward} runs them in order, {@link #backward} zeroes the activation gradients, seeds
 * the loss gradient with 1 and runs them in reverse — micrograd's reverse mode over llm.c's
 * explicit forward/backward pairs.
 */
public final class Graph {

  private final List<Op> ops = new ArrayList<>();
  private final Arena activations;
  private final dev.mtk.core.parallel.WorkerPool pool;

  public Graph(Arena activations) {
    this(activations, null);
  }

  public Graph(Arena activations, dev.mtk.core.parallel.WorkerPool pool) {
    this.activations = activations;
    this.pool = pool;
  }

  public <T extends Op> T add(T op) {
    ops.add(op);
    return op;
  }

  public List<Op> ops() {
    return Collections.unmodifiableList(ops);
  }

  public void forward() {
    for (Op op : ops) {
      op.forward();
    }
  }

  /** Backpropagates from a scalar loss tensor (its gradient is set to 1). */
  public void backward(Tensor loss) {
    if (pool != null) {
      activations.zeroGrad(pool);
    } else {
      activations.zeroGrad();
    }
    loss.grad()[loss.offset()] = 1f;
    for (int i = ops.size() - 1; i >= 0; i--) {
      ops.get(i).backward();
    }
  }

  /**
   * Backpropagates a gradient that another graph computed for this graph's {@code output}: the
   * text tower of a dual encoder ends in its embeddings, and the loss over both towers lives in
   * the other tower's graph, which hands back d loss / d embeddings ({@code upstream}'s gradient,
   * of the same size).
   */
  public void backwardFrom(Tensor output, Tensor upstream) {
    if (upstream.size() != output.size()) {
      throw new IllegalArgumentException("gradient of " + upstream + " does not fit " + output);
    }
    if (pool != null) {
      activations.zeroGrad(pool);
    } else {
      activations.zeroGrad();
    }
    System.arraycopy(upstream.grad(), upstream.offset(), output.grad(), output.offset(), output.size());
    for (int i = ops.size() - 1; i >= 0; i--) {
      ops.get(i).backward();
    }
  }
}
