package dev.mtk.training.eval;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.encoder.Encoder;
import java.util.List;

/** Embeds many token sequences with one reusable inference graph: [n, embedding size] floats. */
public final class Embedder {

  private Embedder() {}

  public static float[] embed(Encoder enc, WorkerPool pool, List<int[]> sequences, int batch) {
    var c = enc.config();
    int seq = c.maxSeqLen(), width = c.embeddingSize();
    float[] out = new float[sequences.size() * width];
    Encoder.Pass pass = enc.build(pool, batch, seq, null, 0f, false);
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
      System.arraycopy(pass.pooled.data(), pass.pooled.offset(), out, start * width, n * width);
    }
    return out;
  }
}
