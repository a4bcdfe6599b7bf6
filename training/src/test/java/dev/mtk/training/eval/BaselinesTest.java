package dev.mtk.training.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;
import org.junit.jupiter.api.Test;

class BaselinesTest {

  @Test
  void pcaFindsTheVarianceOrderAndMatchesTheSvd() {
    // 500 points in 6 dims with per-axis scales 6, 5, … 1 after a random rotation
    SplittableRandom rnd = new SplittableRandom(4);
    int n = 500, d = 6;
    float[] x = new float[n * d];
    for (int r = 0; r < n; r++) {
      for (int i = 0; i < d; i++) {
        x[r * d + i] = (float) (rnd.nextGaussian() * (d - i) + 3);
      }
    }
    Baselines.Projection p = Baselines.pca(x, n, d);
    float[] y = p.apply(x, n);
    double[] var = new double[d];
    for (int r = 0; r < n; r++) {
      for (int i = 0; i < d; i++) {
        var[i] += y[r * d + i] * y[r * d + i] / (n - 1);
      }
    }
    for (int i = 1; i < d; i++) {
      assertTrue(var[i] <= var[i - 1] + 1e-6, "variance decreases: " + java.util.Arrays.toString(var));
    }
    // the singular values of the centred data, squared / (n − 1), are the component variances
    DMatrixRMaj a = new DMatrixRMaj(n, d);
    for (int r = 0; r < n; r++) {
      for (int i = 0; i < d; i++) {
        a.set(r, i, x[r * d + i] - p.mean()[i]);
      }
    }
    SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(n, d, false, false, true);
    assertTrue(svd.decompose(a));
    double[] sv = svd.getSingularValues().clone();
    java.util.Arrays.sort(sv);
    for (int i = 0; i < d; i++) {
      assertEquals(sv[d - 1 - i] * sv[d - 1 - i] / (n - 1), var[i], 1e-3 * var[0], "component " + i);
    }
    // components are orthonormal
    for (int i = 0; i < d; i++) {
      for (int j = 0; j < d; j++) {
        double dot = 0;
        for (int k = 0; k < d; k++) {
          dot += p.weight()[i * d + k] * p.weight()[j * d + k];
        }
        assertEquals(i == j ? 1 : 0, dot, 1e-5);
      }
    }
  }

  @Test
  void randomProjectionIsSeeded() {
    assertArrayEquals(Baselines.randomProjection(16, 3).weight(), Baselines.randomProjection(16, 3).weight());
    assertTrue(!java.util.Arrays.equals(Baselines.randomProjection(16, 3).weight(),
        Baselines.randomProjection(16, 4).weight()));
  }
}
