package dev.mtk.models.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.encoder.Encoder;
import dev.mtk.models.encoder.EncoderConfig;
import dev.mtk.tokenizers.text.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Early exit against the fixed-depth path: a row that stops after layer l must be exactly the
 * bits of {@code --layer l} (the full graph's layer tap), a row that never stops exactly the full
 * model's, whatever the other rows of its batch did — for pre-LN and post-LN (BERT) encoders,
 * text and patches, one and two threads.
 */
class EarlyExitTest {

  static final List<String> TEXTS;

  static {
    List<String> t = new ArrayList<>(EmbeddingModelTest.TEXTS);
    for (int i = 0; i < 40; i++) {
      t.add("text number " + i + " about " + "water ".repeat(i % 5) + "and stones".substring(0, i % 10));
    }
    TEXTS = List.copyOf(t);
  }

  /** Weights drawn wide enough that layers really move the embedding (init's 0.02 barely does). */
  static Encoder wide(EncoderConfig c, long seed) {
    Encoder enc = Encoder.init(c, seed);
    SplittableRandom rnd = new SplittableRandom(seed);
    for (var e : enc.namedParameters().entrySet()) {
      if (!e.getKey().contains("ln")) {
        float[] v = e.getValue().values();
        for (int i = 0; i < v.length; i++) {
          v[i] = (float) (0.3 * (rnd.nextDouble() * 2 - 1));
        }
        e.getValue().set(v);
      }
    }
    return enc;
  }

  /** An arbitrary rule that sends about a quarter of the rows out at every layer: by low bits of one coordinate. */
  static final ExitRule BY_BITS = (layer, now, off, before, boff, width) ->
      (Float.floatToRawIntBits(now[off + layer]) >>> 5 & 3) == 0;

  @Test
  void exitedRowsAreTheirLayersBitsAndTheRestTheFullModels() {
    EncoderConfig pre = new EncoderConfig(300, 32, 4, 48, 4, 12, 1e-5f, new int[] {8, 16, 32});
    EncoderConfig post = new EncoderConfig(300, 32, 4, 48, 4, 12, 1e-12f, new int[] {8, 32},
        EncoderConfig.Pooling.MEAN, 0f, 0, 0, EncoderConfig.Norm.POST, 2);
    EncoderConfig projected = new EncoderConfig(300, 32, 4, 48, 3, 12, 1e-5f, new int[] {8, 24},
        EncoderConfig.Pooling.CLS, 0f, 24, 0);
    float[] first = null;
    for (int threads : new int[] {1, 2}) {
      try (WorkerPool pool = new WorkerPool(threads)) {
        Tokenizer tok = EmbeddingModelTest.tokenizer(pool);
        for (EncoderConfig c : new EncoderConfig[] {pre, post, projected}) {
          EmbeddingModel model = EmbeddingModel.of(wide(c, 3), tok, pool);
          int layers = c.layers();
          float[][] fixed = new float[layers + 1][];
          for (int l = 1; l <= layers; l++) {
            // the reference: the model cut after l layers, run as one whole pass (no segments)
            fixed[l] = EmbeddingModel.of(model.encoder().firstLayers(l), tok, pool)
                .embedTexts(TEXTS, EmbedOptions.EVALUATION.withBatch(7)).vectors();
            assertArrayEquals(fixed[l], model.embedTexts(TEXTS, EmbedOptions.EVALUATION.withLayer(l)
                .withBatch(5)).vectors(), "--layer " + l + " runs the first l layers only, same bits");
          }
          int w = c.embeddingSize();
          // never: the full model's bits, every row at the last layer
          Embeddings never = model.embedTexts(TEXTS, EmbedOptions.EVALUATION.withBatch(7)
              .withExit((l, now, o, b, bo, width) -> false));
          assertArrayEquals(fixed[layers], never.vectors());
          for (int i = 0; i < TEXTS.size(); i++) {
            assertEquals(TEXTS.get(i).isEmpty() ? 1 : layers, never.layers()[i]);
          }
          Embeddings ex = model.embedTexts(TEXTS, EmbedOptions.EVALUATION.withBatch(7).withExit(BY_BITS));
          int[] seen = new int[layers + 1];
          for (int i = 0; i < TEXTS.size(); i++) {
            // the rule applied to the fixed-depth rows says where row i should stop
            int expect = TEXTS.get(i).isEmpty() ? 1 : layers; // an empty input stops at once
            for (int l = 1; l < layers && expect == layers; l++) {
              if (BY_BITS.exits(l, fixed[l], i * w, l == 1 ? null : fixed[l - 1], i * w, w)) {
                expect = l;
                break;
              }
            }
            assertEquals(expect, ex.layers()[i], "row " + i);
            seen[expect]++;
            assertArrayEquals(Arrays.copyOfRange(fixed[expect], i * w, (i + 1) * w),
                Arrays.copyOfRange(ex.vectors(), i * w, (i + 1) * w), "row " + i + " at layer " + expect);
          }
          for (int l = 1; l <= layers; l++) {
            assertTrue(seen[l] > 0, c.norm() + ": the rule stops some rows at layer " + l + ": "
                + Arrays.toString(seen));
          }
          if (c == pre) {
            if (first == null) {
              first = ex.vectors();
            } else {
              assertArrayEquals(first, ex.vectors(), "1 and 2 threads");
            }
          }
        }
      }
    }
  }

  @Test
  void patchModelsExitTooAndTheStableRuleComparesConsecutiveLayers() {
    EncoderConfig pc = new EncoderConfig(1, 16, 4, 20, 3, 8, 1e-5f, new int[] {8, 16},
        EncoderConfig.Pooling.MEAN, 0f, 0, 6);
    try (WorkerPool pool = new WorkerPool(2)) {
      EmbeddingModel model = EmbeddingModel.of(wide(pc, 5), (dev.mtk.tokenizers.image.ImageFormat) null, pool);
      List<Input> in = new ArrayList<>();
      SplittableRandom rnd = new SplittableRandom(1);
      for (int i = 0; i < 30; i++) {
        int t = 1 + rnd.nextInt(8);
        float[] v = new float[t * 6];
        for (int j = 0; j < v.length; j++) {
          v[j] = (float) rnd.nextGaussian();
        }
        in.add(new Input.Patches(v, t));
      }
      float[] l1 = model.embed(in, EmbedOptions.EVALUATION.withLayer(1)).vectors();
      float[] l2 = model.embed(in, EmbedOptions.EVALUATION.withLayer(2)).vectors();
      float[] l3 = model.embed(in, EmbedOptions.EVALUATION).vectors();
      // a threshold at the median cosine between layers 1 and 2 stops about half the rows at 2
      double[] cos = new double[in.size()];
      for (int i = 0; i < cos.length; i++) {
        cos[i] = ExitRule.cosine(l1, i * 16, l2, i * 16, 16);
      }
      double[] sorted = cos.clone();
      Arrays.sort(sorted);
      float thr = (float) sorted[cos.length / 2];
      Embeddings e = model.embed(in, EmbedOptions.EVALUATION.withBatch(8)
          .withExit(ExitRule.stable(new float[] {0f, thr})));
      int atTwo = 0;
      for (int i = 0; i < cos.length; i++) {
        int expect = cos[i] >= thr ? 2 : 3;
        atTwo += expect == 2 ? 1 : 0;
        assertEquals(expect, e.layers()[i], "row " + i + " cosine " + cos[i]);
        float[] want = expect == 2 ? l2 : l3;
        assertArrayEquals(Arrays.copyOfRange(want, i * 16, (i + 1) * 16),
            Arrays.copyOfRange(e.vectors(), i * 16, (i + 1) * 16));
      }
      assertTrue(atTwo >= 10 && atTwo <= 20, atTwo + " rows stopped at layer 2");
      // normalised prefixes of the exited rows, as without early exit
      Embeddings cut = model.embed(in, EmbedOptions.DEFAULT.withDim(8).withExit(ExitRule.stable(new float[] {0f, thr})));
      assertArrayEquals(Embeddings.normalizedPrefix(e.vectors(), 30, 16, 8), cut.vectors());
      assertNull(model.embed(in, EmbedOptions.EVALUATION).layers());
      assertThrows(IllegalArgumentException.class,
          () -> EmbedOptions.EVALUATION.withLayer(2).withExit(ExitRule.stable(new float[] {1f})));
    }
  }
}
