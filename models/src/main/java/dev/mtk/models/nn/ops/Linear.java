package dev.mtk.models.nn.ops;

import dev.mtk.models.nn.autograd.Op;
import dev.mtk.models.nn.autograd.Tensor;
import dev.mtk.core.kernel.Gemm;
import dev.mtk.core.parallel.WorkerPool;

/**
 * out = in · Wᵀ + b, with W stored [out, in] as PyTorch's nn.Linear. Forward and the two weight
 * gradients are GEMMs on the core kernel (dIn += dOut · W, dW += dOutᵀ · in); the bias gradient
 * is a column sum in fixed row chunks. A weight wider than the input uses only its first
 * columns: the shared, sliced classification head of MRL-E (logits of a prefix z[:m] are
 * z[:m] · W[:, :m]ᵀ + b).
 *
 * <p>Row-wise operations that read this layer's output can be attached with {@link #then}: they
 * run inside the GEMM, on each block of rows as soon as it is final. What they compute does not
 * change; it saves reading the output back from memory (a residual add, a layer norm and a GELU
 * each read and write a whole activation).
 */
public final class Linear implements Op {

  private final WorkerPool pool;
  private final Tensor in, weight, bias, out; // [N, din], [dout, din], [dout] or null, [N, dout]
  private final int rows, dIn, dOut, ldw;
  private float[] partial; // [chunks, dout], made by the first backward: inference never needs it
  /** The weight packed once (inference passes, whose weights do not change); null: packed per call. */
  private Gemm.PackedB packed;
  private final java.util.List<RowWise> followers = new java.util.ArrayList<>();
  private final Gemm.Epilogue runFollowers = (from, to) -> {
    for (RowWise f : followers) {
      f.forwardRows(from, to);
    }
  };

  public Linear(WorkerPool pool, Tensor in, Tensor weight, Tensor bias, Tensor out) {
    this(pool, in, weight, bias, out, weight.dim(1));
  }

  /** With only the first {@code inputWidth} columns of the weight in use. */
  public Linear(WorkerPool pool, Tensor in, Tensor weight, Tensor bias, Tensor out, int inputWidth) {
    this.pool = pool;
    this.in = in;
    this.weight = weight;
    this.bias = bias;
    this.out = out;
    this.dOut = weight.dim(0);
    this.ldw = weight.dim(1);
    this.dIn = inputWidth;
    if (inputWidth < 1 || inputWidth > ldw) {
      throw new IllegalArgumentException("Linear " + weight + ": input width " + inputWidth
          + " is outside 1.." + ldw);
    }
    this.rows = in.size() / dIn;
    if (in.size() != rows * dIn || out.size() != rows * dOut) {
      throw new IllegalArgumentException("Linear " + weight + ": input " + in + " and output "
          + out + " do not fit");
    }
  }

  /**
   * Forward reads the weight from {@code p} (Gemm.pack of this weight) instead of packing it on
   * every call: the same bits. Only for passes whose weights stay as they are while it is used.
   */
  public Linear prepacked(Gemm.PackedB p) {
    this.packed = p;
    return this;
  }

  /** The weight, [dout, din]. */
  public Tensor weight() {
    return weight;
  }

  /** The output, [N, dout]. */
  public Tensor output() {
    return out;
  }

  /**
   * Runs {@code next}'s forward inside this layer's forward, on each block of rows once it is
   * final; returns the operation to put on the tape in its place (its forward then does nothing,
   * its backward is next's). Followers run in the order attached, so a later one may read what an
   * earlier one wrote for the same rows; each may read this layer's output rows and anything
   * computed before this layer.
   */
  public Op then(RowWise next) {
    if (next.rows() != rows) {
      throw new IllegalArgumentException("Linear " + weight + " has " + rows + " rows; "
          + next.getClass().getSimpleName() + " has " + next.rows());
    }
    followers.add(next);
    return new Op() {
      @Override
      public void forward() {}

      @Override
      public void backward() {
        next.backward();
      }
    };
  }

  @Override
  public void forward() {
    float[] o = out.data();
    Gemm.Epilogue after = followers.isEmpty() ? null : runFollowers;
    if (bias != null) {
      Gemm.sgemmBias(pool, false, true, rows, dOut, dIn, 1f, in.data(), in.offset(), dIn,
          weight.data(), weight.offset(), ldw, bias.data(), bias.offset(), o, out.offset(), dOut,
          after, packed);
    } else {
      Gemm.sgemm(pool, false, true, rows, dOut, dIn, 1f, in.data(), in.offset(), dIn,
          weight.data(), weight.offset(), ldw, 0f, o, out.offset(), dOut);
      if (after != null) {
        RowChunks.run(pool, rows, (c, from, to) -> after.rows(from, to));
      }
    }
  }

  @Override
  public void backward() {
    float[] g = out.grad();
    // dIn += dOut · W   [N, dout] · [dout, din]
    Gemm.sgemm(pool, false, false, rows, dIn, dOut, 1f, g, out.offset(), dOut, weight.data(),
        weight.offset(), ldw, 1f, in.grad(), in.offset(), dIn);
    // dW += dOutᵀ · in   [dout, N] · [N, din]
    Gemm.sgemm(pool, true, false, dOut, dIn, rows, 1f, g, out.offset(), dOut, in.data(),
        in.offset(), dIn, 1f, weight.grad(), weight.offset(), ldw);
    if (bias != null) {
      if (partial == null) {
        partial = new float[RowChunks.count(rows) * dOut];
      }
      java.util.Arrays.fill(partial, 0f);
      RowChunks.run(pool, rows, (c, from, to) -> {
        int p = c * dOut;
        for (int r = from; r < to; r++) {
          int src = out.offset() + r * dOut;
          for (int j = 0; j < dOut; j++) {
            partial[p + j] += g[src + j];
          }
        }
      });
      RowChunks.reduce(partial, RowChunks.count(rows), dOut, bias.grad(), bias.offset());
    }
  }
}
