package dev.mtk.models.nn.ops;

import dev.mtk.models.nn.autograd.Op;
import dev.mtk.models.nn.autograd.Tensor;

/**
 * Scaled similarities between two row blocks of one tensor: out[i, j] = scale · x[q + i] · x[c + j]
 * for i &lt; queries, j &lt; candidates. With L2-normalised rows and scale 1/τ these are the logits
 * of InfoNCE: anchors against positives (and hard negatives), in-batch negatives included.
 */
public final class PairScores implements Op {

  private final Tensor x, out; // [rows, m], [queries, candidates]
  private final int m, queryRow, queries, candidateRow, candidates;
  private final float scale;

  public PairScores(Tensor x, int queryRow, int queries, int candidateRow, int candidates,
      float scale, Tensor out) {
    this.x = x;
    this.out = out;
    this.m = x.dim(x.shape().length - 1);
    int rows = x.size() / m;
    if (queryRow < 0 || queryRow + queries > rows || candidateRow < 0 || candidateRow + candidates > rows
        || out.size() != queries * candidates) {
      throw new IllegalArgumentException("PairScores: rows [" + queryRow + ", +" + queries
          + ") × [" + candidateRow + ", +" + candidates + ") of " + x + " into " + out);
    }
    this.queryRow = queryRow;
    this.queries = queries;
    this.candidateRow = candidateRow;
    this.candidates = candidates;
    this.scale = scale;
  }

  @Override
  public void forward() {
    float[] v = x.data(), o = out.data();
    for (int i = 0; i < queries; i++) {
      int a = x.offset() + (queryRow + i) * m;
      for (int j = 0; j < candidates; j++) {
        int b = x.offset() + (candidateRow + j) * m;
        float s = 0f;
        for (int t = 0; t < m; t++) {
          s += v[a + t] * v[b + t];
        }
        o[out.offset() + i * candidates + j] = scale * s;
      }
    }
  }

  @Override
  public void backward() {
    float[] v = x.data(), gx = x.grad(), go = out.grad();
    for (int i = 0; i < queries; i++) {
      int a = x.offset() + (queryRow + i) * m;
      for (int j = 0; j < candidates; j++) {
        int b = x.offset() + (candidateRow + j) * m;
        float g = scale * go[out.offset() + i * candidates + j];
        for (int t = 0; t < m; t++) {
          gx[a + t] += g * v[b + t];
          gx[b + t] += g * v[a + t];
        }
      }
    }
  }
}
