package dev.mtk.models.nn;

import dev.mtk.models.nn.autograd.Arena;
import dev.mtk.models.nn.autograd.Graph;
import dev.mtk.models.nn.autograd.Tensor;
import dev.mtk.models.nn.ops.Add;
import dev.mtk.models.nn.ops.Gelu;
import dev.mtk.models.nn.ops.LayerNorm;
import dev.mtk.models.nn.ops.Linear;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mtk.core.kernel.GeluForm;
import dev.mtk.core.parallel.WorkerPool;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Row-wise ops run inside a linear layer's GEMM ({@link Linear#then}) give the bits they give when
 * run on their own after it: residual add then layer norm (as after an attention projection), and
 * GELU (after the first MLP layer). Shapes cover the small-GEMM path, the packed path with the
 * epilogue in its tasks, the packed path with the epilogue after it (wider than a column block),
 * and widths that are not a multiple of any vector length.
 */
class FusionTest {

  @Test
  void fusedRowOpsGiveTheSameBitsAsSeparateOnes() {
    int[][] shapes = {{9, 13, 37}, {640, 256, 256}, {203, 70, 1100}, {1000, 300, 53}};
    for (int[] sh : shapes) {
      for (int threads : new int[] {1, 2, 3}) {
        try (WorkerPool pool = new WorkerPool(threads)) {
          float[][] fused = run(pool, sh[0], sh[1], sh[2], true);
          float[][] separate = run(pool, sh[0], sh[1], sh[2], false);
          for (int t = 0; t < fused.length; t++) {
            assertArrayEquals(separate[t], fused[t], "output " + t + ", rows=" + sh[0] + " in="
                + sh[1] + " out=" + sh[2] + ", " + threads + " threads");
          }
        }
      }
    }
  }

  /** x · Wᵀ + b → (+ residual) → layer norm, and the same x → GELU; returns every output. */
  private static float[][] run(WorkerPool pool, int rows, int dIn, int dOut, boolean fuse) {
    SplittableRandom rnd = new SplittableRandom(rows * 31L + dIn * 7L + dOut);
    Arena a = new Arena("t");
    Tensor in = a.alloc("in", rows, dIn), w = a.alloc("w", dOut, dIn), b = a.alloc("b", dOut);
    Tensor y = a.alloc("y", rows, dOut), res = a.alloc("res", rows, dOut), sum = a.alloc("sum", rows, dOut);
    Tensor g = a.alloc("g", dOut), beta = a.alloc("beta", dOut), normed = a.alloc("normed", rows, dOut);
    Tensor y2 = a.alloc("y2", rows, dOut), act = a.alloc("act", rows, dOut);
    a.freeze();
    for (Tensor t : new Tensor[] {in, w, b, res, g, beta}) {
      for (int i = 0; i < t.size(); i++) {
        t.data()[t.offset() + i] = (float) (rnd.nextDouble() * 4 - 2);
      }
    }
    Graph graph = new Graph(a, pool);
    Linear proj = graph.add(new Linear(pool, in, w, b, y));
    Add add = new Add(pool, res, y, sum);
    LayerNorm ln = new LayerNorm(pool, sum, g, beta, normed, 1e-5f);
    Linear up = graph.add(new Linear(pool, in, w, b, y2));
    Gelu gelu = new Gelu(pool, GeluForm.ERF, y2, act);
    if (fuse) {
      graph.add(proj.then(add));
      graph.add(proj.then(ln));
      graph.add(up.then(gelu));
    } else {
      graph.add(add);
      graph.add(ln);
      graph.add(gelu);
    }
    graph.forward();
    return new float[][] {copy(y), copy(sum), copy(normed), copy(y2), copy(act)};
  }

  private static float[] copy(Tensor t) {
    return java.util.Arrays.copyOfRange(t.data(), t.offset(), t.offset() + t.size());
  }

  @Test
  void aFollowerMustHaveTheLayersRows() {
    Arena a = new Arena("t");
    Tensor in = a.alloc("in", 4, 3), w = a.alloc("w", 5, 3), b = a.alloc("b", 5), y = a.alloc("y", 4, 5);
    Tensor other = a.alloc("other", 6, 5), out = a.alloc("out", 6, 5);
    a.freeze();
    try (WorkerPool pool = new WorkerPool(1)) {
      Linear lin = new Linear(pool, in, w, b, y);
      assertThrows(IllegalArgumentException.class, () -> lin.then(new Add(pool, other, other, out)));
    }
  }
}
