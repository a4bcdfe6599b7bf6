package dev.mtk.models.encoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.nn.DoubleOps;
import dev.mtk.models.nn.autograd.Tensor;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The whole encoder and its Matryoshka loss: our float forward and backward against the same
 * network composed from {@link DoubleOps} in double precision, gradient by central differences,
 * for sampled coordinates of every parameter tensor; with padding in the batch.
 */
class EncoderGradientTest {

  static final EncoderConfig TINY = new EncoderConfig(37, 16, 2, 24, 2, 8, 1e-5f, new int[] {4, 8, 16});

  static double referenceLoss(EncoderConfig c, Map<String, double[]> p, int[] ids, int[] lengths,
      int batch, int seq, int[] dims, double tau) {
    return referenceLoss(c, p, ids, null, lengths, batch, seq, dims, tau);
  }

  static double referenceLoss(EncoderConfig c, Map<String, double[]> p, int[] ids, double[] patches,
      int[] lengths, int batch, int seq, int[] dims, double tau) {
    int d = c.dModel(), f = c.ffn(), n = batch * seq;
    double[] x;
    if (patches != null) {
      double[] proj = DoubleOps.linear(patches, p.get("embeddings.patch.weight"),
          p.get("embeddings.patch.bias"), n, c.patchDim(), d);
      double[] pos = p.get("embeddings.position.weight");
      x = new double[n * d];
      for (int r = 0; r < n; r++) {
        for (int i = 0; i < d; i++) {
          x[r * d + i] = proj[r * d + i] + pos[(r % seq) * d + i];
        }
      }
    } else {
      x = DoubleOps.embedding(ids, p.get("embeddings.token.weight"),
          p.get("embeddings.position.weight"), seq, d);
    }
    if (c.tokenTypes() > 0) {
      double[] type0 = p.get("embeddings.token_type.weight");
      for (int r = 0; r < n; r++) {
        for (int i = 0; i < d; i++) {
          x[r * d + i] += type0[i];
        }
      }
    }
    if (c.norm() == EncoderConfig.Norm.POST) {
      // BERT: LN(embeddings); per layer h = LN1(x + Attn(x)), x = LN2(h + MLP(h)); no final LN
      x = DoubleOps.layerNorm(x, p.get("embeddings.ln.weight"), p.get("embeddings.ln.bias"), n, d, c.layerNormEps());
      for (int l = 0; l < c.layers(); l++) {
        String q = "layers." + l + ".";
        double[] qkv = DoubleOps.linear(x, p.get(q + "attn.qkv.weight"), p.get(q + "attn.qkv.bias"), n, d, 3 * d);
        double[] att = DoubleOps.attention(qkv, lengths, batch, seq, d, c.heads());
        double[] h = DoubleOps.layerNorm(DoubleOps.add(x, DoubleOps.linear(att, p.get(q + "attn.out.weight"),
            p.get(q + "attn.out.bias"), n, d, d)), p.get(q + "ln1.weight"), p.get(q + "ln1.bias"), n, d, c.layerNormEps());
        double[] g = DoubleOps.gelu(DoubleOps.linear(h, p.get(q + "mlp.fc1.weight"), p.get(q + "mlp.fc1.bias"), n, d, f), false);
        x = DoubleOps.layerNorm(DoubleOps.add(h, DoubleOps.linear(g, p.get(q + "mlp.fc2.weight"),
            p.get(q + "mlp.fc2.bias"), n, f, d)), p.get(q + "ln2.weight"), p.get(q + "ln2.bias"), n, d, c.layerNormEps());
      }
      double[] pooled = DoubleOps.meanPool(x, lengths, batch, seq, d);
      return DoubleOps.matryoshkaInfoNce(pooled, batch / 2, c.embeddingSize(), dims, tau);
    }
    for (int l = 0; l < c.layers(); l++) {
      String q = "layers." + l + ".";
      double[] h = DoubleOps.layerNorm(x, p.get(q + "ln1.weight"), p.get(q + "ln1.bias"), n, d, c.layerNormEps());
      double[] qkv = DoubleOps.linear(h, p.get(q + "attn.qkv.weight"), p.get(q + "attn.qkv.bias"), n, d, 3 * d);
      double[] att = DoubleOps.attention(qkv, lengths, batch, seq, d, c.heads());
      x = DoubleOps.add(x, DoubleOps.linear(att, p.get(q + "attn.out.weight"), p.get(q + "attn.out.bias"), n, d, d));
      double[] h2 = DoubleOps.layerNorm(x, p.get(q + "ln2.weight"), p.get(q + "ln2.bias"), n, d, c.layerNormEps());
      double[] g = DoubleOps.gelu(DoubleOps.linear(h2, p.get(q + "mlp.fc1.weight"), p.get(q + "mlp.fc1.bias"), n, d, f), false);
      x = DoubleOps.add(x, DoubleOps.linear(g, p.get(q + "mlp.fc2.weight"), p.get(q + "mlp.fc2.bias"), n, f, d));
    }
    double[] fin = DoubleOps.layerNorm(x, p.get("final_ln.weight"), p.get("final_ln.bias"), n, d, c.layerNormEps());
    double[] pooled = c.pooling() == EncoderConfig.Pooling.CLS
        ? DoubleOps.clsPool(fin, batch, seq, d) : DoubleOps.meanPool(fin, lengths, batch, seq, d);
    if (c.projection() > 0) {
      pooled = DoubleOps.linear(pooled, p.get("projection.weight"), p.get("projection.bias"), batch, d,
          c.projection());
    }
    return DoubleOps.matryoshkaInfoNce(pooled, batch / 2, c.embeddingSize(), dims, tau);
  }

  /**
   * For sampled coordinates of every parameter tensor (but the skipped ones): our float gradient
   * against the central difference of the double-precision loss. Returns the largest difference.
   */
  static double checkGradients(Encoder enc, Map<String, double[]> p, SplittableRandom rnd,
      int samples, double floor, java.util.Set<String> skip, String label,
      java.util.function.DoubleSupplier loss) {
    double maxDiff = 0;
    for (Map.Entry<String, Tensor> e : enc.namedParameters().entrySet()) {
      if (skip.contains(e.getKey())) {
        continue;
      }
      Tensor t = e.getValue();
      double[] x = p.get(e.getKey());
      float[] g = t.gradient();
      double gscale = 1e-6;
      for (float v : g) {
        gscale = Math.max(gscale, Math.abs(v));
      }
      for (int s = 0; s < samples; s++) {
        int k = rnd.nextInt(t.size());
        double keep = x[k], h = 1e-5;
        x[k] = keep + h;
        double up = loss.getAsDouble();
        x[k] = keep - h;
        double down = loss.getAsDouble();
        x[k] = keep;
        double fd = (up - down) / (2 * h);
        maxDiff = Math.max(maxDiff, Math.abs(fd - g[k]));
        assertEquals(fd, g[k], 3e-3 * gscale + 3e-3 * Math.abs(fd) + floor, label + e.getKey() + "[" + k + "]");
      }
    }
    return maxDiff;
  }

  @Test
  void lossAndEveryParameterGradientMatchDoublePrecision() {
    SplittableRandom rnd = new SplittableRandom(5);
    Encoder enc = Encoder.init(TINY, 9);
    // larger weights than the init's 0.02, so that every path carries a visible gradient
    float[] w = enc.parameters().data();
    for (int i = 0; i < w.length; i++) {
      w[i] += (float) ((rnd.nextDouble() * 2 - 1) * 0.3);
    }
    int batch = 6, seq = 7;
    int[] dims = {4, 8, 16};
    float tau = 0.5f;
    try (WorkerPool pool = new WorkerPool(2)) {
      Encoder.Pass pass = enc.build(pool, batch, seq, dims, tau, false);
      for (int i = 0; i < pass.ids.length; i++) {
        pass.ids[i] = rnd.nextInt(TINY.vocabSize());
      }
      int[] lengths = {7, 5, 3, 7, 6, 1};
      System.arraycopy(lengths, 0, pass.lengths, 0, batch);
      pass.graph.forward();
      enc.parameters().zeroGrad();
      pass.graph.backward(pass.loss);
      Map<String, double[]> p = new java.util.LinkedHashMap<>();
      enc.namedParameters().forEach((k, t) -> p.put(k, DoubleOps.toDouble(t.data(), t.offset(), t.size())));
      double ref = referenceLoss(TINY, p, pass.ids, lengths, batch, seq, dims, tau);
      assertEquals(ref, pass.loss.values()[0], 1e-4 * Math.abs(ref), "loss");
      double maxDiff = checkGradients(enc, p, rnd, 6, 0, java.util.Set.of(), "",
          () -> referenceLoss(TINY, p, pass.ids, lengths, batch, seq, dims, tau));
      System.out.println("encoder gradient check: max |fd - ours| = " + maxDiff);
    }
  }

  @Test
  void clsPoolingProjectionAndPatchInputAlsoMatchDoublePrecision() {
    EncoderConfig cls = new EncoderConfig(37, 16, 2, 24, 2, 8, 1e-5f, new int[] {4, 12},
        EncoderConfig.Pooling.CLS, 0f, 12, 0);
    EncoderConfig patches = new EncoderConfig(1, 16, 4, 20, 1, 8, 1e-5f, new int[] {8, 16},
        EncoderConfig.Pooling.MEAN, 0f, 0, 10);
    // BERT's shape: post-LN, token types, a layer norm on the embeddings, BERT's epsilon
    EncoderConfig bert = new EncoderConfig(37, 16, 2, 24, 2, 8, 1e-12f, new int[] {4, 16},
        EncoderConfig.Pooling.MEAN, 0f, 0, 0, EncoderConfig.Norm.POST, 2);
    for (EncoderConfig c : new EncoderConfig[] {cls, patches, bert}) {
      SplittableRandom rnd = new SplittableRandom(11);
      Encoder enc = Encoder.init(c, 2);
      float[] w = enc.parameters().data();
      for (int i = 0; i < w.length; i++) {
        w[i] += (float) ((rnd.nextDouble() * 2 - 1) * 0.3);
      }
      int batch = 4, seq = 6;
      int[] dims = c.nesting();
      try (WorkerPool pool = new WorkerPool(2)) {
        Encoder.Pass pass = enc.build(pool, batch, seq, dims, 0.5f, false);
        double[] in = null;
        if (c.patchDim() > 0) {
          for (int i = 0; i < pass.patches.size(); i++) {
            pass.patches.data()[pass.patches.offset() + i] = (float) (rnd.nextDouble() * 2 - 1);
          }
          in = DoubleOps.toDouble(pass.patches.data(), pass.patches.offset(), pass.patches.size());
        } else {
          for (int i = 0; i < pass.ids.length; i++) {
            pass.ids[i] = rnd.nextInt(c.vocabSize());
          }
        }
        int[] lengths = {6, 4, 5, 2};
        System.arraycopy(lengths, 0, pass.lengths, 0, batch);
        pass.graph.forward();
        enc.parameters().zeroGrad();
        pass.graph.backward(pass.loss);
        Map<String, double[]> p = new java.util.LinkedHashMap<>();
        enc.namedParameters().forEach((k, t) -> p.put(k, DoubleOps.toDouble(t.data(), t.offset(), t.size())));
        double ref = referenceLoss(c, p, pass.ids, in, lengths, batch, seq, dims, 0.5);
        assertEquals(ref, pass.loss.values()[0], 1e-4 * Math.abs(ref), "loss");
        double[] input = in;
        // the patch model's unused one-row token table is skipped, and BERT's second token type
        // (mtk embeds segment 0 only) has no gradient to check: sampled coordinates of its first
        // row are checked, the second row's must be zero
        if (c.tokenTypes() > 0) {
          float[] gt = enc.parameter("embeddings.token_type.weight").gradient();
          for (int i = c.dModel(); i < 2 * c.dModel(); i++) {
            assertEquals(0f, gt[i], "segment 1 is never used");
          }
        }
        checkGradients(enc, p, rnd, 4, 1e-6, c.patchDim() > 0 ? java.util.Set.of("embeddings.token.weight") : java.util.Set.of(),
            c.pooling() + " ", () -> referenceLoss(c, p, pass.ids, input, lengths, batch, seq, dims, 0.5));
      }
    }
  }

  @Test
  void dropoutIsSeededAndOnlyWhileTraining() {
    EncoderConfig withDropout = new EncoderConfig(37, 16, 2, 24, 2, 8, 1e-5f, new int[] {8, 16},
        EncoderConfig.Pooling.MEAN, 0.2f, 0, 0);
    float[] first = null;
    for (int threads : new int[] {1, 2}) {
      Encoder enc = Encoder.init(withDropout, 5);
      try (WorkerPool pool = new WorkerPool(threads)) {
        Encoder.Pass pass = enc.build(pool, 4, 8, new int[] {8, 16}, 0.1f, false, 99L);
        assertEquals(6, pass.dropouts.size());
        SplittableRandom rnd = new SplittableRandom(3);
        for (int i = 0; i < pass.ids.length; i++) {
          pass.ids[i] = rnd.nextInt(37);
        }
        dev.mtk.models.nn.optim.AdamW opt = new dev.mtk.models.nn.optim.AdamW(enc.parameters(), 0.9f, 0.999f, 1e-8f, 0f);
        for (int step = 0; step < 2; step++) {
          pass.graph.forward();
          enc.parameters().zeroGrad();
          pass.graph.backward(pass.loss);
          opt.step(pool, 1e-3f);
        }
        if (first == null) {
          first = enc.parameters().data().clone();
        } else {
          assertArrayEquals(first, enc.parameters().data(), "dropout masks do not depend on threads");
        }
        Encoder.Pass inference = enc.build(pool, 4, 8, null, 0f, false);
        assertEquals(0, inference.dropouts.size());
        org.junit.jupiter.api.Assertions.assertFalse(inference.activations.hasGradients());
      }
    }
  }

  @Test
  void sameSeedSameWeightsAndThreadCountDoesNotChangeAStep() {
    assertArrayEquals(Encoder.init(TINY, 3).parameters().data(), Encoder.init(TINY, 3).parameters().data());
    float[] one = null;
    for (int threads : new int[] {1, 2, 3}) {
      Encoder enc = Encoder.init(TINY, 3);
      try (WorkerPool pool = new WorkerPool(threads)) {
        Encoder.Pass pass = enc.build(pool, 4, 8, new int[] {4, 16}, 0.05f, false);
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < pass.ids.length; i++) {
          pass.ids[i] = rnd.nextInt(TINY.vocabSize());
        }
        dev.mtk.models.nn.optim.AdamW opt = new dev.mtk.models.nn.optim.AdamW(enc.parameters(), 0.9f, 0.999f, 1e-8f, 0.01f);
        for (int step = 0; step < 3; step++) {
          pass.graph.forward();
          enc.parameters().zeroGrad();
          pass.graph.backward(pass.loss);
          opt.step(pool, 1e-3f);
        }
        float[] w = enc.parameters().data().clone();
        if (one == null) {
          one = w;
        } else {
          assertArrayEquals(one, w, threads + " threads");
        }
      }
    }
  }

  @Test
  void paddingDoesNotChangeAnEmbedding() {
    Encoder enc = Encoder.init(TINY, 4);
    try (WorkerPool pool = new WorkerPool(2)) {
      Encoder.Pass alone = enc.build(pool, 1, 5, null, 0f, false);
      Encoder.Pass padded = enc.build(pool, 3, 8, null, 0f, false);
      int[] seq = {3, 14, 15, 9, 2};
      System.arraycopy(seq, 0, alone.ids, 0, 5);
      alone.graph.forward();
      SplittableRandom rnd = new SplittableRandom(2);
      for (int i = 0; i < padded.ids.length; i++) {
        padded.ids[i] = rnd.nextInt(TINY.vocabSize());
      }
      System.arraycopy(seq, 0, padded.ids, 8, 5); // sequence 1, then 3 padding ids
      padded.lengths[1] = 5;
      padded.graph.forward();
      float[] a = alone.pooled.values(), b = padded.pooled.values();
      for (int i = 0; i < 16; i++) {
        assertEquals(a[i], b[16 + i], 1e-6f, "dim " + i);
      }
    }
  }

  @Test
  void aModelCutAfterLayerLEmbedsAsItsLayerTap() {
    EncoderConfig three = new EncoderConfig(TINY.vocabSize(), TINY.dModel(), TINY.heads(), TINY.ffn(),
        3, TINY.maxSeqLen(), TINY.layerNormEps(), TINY.nesting());
    Encoder enc = Encoder.init(three, 6);
    try (WorkerPool pool = new WorkerPool(2)) {
      Encoder.Pass taps = enc.build(pool, 2, 6, null, 0f, true);
      SplittableRandom rnd = new SplittableRandom(3);
      for (int i = 0; i < taps.ids.length; i++) {
        taps.ids[i] = rnd.nextInt(three.vocabSize());
      }
      taps.lengths[1] = 4;
      taps.graph.forward();
      for (int l = 1; l <= 3; l++) {
        Encoder cut = enc.firstLayers(l);
        assertEquals(l, cut.config().layers());
        Encoder.Pass p = cut.build(pool, 2, 6, null, 0f, false);
        System.arraycopy(taps.ids, 0, p.ids, 0, taps.ids.length);
        System.arraycopy(taps.lengths, 0, p.lengths, 0, 2);
        p.graph.forward();
        assertArrayEquals(taps.layerPooled[l - 1].values(), p.pooled.values(), "cut after layer " + l);
      }
    }
    assertThrows(IllegalArgumentException.class, () -> enc.firstLayers(4));
  }
}
