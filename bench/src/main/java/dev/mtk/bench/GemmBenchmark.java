package dev.mtk.bench;

import dev.mtk.core.kernel.Gemm;
import dev.mtk.core.parallel.WorkerPool;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.CommonOps_FDRM;
import org.ejml.dense.row.CommonOps_MT_FDRM;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * C = A·B, n×n float32: mtk's packed GEMM beside EJML (single-threaded CommonOps_FDRM, and
 * CommonOps_MT_FDRM with threads). Time per multiplication; GFLOPS = 2n³ / time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector",
    "-Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0"})
public class GemmBenchmark {

  @Param({"256", "512", "1024"})
  int n;

  @Param({"1", "2"})
  int threads;

  float[] a, b, c;
  FMatrixRMaj ea, eb, ec;
  WorkerPool pool;

  @Setup(Level.Trial)
  public void setup() {
    SplittableRandom rnd = new SplittableRandom(1);
    a = new float[n * n];
    b = new float[n * n];
    c = new float[n * n];
    for (int i = 0; i < n * n; i++) {
      a[i] = (float) rnd.nextDouble();
      b[i] = (float) rnd.nextDouble();
    }
    ea = new FMatrixRMaj(n, n, true, a);
    eb = new FMatrixRMaj(n, n, true, b);
    ec = new FMatrixRMaj(n, n);
    pool = new WorkerPool(threads);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    pool.close();
  }

  @Benchmark
  public float[] mtk() {
    Gemm.sgemm(pool, false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
    return c;
  }

  @Benchmark
  public FMatrixRMaj ejml() {
    if (threads == 1) {
      CommonOps_FDRM.mult(ea, eb, ec);
    } else {
      CommonOps_MT_FDRM.mult(ea, eb, ec);
    }
    return ec;
  }
}
