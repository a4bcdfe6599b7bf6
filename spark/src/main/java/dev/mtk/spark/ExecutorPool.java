package dev.mtk.spark;

import dev.mtk.core.parallel.WorkerPool;

/** The one pool of an executor JVM's mtk work, shared by its tasks (daemon threads). */
public final class ExecutorPool {
  private static WorkerPool pool;

  private ExecutorPool() {}

  public static synchronized WorkerPool get(int threads) {
    if (pool == null) {
      pool = new WorkerPool(threads);
    }
    return pool;
  }
}
