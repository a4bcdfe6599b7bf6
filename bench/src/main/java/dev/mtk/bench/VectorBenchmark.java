package dev.mtk.bench;

import dev.mtk.core.kernel.Vectors;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.apache.lucene.util.VectorUtil;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Similarity kernels on vectors in cache, one thread: mtk beside Lucene's VectorUtil (which uses
 * its own Panama implementation when jdk.incubator.vector is present). Operations per microsecond.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector",
    "-Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0"})
public class VectorBenchmark {

  @Param({"64", "256", "768", "1024"})
  int dim;

  float[] x, y;
  byte[] bx, by;
  long[] lx, ly;
  byte[] px, py;

  @Setup(Level.Trial)
  public void setup() {
    SplittableRandom rnd = new SplittableRandom(2);
    x = new float[dim];
    y = new float[dim];
    bx = new byte[dim];
    by = new byte[dim];
    for (int i = 0; i < dim; i++) {
      x[i] = (float) rnd.nextGaussian();
      y[i] = (float) rnd.nextGaussian();
      bx[i] = (byte) rnd.nextInt(256);
      by[i] = (byte) rnd.nextInt(256);
    }
    // binary codes: one bit per dimension, as longs for mtk and as bytes for Lucene
    lx = new long[(dim + 63) / 64];
    ly = new long[lx.length];
    px = new byte[lx.length * 8];
    py = new byte[lx.length * 8];
    for (int i = 0; i < lx.length; i++) {
      lx[i] = rnd.nextLong();
      ly[i] = rnd.nextLong();
      for (int k = 0; k < 8; k++) {
        px[i * 8 + k] = (byte) (lx[i] >>> (8 * k));
        py[i * 8 + k] = (byte) (ly[i] >>> (8 * k));
      }
    }
  }

  @Benchmark
  public float dotMtk() {
    return Vectors.dot(x, y);
  }

  @Benchmark
  public float dotLucene() {
    return VectorUtil.dotProduct(x, y);
  }

  @Benchmark
  public float cosineMtk() {
    return Vectors.cosine(x, y);
  }

  @Benchmark
  public float cosineLucene() {
    return VectorUtil.cosine(x, y);
  }

  @Benchmark
  public int int8DotMtk() {
    return Vectors.dotInt8(bx, by);
  }

  @Benchmark
  public int int8DotLucene() {
    return VectorUtil.dotProduct(bx, by);
  }

  @Benchmark
  public long hammingMtk() {
    return Vectors.hamming(lx, ly);
  }

  @Benchmark
  public int hammingLucene() {
    return VectorUtil.xorBitCount(px, py);
  }
}
