package dev.mtk.models.nn.optim;

import dev.mtk.core.parallel.WorkerPool;
import java.util.Map;

/** An optimizer over one parameter arena, with the state a checkpoint must keep. */
public interface Optimizer {

  /** One update from the arena's gradients. */
  void step(WorkerPool pool, float lr);

  /** Updates made so far. */
  int stepCount();

  /** Named per-parameter state buffers (the live arrays), for checkpoints. */
  Map<String, float[]> state();

  /** Puts back a checkpoint's state: the step count and a copy of each buffer. */
  void restore(int steps, Map<String, float[]> state);
}
