package dev.mtk.core.parallel;

import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * A fixed pool of threads running a parallel-for. The calling thread takes part, so a pool of T
 * threads keeps T-1 helpers. Tasks are numbered; which thread runs which task varies from run to
 * run, so callers make each task's arithmetic independent of the others (disjoint outputs, or
 * partial results combined afterwards in task order). That is what makes GEMM and every reduction
 * in mtk bit-identical for any thread count.
 *
 * <p>Helpers spin for a short while ({@value #SPIN_NANOS} ns) after their last task before they
 * park: waking a parked thread costs tens of microseconds on a virtual machine, as much as a
 * whole single-query search, while the next parallel-for usually comes within microseconds.
 *
 * <p>The shared pool has {@code -Dmtk.threads} threads, or one per available core.
 */
public final class WorkerPool implements AutoCloseable {

  public static final String THREADS_PROPERTY = "mtk.threads";
  static final long SPIN_NANOS = 200_000;

  private static final class Shared {
    static final WorkerPool POOL = new WorkerPool(defaultThreads(), true);
  }

  /** One parallel-for: tasks are claimed by number; the caller waits for all to finish. */
  private static final class Job {
    final IntConsumer task;
    final int tasks;
    final AtomicInteger next = new AtomicInteger();
    final AtomicInteger unfinished;
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    final Thread caller = Thread.currentThread();
    volatile boolean callerParked;

    Job(IntConsumer task, int tasks) {
      this.task = task;
      this.tasks = tasks;
      this.unfinished = new AtomicInteger(tasks);
    }

    boolean open() {
      return next.get() < tasks;
    }

    void runTasks() {
      for (int i; (i = next.getAndIncrement()) < tasks; ) {
        try {
          task.accept(i);
        } catch (Throwable t) {
          failure.compareAndSet(null, t);
        } finally {
          if (unfinished.decrementAndGet() == 0 && Thread.currentThread() != caller && callerParked) {
            LockSupport.unpark(caller);
          }
        }
      }
    }
  }

  private final int threads;
  private final boolean shared;
  private final Thread[] helpers;
  private final ConcurrentLinkedDeque<Job> jobs = new ConcurrentLinkedDeque<>();
  private final AtomicInteger parked = new AtomicInteger();
  private volatile boolean closed;

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
    this.helpers = new Thread[threads - 1];
    for (int h = 0; h < helpers.length; h++) {
      helpers[h] = new Thread(this::help, "mtk-worker-" + (h + 1));
      helpers[h].setDaemon(true);
      helpers[h].start();
    }
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
   * exception thrown by a task is rethrown here (after the others finish). May be called from
   * inside a task: a thread only ever waits for tasks that other running threads have claimed, so
   * nesting cannot deadlock.
   */
  public void forEach(int tasks, IntConsumer task) {
    if (tasks <= 0) {
      return;
    }
    if (helpers.length == 0 || tasks == 1 || closed) {
      for (int i = 0; i < tasks; i++) {
        task.accept(i);
      }
      return;
    }
    Job job = new Job(task, tasks);
    jobs.addFirst(job);
    if (parked.get() > 0) {
      for (Thread h : helpers) {
        LockSupport.unpark(h);
      }
    }
    job.runTasks();
    jobs.remove(job);
    if (job.unfinished.get() != 0) {
      long spinEnd = System.nanoTime() + SPIN_NANOS;
      while (job.unfinished.get() != 0 && System.nanoTime() < spinEnd) {
        Thread.onSpinWait();
      }
      boolean interrupted = false;
      while (job.unfinished.get() != 0) {
        job.callerParked = true;
        if (job.unfinished.get() != 0) {
          LockSupport.park(this);
          interrupted |= Thread.interrupted();
        }
      }
      job.callerParked = false;
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    Throwable t = job.failure.get();
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

  private Job open() {
    for (Job j : jobs) {
      if (j.open()) {
        return j;
      }
    }
    return null;
  }

  private void help() {
    while (!closed) {
      Job j = open();
      if (j != null) {
        j.runTasks();
        continue;
      }
      long spinEnd = System.nanoTime() + SPIN_NANOS;
      while ((j = open()) == null && !closed && System.nanoTime() < spinEnd) {
        Thread.onSpinWait();
      }
      if (j != null || closed) {
        continue;
      }
      // announce the park, then look once more: a job added meanwhile either sees the count
      // (and unparks us) or is seen here
      parked.incrementAndGet();
      if (open() == null && !closed) {
        LockSupport.park(this);
      }
      parked.decrementAndGet();
    }
  }

  @Override
  public void close() {
    if (!shared) {
      closed = true;
      for (Thread h : helpers) {
        LockSupport.unpark(h);
      }
    }
  }
}
