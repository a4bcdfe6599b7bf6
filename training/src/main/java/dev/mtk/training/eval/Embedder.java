package dev.mtk.training.eval;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.encoder.Encoder;
import java.util.List;

/**
 * Embeds many token sequences with one reusable inference graph: [n, embedding size] floats, not
 * normalised. Sequences longer than the model's positions are cut; an empty one is embedded as a
 * single token 0 (callers that care, like mtk embed, treat it themselves).
 */
public final class Embedder {

  private Embedder() {}

  /** After the last layer. */
  public static float[] embed(Encoder enc, WorkerPool pool, List<int[]> sequences, int batch) {
    return embed(enc, pool, sequences, batch, enc.config().layers());
  }

  /** After layer {@code layer} (1 … layers), the final layer norm applied to it. */
  public static float[] embed(Encoder enc, WorkerPool pool, List<int[]> sequences, int batch,
      int layer) {
    var c = enc.config();
    if (layer < 1 || layer > c.layers()) {
      throw new IllegalArgumentException("layer must be in 1.." + c.layers());
    }
    int seq = c.maxSeqLen(), width = c.embeddingSize();
    float[] out = new float[sequences.size() * width];
    boolean tap = layer < c.layers();
    Encoder.Pass pass = enc.build(pool, batch, seq, null, 0f, tap);
    var pooled = tap ? pass.layerPooled[layer - 1] : pass.pooled;
    for (int start = 0; start < sequences.size(); start += batch) {
      int n = Math.min(batch, sequences.size() - start);
      java.util.Arrays.fill(pass.ids, 0);
      for (int b = 0; b < batch; b++) {
        int[] ids = b < n ? sequences.get(start + b) : new int[] {0};
        int len = Math.max(1, Math.min(seq, ids.length));
        System.arraycopy(ids, 0, pass.ids, b * seq, Math.min(seq, ids.length));
        pass.lengths[b] = len;
      }
      pass.graph.forward();
      System.arraycopy(pooled.data(), pooled.offset(), out, start * width, n * width);
    }
    return out;
  }
}
