package dev.mtk.models.encoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.nn.autograd.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The inference graph saves memory and time (GELU and residual adds in place, attention
 * probabilities in a scratch, row-wise ops inside the GEMMs) but must compute exactly what the
 * training graph's forward computes: the same bits for the final and every layer's embeddings,
 * with padding in the batch, with few sequences (a task per head) and many (a task per sequence).
 */
class InferenceGraphTest {

  @Test
  void inferenceGivesTheTrainingForwardsBits() {
    EncoderConfig config = new EncoderConfig(211, 48, 4, 80, 3, 19, 1e-5f, new int[] {8, 16, 48});
    Encoder enc = Encoder.init(config, 5);
    for (int batch : new int[] {2, 9}) {
      try (WorkerPool pool = new WorkerPool(2)) {
        Encoder.Pass infer = enc.build(pool, batch, 19, null, true, 0);
        Encoder.Pass train = enc.build(pool, batch, 19, (g, a, e, layers) -> e, true, 0);
        SplittableRandom rnd = new SplittableRandom(batch);
        for (int b = 0; b < batch; b++) {
          int len = 1 + rnd.nextInt(19);
          infer.lengths[b] = train.lengths[b] = len;
          for (int t = 0; t < 19; t++) {
            int id = t < len ? rnd.nextInt(211) : 0;
            infer.ids[b * 19 + t] = train.ids[b * 19 + t] = id;
          }
        }
        infer.graph.forward();
        train.graph.forward();
        assertArrayEquals(values(train.pooled), values(infer.pooled), "final, batch " + batch);
        for (int l = 0; l < config.layers(); l++) {
          assertArrayEquals(values(train.layerPooled[l]), values(infer.layerPooled[l]),
              "layer " + l + ", batch " + batch);
        }
      }
    }
  }

  private static float[] values(Tensor t) {
    return java.util.Arrays.copyOfRange(t.data(), t.offset(), t.offset() + t.size());
  }
}
