package dev.mtk.training.eval;

import java.util.SplittableRandom;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * Post-hoc ways to shorten a standard model's embeddings, the baselines Matryoshka training is
 * compared with: PCA (the top principal components, fitted on training embeddings, in order of
 * variance, so any prefix is the PCA of that size) and a Gaussian random projection (seeded; its
 * first m rows are a random projection to m dimensions).
 */
public final class Baselines {

  /** A linear map x ↦ W (x − mean), W [out, in]. */
  public record Projection(float[] weight, float[] mean, int in, int out) {

    public float[] apply(float[] x, int rows) {
      float[] y = new float[rows * out];
      for (int r = 0; r < rows; r++) {
        for (int o = 0; o < out; o++) {
          double s = 0;
          for (int i = 0; i < in; i++) {
            s += (double) weight[o * in + i] * (x[r * in + i] - mean[i]);
          }
          y[r * out + o] = (float) s;
        }
      }
      return y;
    }
  }

  private Baselines() {}

  /** PCA of rows [n, d]: components by decreasing variance (eigen-decomposition of the covariance). */
  public static Projection pca(float[] x, int n, int d) {
    return pca(x, n, d, true);
  }

  /**
   * PCA of rows [n, d]; uncentred ({@code centred} false: the eigenvectors of the second moment,
   * mean 0) it is a pure rotation, so cosines at the full width stay what they were while each
   * prefix holds the most of the embeddings' energy any m directions can.
   */
  public static Projection pca(float[] x, int n, int d, boolean centred) {
    float[] mean = new float[d];
    double[] mu = new double[d];
    if (centred) {
      for (int r = 0; r < n; r++) {
        for (int i = 0; i < d; i++) {
          mu[i] += x[r * d + i];
        }
      }
      for (int i = 0; i < d; i++) {
        mu[i] /= n;
        mean[i] = (float) mu[i];
      }
    }
    DMatrixRMaj cov = new DMatrixRMaj(d, d);
    for (int r = 0; r < n; r++) {
      for (int i = 0; i < d; i++) {
        double xi = x[r * d + i] - mu[i];
        for (int j = i; j < d; j++) {
          cov.data[i * d + j] += xi * (x[r * d + j] - mu[j]);
        }
      }
    }
    for (int i = 0; i < d; i++) {
      for (int j = i; j < d; j++) {
        cov.data[i * d + j] /= Math.max(1, n - 1);
        cov.data[j * d + i] = cov.data[i * d + j];
      }
    }
    EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(d, true, true);
    if (!eig.decompose(cov)) {
      throw new IllegalStateException("PCA: the eigen-decomposition did not converge");
    }
    Integer[] order = new Integer[d];
    for (int i = 0; i < d; i++) {
      order[i] = i;
    }
    // by decreasing eigenvalue; equal ones by index, so the result does not depend on chance
    java.util.Arrays.sort(order, (a, b) -> {
      int c = Double.compare(eig.getEigenvalue(b).real, eig.getEigenvalue(a).real);
      return c != 0 ? c : Integer.compare(a, b);
    });
    float[] w = new float[d * d];
    for (int o = 0; o < d; o++) {
      DMatrixRMaj v = eig.getEigenVector(order[o]);
      // a fixed sign: the largest-magnitude entry positive
      int arg = 0;
      for (int i = 1; i < d; i++) {
        if (Math.abs(v.data[i]) > Math.abs(v.data[arg])) {
          arg = i;
        }
      }
      double sign = v.data[arg] < 0 ? -1 : 1;
      for (int i = 0; i < d; i++) {
        w[o * d + i] = (float) (sign * v.data[i]);
      }
    }
    return new Projection(w, mean, d, d);
  }

  /** A d × d Gaussian projection, N(0, 1/d) entries, from the seed. */
  public static Projection randomProjection(int d, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] w = new float[d * d];
    for (int i = 0; i < w.length; i++) {
      double u1 = rnd.nextDouble(), u2 = rnd.nextDouble();
      w[i] = (float) (Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2) / Math.sqrt(d));
    }
    return new Projection(w, new float[d], d, d);
  }
}
