package dev.mtk.models.encoder;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.nn.autograd.Tensor;
import dev.mtk.models.nn.loss.MatryoshkaInfoNce;
import dev.mtk.models.nn.ops.ConcatRows;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A loss split across two graphs, as a dual encoder trains: one graph embeds the anchors and
 * holds the loss over [anchors; positives], the other embeds the positives and gets its
 * gradient back through {@link dev.mtk.models.nn.autograd.Graph#backwardFrom}. With one encoder
 * in both graphs, the parameter gradients must equal those of the single graph over all 2B rows
 * (which EncoderGradientTest holds against finite differences).
 */
class TwoGraphGradientTest {

  @Test
  void aLossSplitOverTwoGraphsGivesTheOneGraphGradients() {
    EncoderConfig c = EncoderGradientTest.TINY;
    int b = 3, seq = 8;
    int[] dims = {4, 8, 16};
    float tau = 0.5f;
    try (WorkerPool pool = new WorkerPool(2)) {
      Encoder enc = Encoder.init(c, 11);
      SplittableRandom rnd = new SplittableRandom(4);
      int[] ids = new int[2 * b * seq];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = rnd.nextInt(c.vocabSize());
      }
      int[] lengths = {7, 5, 3, 8, 6, 1};

      Encoder.Pass whole = enc.build(pool, 2 * b, seq, dims, tau, false);
      System.arraycopy(ids, 0, whole.ids, 0, ids.length);
      System.arraycopy(lengths, 0, whole.lengths, 0, 2 * b);
      enc.parameters().zeroGrad();
      whole.graph.forward();
      whole.graph.backward(whole.loss);
      float oneLoss = whole.loss.values()[0];
      float[] oneGrad = enc.parameters().grad().clone();

      Tensor[] other = new Tensor[1];
      Encoder.Pass anchors = enc.build(pool, b, seq, (g, a, emb, layers) -> {
        other[0] = a.alloc("positives", b, c.embeddingSize());
        Tensor both = a.alloc("both", 2 * b, c.embeddingSize()), loss = a.alloc("loss", 1);
        g.add(new ConcatRows(emb, other[0], both));
        g.add(new MatryoshkaInfoNce(both, dims, tau, loss));
        return loss;
      }, false, 0L);
      Encoder.Pass positives = enc.build(pool, b, seq, (g, a, emb, layers) -> emb, false, 0L);
      System.arraycopy(ids, 0, anchors.ids, 0, b * seq);
      System.arraycopy(lengths, 0, anchors.lengths, 0, b);
      System.arraycopy(ids, b * seq, positives.ids, 0, b * seq);
      System.arraycopy(lengths, b, positives.lengths, 0, b);
      enc.parameters().zeroGrad();
      positives.graph.forward();
      other[0].set(positives.pooled.values());
      anchors.graph.forward();
      anchors.graph.backward(anchors.loss);
      positives.graph.backwardFrom(positives.pooled, other[0]);
      float[] twoGrad = enc.parameters().grad();

      assertEquals(oneLoss, anchors.loss.values()[0], 1e-5 * Math.abs(oneLoss));
      double scale = 0;
      for (float v : oneGrad) {
        scale = Math.max(scale, Math.abs(v));
      }
      for (int i = 0; i < oneGrad.length; i++) {
        assertEquals(oneGrad[i], twoGrad[i], 1e-4 * scale, "parameter gradient " + i);
      }
    }
  }
}
