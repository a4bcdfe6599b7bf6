package dev.mtk.models.nn.ops;

import dev.mtk.models.nn.autograd.Op;


/**
 * An operation whose forward treats each row (the first dimension) on its own: residual add,
 * layer norm, GELU. It can then run on any block of rows as soon as that block of its input is
 * ready — inside the GEMM of the linear layer that produces the input, while the rows are still
 * in cache ({@link Linear#then}). Running it by blocks gives the same bits as running it whole.
 */
public interface RowWise extends Op {

  /** The number of rows: the forward over all of them is {@link #forward()}. */
  int rows();

  /** The forward on rows [from, to) only. */
  void forwardRows(int from, int to);
}
