package dev.mtk.tokenizers.codebook;

import dev.mtk.core.kernel.Vectors;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.tokenizers.FloatTokens;
import java.util.SplittableRandom;

/**
 * A k-means codebook: k centroids of dimension d that turn continuous tokens (image patches,
 * audio frames, tubelets) into integer ids, as BPE does for text. Trained by k-means++
 * initialisation and Lloyd iterations; the distances use the SIMD squared-L2 kernel. Deterministic
 * for a seed and any thread count: random draws come from one seeded generator in a fixed order,
 * each point's nearest centroid is independent of the others, and centroid sums are taken over
 * fixed chunks of points combined in chunk order.
 */
public final class Codebook {

  static final int CHUNK = 4096;

  private final float[] centroids;
  private final int k, dim;

  public Codebook(float[] centroids, int k, int dim) {
    if (k < 1 || dim < 1 || (long) k * dim != centroids.length) {
      throw new IllegalArgumentException(k + " × " + dim + " does not match " + centroids.length
          + " values");
    }
    this.centroids = centroids;
    this.k = k;
    this.dim = dim;
  }

  public int size() {
    return k;
  }

  public int dim() {
    return dim;
  }

  public float[] centroids() {
    return centroids.clone();
  }

  /** Progress of training: iteration, iterations, mean squared error so far. */
  @FunctionalInterface
  public interface Progress {
    Progress NONE = (i, n, mse) -> {};

    void update(int iteration, int iterations, double mse);
  }

  /** Trains k centroids on the tokens: k-means++ seeding, then {@code iterations} Lloyd steps. */
  public static Codebook train(FloatTokens x, int k, int iterations, long seed, WorkerPool pool,
      Progress progress) {
    int n = x.count(), d = x.dim();
    if (k < 1 || k > n) {
      throw new IllegalArgumentException("k = " + k + " needs between 1 and the " + n
          + " tokens given");
    }
    float[] v = x.values();
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] c = new float[k * d];
    // k-means++: each next centroid is drawn with probability proportional to the squared
    // distance to the nearest one chosen so far
    double[] near = new double[n];
    int first = rnd.nextInt(n);
    System.arraycopy(v, first * d, c, 0, d);
    pool.forEach(chunks(n), t -> {
      for (int i = t * CHUNK; i < Math.min(n, (t + 1) * CHUNK); i++) {
        near[i] = Vectors.squaredL2(v, i * d, c, 0, d);
      }
    });
    for (int j = 1; j < k; j++) {
      double total = 0;
      for (int i = 0; i < n; i++) {
        total += near[i];
      }
      int pick;
      if (total <= 0) {
        pick = rnd.nextInt(n); // every token sits on a centroid: any will do
      } else {
        double r = rnd.nextDouble() * total;
        pick = n - 1;
        for (int i = 0; i < n; i++) {
          r -= near[i];
          if (r < 0) {
            pick = i;
            break;
          }
        }
      }
      System.arraycopy(v, pick * d, c, j * d, d);
      int cj = j;
      pool.forEach(chunks(n), t -> {
        for (int i = t * CHUNK; i < Math.min(n, (t + 1) * CHUNK); i++) {
          near[i] = Math.min(near[i], Vectors.squaredL2(v, i * d, c, cj * d, d));
        }
      });
    }
    Codebook book = new Codebook(c, k, d);
    int[] assign = new int[n];
    for (int it = 0; it < iterations; it++) {
      double mse = book.assign(x, assign, pool);
      progress.update(it + 1, iterations, mse);
      // new centroids: per-chunk sums in double, combined in chunk order
      int chunks = chunks(n);
      double[][] sums = new double[chunks][];
      int[][] counts = new int[chunks][];
      pool.forEach(chunks, t -> {
        double[] s = new double[k * d];
        int[] cnt = new int[k];
        for (int i = t * CHUNK; i < Math.min(n, (t + 1) * CHUNK); i++) {
          int a = assign[i];
          cnt[a]++;
          for (int j = 0; j < d; j++) {
            s[a * d + j] += v[i * d + j];
          }
        }
        sums[t] = s;
        counts[t] = cnt;
      });
      double[] total = new double[k * d];
      long[] count = new long[k];
      for (int t = 0; t < chunks; t++) {
        for (int i = 0; i < k * d; i++) {
          total[i] += sums[t][i];
        }
        for (int j = 0; j < k; j++) {
          count[j] += counts[t][j];
        }
      }
      for (int j = 0; j < k; j++) {
        if (count[j] == 0) {
          continue; // an empty cluster keeps its centroid
        }
        for (int i = 0; i < d; i++) {
          c[j * d + i] = (float) (total[j * d + i] / count[j]);
        }
      }
    }
    return book;
  }

  /** The id of each token's nearest centroid (the lower id on ties); returns the mean squared error. */
  public double assign(FloatTokens x, int[] out, WorkerPool pool) {
    if (x.dim() != dim) {
      throw new IllegalArgumentException("tokens have " + x.dim() + " dimensions, the codebook "
          + dim);
    }
    int n = x.count();
    float[] v = x.values();
    double[] err = new double[chunks(n)];
    pool.forEach(chunks(n), t -> {
      double e = 0;
      for (int i = t * CHUNK; i < Math.min(n, (t + 1) * CHUNK); i++) {
        int best = 0;
        float bestD = Float.POSITIVE_INFINITY;
        for (int j = 0; j < k; j++) {
          float dd = Vectors.squaredL2(v, i * dim, centroids, j * dim, dim);
          if (dd < bestD) {
            bestD = dd;
            best = j;
          }
        }
        out[i] = best;
        e += bestD;
      }
      err[t] = e;
    });
    double total = 0;
    for (double e : err) {
      total += e;
    }
    return n == 0 ? 0 : total / n / dim;
  }

  private static int chunks(int n) {
    return Math.max(1, (n + CHUNK - 1) / CHUNK);
  }
}
