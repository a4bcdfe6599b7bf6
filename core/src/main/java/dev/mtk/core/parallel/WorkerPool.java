package dev.mtk.core.parallel;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * A fixed pool of threads running a parallel-for. The calling thread takes part, so a pool of T
 * threads keeps T-1 workers. Tasks are numbered; which thread runs which task varies from run to
 * run, so callers make each task's arithmetic independent of the others (disjoint outputs, or
 * partial results combined afterwards in task order). That is what makes GEMM and every reduction
 * in mtk bit-identical for any thread count.
 *
 * <p>The shared pool has {@code -Dmtk.threads} threads, or one per available core.
 */
public final class WorkerPool implements AutoCloseable {

  public static final String THREADS_PROPERTY = "mtk.threads";

  private static final class Shared {
    static final WorkerPool POOL = new WorkerPool(defaultThreads(), true);
  }

  private final int threads;
  private final boolean shared;
  private final ExecutorService workers;

  /** A pool of its own; close it when done. */
  public WorkerPool(int threads) {
    this(threads, false);
  }

  private WorkerPool(int threads, boolean shared) {
    if (threads < 1) {
      throw new IllegalArgumentException("a pool needs at least 1 thread, got " + threads);
    }
    this.threads = threads;
    this.shared = shared;
    AtomicInteger id = new AtomicInteger();
    this.workers = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, r -> {
      Thread t = new Thread(r, "mtk-worker-" + id.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** The pool shared by default, sized by {@code -Dmtk.threads} or the number of cores. */
  public static WorkerPool shared() {
    return Shared.POOL;
  }

  /** {@code -Dmtk.threads} when set, else the number of available processors. */
  public static int defaultThreads() {
    String p = System.getProperty(THREADS_PROPERTY);
    if (p != null && !p.isBlank()) {
      try {
        int t = Integer.parseInt(p.trim());
        if (t >= 1) {
          return t;
        }
      } catch (NumberFormatException ignored) {
        // fall through to the message below
      }
      throw new IllegalArgumentException("-D" + THREADS_PROPERTY + "=" + p
          + " is not a positive whole number");
    }
    return Runtime.getRuntime().availableProcessors();
  }

  public int threads() {
    return threads;
  }

  /**
   * Runs {@code task.accept(i)} for every i in [0, tasks) and returns when all are done. The first
   * exception thrown by a task is rethrown here (after the others finish).
   */
  public void forEach(int tasks, IntConsumer task) {
    if (tasks <= 0) {
      return;
    }
    int helpers = Math.min(threads - 1, tasks - 1);
    if (helpers <= 0) {
      for (int i = 0; i < tasks; i++) {
        task.accept(i);
      }
      return;
    }
    AtomicInteger next = new AtomicInteger();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    // Wait for the tasks, not for the helpers: a helper that starts after every task was taken
    // finds nothing to do, so a nested forEach (called from inside a task) never waits on a worker
    // that is itself waiting.
    CountDownLatch done = new CountDownLatch(tasks);
    Runnable loop = () -> {
      for (int i; (i = next.getAndIncrement()) < tasks; ) {
        try {
          task.accept(i);
        } catch (Throwable t) {
          failure.compareAndSet(null, t);
        } finally {
          done.countDown();
        }
      }
    };
    for (int h = 0; h < helpers; h++) {
      workers.execute(loop);
    }
    loop.run();
    boolean interrupted = false;
    while (true) {
      try {
        done.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    Throwable t = failure.get();
    if (t instanceof RuntimeException re) {
      throw re;
    }
    if (t instanceof Error err) {
      throw err;
    }
    if (t != null) {
      throw new IllegalStateException(t);
    }
  }

  @Override
  public void close() {
    if (workers != null && !shared) {
      workers.shutdownNow();
    }
  }
}
