package dev.mtk.models.nn.ops;

import dev.mtk.models.nn.autograd.Op;
import dev.mtk.models.nn.autograd.Tensor;

/**
 * out[n] = token[ids[n]] + position[n mod T]: token and learned absolute position embeddings for
 * a batch of sequences of length T, flattened to rows. With a token-type table (BERT's segment
 * embeddings) out[n] = (token[ids[n]] + type[0]) + position[n mod T], in BERT's order of
 * additions: mtk embeds one sequence at a time, which is segment 0. Backward scatters into the
 * tables in row order (one thread: rows that share a token must add up in a fixed order).
 */
public final class Embedding implements Op {

  private final int[] ids; // [N], filled by the caller before forward
  private final Tensor token; // [V, d]
  private final Tensor position; // [T, d]
  private final Tensor type; // [types, d] or null
  private final Tensor out; // [N, d]
  private final int seqLen;

  public Embedding(int[] ids, Tensor token, Tensor position, Tensor out, int seqLen) {
    this(ids, token, position, null, out, seqLen);
  }

  public Embedding(int[] ids, Tensor token, Tensor position, Tensor type, Tensor out, int seqLen) {
    if (seqLen > position.dim(0)) {
      throw new IllegalArgumentException("sequence length " + seqLen + " exceeds the "
          + position.dim(0) + " learned positions");
    }
    this.ids = ids;
    this.token = token;
    this.position = position;
    this.type = type;
    this.out = out;
    this.seqLen = seqLen;
  }

  @Override
  public void forward() {
    int d = token.dim(1), vocab = token.dim(0);
    float[] w = token.data(), p = position.data(), o = out.data();
    for (int n = 0; n < ids.length; n++) {
      int id = ids[n];
      if (id < 0 || id >= vocab) {
        throw new IllegalArgumentException("token id " + id + " at position " + n
            + " is outside the vocabulary of " + vocab);
      }
      int src = token.offset() + id * d, pos = position.offset() + (n % seqLen) * d;
      int dst = out.offset() + n * d;
      if (type == null) {
        for (int i = 0; i < d; i++) {
          o[dst + i] = w[src + i] + p[pos + i];
        }
      } else {
        float[] t = type.data();
        int t0 = type.offset();
        for (int i = 0; i < d; i++) {
          o[dst + i] = (w[src + i] + t[t0 + i]) + p[pos + i];
        }
      }
    }
  }

  @Override
  public void backward() {
    int d = token.dim(1);
    float[] gw = token.grad(), gp = position.grad(), go = out.grad();
    for (int n = 0; n < ids.length; n++) {
      int dst = token.offset() + ids[n] * d, pos = position.offset() + (n % seqLen) * d;
      int src = out.offset() + n * d;
      for (int i = 0; i < d; i++) {
        gw[dst + i] += go[src + i];
        gp[pos + i] += go[src + i];
      }
      if (type != null) {
        float[] gt = type.grad();
        for (int i = 0; i < d; i++) {
          gt[type.offset() + i] += go[src + i];
        }
      }
    }
  }
}
