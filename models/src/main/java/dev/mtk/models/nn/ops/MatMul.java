package dev.mtk.models.nn.ops;

import dev.mtk.models.nn.autograd.Op;
import dev.mtk.models.nn.autograd.Tensor;
import dev.mtk.core.kernel.Gemm;
import dev.mtk.core.parallel.WorkerPool;

/** out = a · b for a [m, k] and b [k, n], on the core GEMM; both inputs receive gradients. */
public final class MatMul implements Op {

  private final WorkerPool pool;
  private final Tensor a, b, out;
  private final int m, k, n;

  public MatMul(WorkerPool pool, Tensor a, Tensor b, Tensor out) {
    this.pool = pool;
    this.a = a;
    this.b = b;
    this.out = out;
    this.m = a.dim(0);
    this.k = a.dim(1);
    this.n = b.dim(1);
    if (b.dim(0) != k || out.size() != m * n) {
      throw new IllegalArgumentException("MatMul: " + a + " · " + b + " → " + out);
    }
  }

  @Override
  public void forward() {
    Gemm.sgemm(pool, false, false, m, n, k, 1f, a.data(), a.offset(), k, b.data(), b.offset(), n,
        0f, out.data(), out.offset(), n);
  }

  @Override
  public void backward() {
    // dA += dOut · Bᵀ, dB += Aᵀ · dOut
    Gemm.sgemm(pool, false, true, m, k, n, 1f, out.grad(), out.offset(), n, b.data(), b.offset(),
        n, 1f, a.grad(), a.offset(), k);
    Gemm.sgemm(pool, true, false, k, n, m, 1f, a.data(), a.offset(), k, out.grad(), out.offset(),
        n, 1f, b.grad(), b.offset(), n);
  }
}
