package dev.mtk.models.nn;

import dev.mtk.models.nn.autograd.Arena;
import dev.mtk.models.nn.autograd.Op;
import dev.mtk.models.nn.autograd.Tensor;
import dev.mtk.models.nn.loss.CrossEntropy;
import dev.mtk.models.nn.loss.KlDivergence;
import dev.mtk.models.nn.loss.MatryoshkaInfoNce;
import dev.mtk.models.nn.loss.Mse;
import dev.mtk.models.nn.loss.SupervisedContrastive;
import dev.mtk.models.nn.ops.Add;
import dev.mtk.models.nn.ops.Attention;
import dev.mtk.models.nn.ops.ClsPool;
import dev.mtk.models.nn.ops.ConcatRows;
import dev.mtk.models.nn.ops.Dropout;
import dev.mtk.models.nn.ops.Embedding;
import dev.mtk.models.nn.ops.Gelu;
import dev.mtk.models.nn.ops.L2Normalize;
import dev.mtk.models.nn.ops.LayerNorm;
import dev.mtk.models.nn.ops.Linear;
import dev.mtk.models.nn.ops.MatMul;
import dev.mtk.models.nn.ops.MeanPool;
import dev.mtk.models.nn.ops.PairScores;
import dev.mtk.models.nn.ops.PrefixSlice;
import dev.mtk.models.nn.ops.Softmax;
import dev.mtk.models.nn.ops.WeightedSum;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mtk.core.kernel.GeluForm;
import dev.mtk.core.parallel.WorkerPool;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Each op's forward against its double-precision twin in {@link DoubleOps}, and its hand-written
 * backward against central finite differences of that twin (in double), on random shapes. The
 * scalar checked is L = Σ r·out for a random r, so every output element's gradient matters.
 */
class OpGradientTest {

  static final WorkerPool POOL = new WorkerPool(2);

  /** Runs forward, compares, seeds out.grad = r, runs backward, checks sampled coordinates. */
  static void check(SplittableRandom rnd, Op op, List<Tensor> inputs, Tensor out,
      Function<double[][], double[]> reference, String what) {
    double[][] x = new double[inputs.size()][];
    for (int k = 0; k < inputs.size(); k++) {
      Tensor t = inputs.get(k);
      x[k] = DoubleOps.toDouble(t.data(), t.offset(), t.size());
    }
    op.forward();
    double[] ref = reference.apply(x);
    float[] got = out.values();
    double scale = 1e-9;
    for (double v : ref) {
      scale = Math.max(scale, Math.abs(v));
    }
    for (int i = 0; i < ref.length; i++) {
      // 1e-6 absolute: GELU's erf is an approximation good to 1.5e-7 (docs/KERNELS.md)
      assertEquals(ref[i], got[i], 2e-5 * scale + 1e-5 * Math.abs(ref[i]) + 1e-6, what + " forward at " + i);
    }
    double[] r = new double[out.size()];
    for (int i = 0; i < r.length; i++) {
      r[i] = rnd.nextDouble() * 2 - 1;
      out.grad()[out.offset() + i] = (float) r[i];
    }
    for (Tensor t : inputs) {
      java.util.Arrays.fill(t.grad(), t.offset(), t.offset() + t.size(), 0f);
    }
    op.backward();
    for (int k = 0; k < inputs.size(); k++) {
      Tensor t = inputs.get(k);
      float[] g = t.gradient();
      double gscale = 1e-6;
      for (float v : g) {
        gscale = Math.max(gscale, Math.abs(v));
      }
      for (int s = 0; s < Math.min(12, t.size()); s++) {
        int c = rnd.nextInt(t.size());
        double h = 1e-5 * Math.max(1, Math.abs(x[k][c]));
        double keep = x[k][c];
        x[k][c] = keep + h;
        double up = dot(r, reference.apply(x));
        x[k][c] = keep - h;
        double down = dot(r, reference.apply(x));
        x[k][c] = keep;
        double fd = (up - down) / (2 * h);
        // float rounding leaves ~1e-6 of noise even where the true gradient vanishes (layer norm
        // of two elements is scale-free): an absolute floor of 1e-5 covers it
        assertEquals(fd, g[c], 2e-3 * gscale + 2e-3 * Math.abs(fd) + 1e-5,
            what + ": d/d" + t.name() + "[" + c + "]");
      }
    }
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }

  static void fill(SplittableRandom rnd, Tensor t, double scale) {
    for (int i = 0; i < t.size(); i++) {
      t.data()[t.offset() + i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
    }
  }

  @Property(tries = 25)
  void linear(@ForAll @IntRange(min = 1, max = 40) int rows, @ForAll @IntRange(min = 1, max = 37) int dIn,
      @ForAll @IntRange(min = 1, max = 45) int dOut, @ForAll long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    Arena a = new Arena("t");
    Tensor in = a.alloc("in", rows, dIn), w = a.alloc("w", dOut, dIn), b = a.alloc("b", dOut),
        out = a.alloc("out", rows, dOut);
    a.freeze();
    fill(rnd, in, 1);
    fill(rnd, w, 0.5);
    fill(rnd, b, 0.5);
    check(rnd, new Linear(POOL, in, w, b, out), List.of(in, w, b), out,
        x -> DoubleOps.linear(x[0], x[1], x[2], rows, dIn, dOut), "linear");
  }

  @Property(tries = 25)
  void layerNorm(@ForAll @IntRange(min = 1, max = 150) int rows, @ForAll @IntRange(min = 2, max = 70) int d,
      @ForAll long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    Arena a = new Arena("t");
    Tensor in = a.alloc("in", rows, d), g = a.alloc("g", d), b = a.alloc("b", d), out = a.alloc("out", rows, d);
    a.freeze();
    fill(rnd, in, 2);
    fill(rnd, g, 1.5);
    fill(rnd, b, 1);
    check(rnd, new LayerNorm(POOL, in, g, b, out, 1e-5f), List.of(in, g, b), out,
        x -> DoubleOps.layerNorm(x[0], x[1], x[2], rows, d, 1e-5), "layer norm");
  }

  @Property(tries = 20)
  void attentionWithPadding(@ForAll @IntRange(min = 1, max = 4) int batch,
      @ForAll @IntRange(min = 1, max = 9) int seq, @ForAll @IntRange(min = 1, max = 3) int heads,
      @ForAll @IntRange(min = 1, max = 8) int hd, @ForAll long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int d = heads * hd;
    Arena a = new Arena("t");
    Tensor qkv = a.alloc("qkv", batch * seq, 3 * d), out = a.alloc("out", batch * seq, d),
        probs = a.alloc("probs", batch, heads, seq, seq);
    a.freeze();
    fill(rnd, qkv, 1.5);
    int[] lengths = new int[batch];
    for (int b = 0; b < batch; b++) {
      lengths[b] = 1 + rnd.nextInt(seq);
    }
    check(rnd, new Attention(POOL, qkv, out, probs, lengths, heads), List.of(qkv), out,
        x -> DoubleOps.attention(x[0], lengths, batch, seq, d, heads), "attention");
  }

  @Property(tries = 20)
  void gelu(@ForAll @IntRange(min = 1, max = 300) int n, @ForAll boolean tanh, @ForAll long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    Arena a = new Arena("t");
    Tensor in = a.alloc("in", n), out = a.alloc("out", n);
    a.freeze();
    fill(rnd, in, 4);
    check(rnd, new Gelu(POOL, tanh ? GeluForm.TANH : GeluForm.ERF, in, out), List.of(in), out,
        x -> DoubleOps.gelu(x[0], tanh), "gelu");
  }

  @Property(tries = 20)
  void meanPoolAddAndEmbedding(@ForAll @IntRange(min = 1, max = 5) int batch,
      @ForAll @IntRange(min = 1, max = 7) int seq, @ForAll @IntRange(min = 1, max = 20) int d,
      @ForAll long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int vocab = 11;
    Arena a = new Arena("t");
    Tensor in = a.alloc("in", batch, seq, d), pooled = a.alloc("pooled", batch, d);
    Tensor p = a.alloc("p", batch * seq, d), q = a.alloc("q", batch * seq, d), sum = a.alloc("sum", batch * seq, d);
    Tensor tok = a.alloc("tok", vocab, d), pos = a.alloc("pos", seq + 2, d), emb = a.alloc("emb", batch * seq, d);
    a.freeze();
    for (Tensor t : List.of(in, p, q, tok, pos)) {
      fill(rnd, t, 1);
    }
    int[] lengths = new int[batch];
    for (int b = 0; b < batch; b++) {
      lengths[b] = 1 + rnd.nextInt(seq);
    }
    check(rnd, new MeanPool(in, lengths, pooled), List.of(in), pooled,
        x -> DoubleOps.meanPool(x[0], lengths, batch, seq, d), "mean pool");
    check(rnd, new Add(POOL, p, q, sum), List.of(p, q), sum, x -> DoubleOps.add(x[0], x[1]), "add");
    int[] ids = new int[batch * seq];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = rnd.nextInt(vocab);
    }
    check(rnd, new Embedding(ids, tok, pos, emb, seq), List.of(tok, pos), emb,
        x -> DoubleOps.embedding(ids, x[0], x[1], seq, d), "embedding");
  }

  @Property(tries = 20)
  void matryoshkaInfoNce(@ForAll @IntRange(min = 1, max = 6) int batch, @ForAll long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int d = 16;
    int[] dims = {4, 8, 16};
    Arena a = new Arena("t");
    Tensor emb = a.alloc("emb", 2 * batch, d), loss = a.alloc("loss", 1);
    a.freeze();
    fill(rnd, emb, 1);
    check(rnd, new MatryoshkaInfoNce(emb, dims, 0.3f, loss), List.of(emb), loss,
        x -> new double[] {DoubleOps.matryoshkaInfoNce(x[0], batch, d, dims, 0.3)}, "infonce");
  }

  @Property(tries = 20)
  void softmaxL2PrefixAndCls(@ForAll @IntRange(min = 1, max = 6) int rows,
      @ForAll @IntRange(min = 2, max = 40) int n, @ForAll long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int m = 1 + rnd.nextInt(n);
    Arena a = new Arena("t");
    Tensor x = a.alloc("x", rows, n), sm = a.alloc("sm", rows, n), nx = a.alloc("nx", rows, n),
        px = a.alloc("px", rows, m);
    Tensor seqIn = a.alloc("seq", rows, 3, n), clsOut = a.alloc("clsOut", rows, n);
    a.freeze();
    fill(rnd, x, 3);
    fill(rnd, seqIn, 1);
    check(rnd, new Softmax(x, sm), List.of(x), sm, v -> DoubleOps.softmax(v[0], n), "softmax");
    check(rnd, new L2Normalize(x, nx), List.of(x), nx, v -> DoubleOps.l2Normalize(v[0], n), "l2");
    check(rnd, new PrefixSlice(x, px), List.of(x), px, v -> DoubleOps.prefix(v[0], n, m), "prefix");
    check(rnd, new ClsPool(seqIn, clsOut), List.of(seqIn), clsOut,
        v -> DoubleOps.clsPool(v[0], rows, 3, n), "cls");
  }

  @Property(tries = 20)
  void concatRows(@ForAll @IntRange(min = 1, max = 6) int rowsA, @ForAll @IntRange(min = 1, max = 6) int rowsB,
      @ForAll @IntRange(min = 1, max = 9) int n, @ForAll long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    Arena a = new Arena("t");
    Tensor x = a.alloc("x", rowsA, n), y = a.alloc("y", rowsB, n), out = a.alloc("out", rowsA + rowsB, n);
    a.freeze();
    fill(rnd, x, 2);
    fill(rnd, y, 2);
    check(rnd, new ConcatRows(x, y, out), List.of(x, y), out, v -> {
      double[] c = java.util.Arrays.copyOf(v[0], v[0].length + v[1].length);
      System.arraycopy(v[1], 0, c, v[0].length, v[1].length);
      return c;
    }, "concat");
  }

  @Property(tries = 20)
  void lossesCrossEntropyMseKl(@ForAll @IntRange(min = 1, max = 7) int rows,
      @ForAll @IntRange(min = 2, max = 12) int classes, @ForAll long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    Arena a = new Arena("t");
    Tensor z = a.alloc("z", rows, classes), t = a.alloc("t", rows, classes), l1 = a.alloc("l1", 1),
        l2 = a.alloc("l2", 1), l3 = a.alloc("l3", 1);
    a.freeze();
    fill(rnd, z, 3);
    fill(rnd, t, 3);
    int[] targets = new int[rows];
    for (int r = 0; r < rows; r++) {
      targets[r] = rnd.nextInt(classes);
    }
    double[] teacher = DoubleOps.toDouble(t.data(), t.offset(), t.size());
    check(rnd, new CrossEntropy(z, targets, l1), List.of(z), l1,
        v -> new double[] {DoubleOps.crossEntropy(v[0], targets, classes)}, "cross-entropy");
    check(rnd, new Mse(z, t, l2), List.of(z), l2,
        v -> new double[] {DoubleOps.mse(v[0], teacher)}, "mse");
    check(rnd, new KlDivergence(z, t, 2f, l3), List.of(z), l3,
        v -> new double[] {DoubleOps.kl(v[0], teacher, classes, 2.0)}, "kl");
  }

  @Property(tries = 20)
  void supervisedContrastive(@ForAll @IntRange(min = 2, max = 9) int n,
      @ForAll @IntRange(min = 1, max = 4) int classes, @ForAll long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    Arena a = new Arena("t");
    Tensor s = a.alloc("s", n, n), l = a.alloc("l", 1);
    a.freeze();
    fill(rnd, s, 3);
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = rnd.nextInt(classes); // some anchors may have no positive: they are left out
    }
    check(rnd, new SupervisedContrastive(s, labels, l), List.of(s), l,
        v -> new double[] {DoubleOps.supCon(v[0], labels)}, "supervised contrastive");
    if (n % 2 == 0) {
      // two views of n/2 examples: the labels of the first view stand for both
      int[] half = java.util.Arrays.copyOf(labels, n / 2), both = new int[n];
      for (int i = 0; i < n; i++) {
        both[i] = half[i % (n / 2)];
      }
      check(rnd, new SupervisedContrastive(s, half, l), List.of(s), l,
          v -> new double[] {DoubleOps.supCon(v[0], both)}, "supervised contrastive, two views");
    }
  }

  @Property(tries = 15)
  void matmul(@ForAll @IntRange(min = 1, max = 20) int m, @ForAll @IntRange(min = 1, max = 20) int k,
      @ForAll @IntRange(min = 1, max = 40) int n, @ForAll long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    Arena ar = new Arena("t");
    Tensor a = ar.alloc("a", m, k), b = ar.alloc("b", k, n), c = ar.alloc("c", m, n);
    ar.freeze();
    fill(rnd, a, 1);
    fill(rnd, b, 1);
    check(rnd, new MatMul(POOL, a, b, c), List.of(a, b), c, v -> DoubleOps.matmul(v[0], v[1], m, k, n), "matmul");
  }

  @Property(tries = 10)
  void dropoutIsSeededAndScaled(@ForAll @IntRange(min = 1, max = 2000) int n, @ForAll long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    Arena a = new Arena("t");
    Tensor x = a.alloc("x", n), y = a.alloc("y", n), y2 = a.alloc("y2", n);
    a.freeze();
    fill(rnd, x, 1);
    Dropout drop = new Dropout(x, y, 0.25f, seed);
    Dropout again = new Dropout(x, y2, 0.25f, seed);
    again.forward();
    // gradient through a fixed mask: d/dx of Σ r · (x ⊙ mask)
    check(rnd, drop, List.of(x), y, v -> {
      double[] out = new double[n];
      for (int i = 0; i < n; i++) {
        out[i] = v[0][i] * drop.mask()[i];
      }
      return out;
    }, "dropout");
    org.junit.jupiter.api.Assertions.assertArrayEquals(y.values(), y2.values(), "same seed, same mask");
    int zeros = 0;
    for (float mv : drop.mask()) {
      zeros += mv == 0f ? 1 : 0;
      org.junit.jupiter.api.Assertions.assertTrue(mv == 0f || mv == 1f / 0.75f);
    }
    if (n >= 1000) {
      assertEquals(0.25, zeros / (double) n, 0.06, "dropped fraction");
    }
    drop.setTraining(false);
    drop.forward();
    org.junit.jupiter.api.Assertions.assertArrayEquals(x.values(), y.values(), "identity when not training");
  }

  @Property(tries = 25)
  void linearOnTheFirstColumnsOfAWiderWeight(@ForAll @IntRange(min = 1, max = 20) int rows,
      @ForAll @IntRange(min = 1, max = 30) int width, @ForAll @IntRange(min = 1, max = 12) int dOut,
      @ForAll long seed) {
    // MRL-E: one head [dOut, width], each prefix m uses its first m columns
    SplittableRandom rnd = new SplittableRandom(seed);
    int m = 1 + rnd.nextInt(width);
    Arena a = new Arena("t");
    Tensor in = a.alloc("in", rows, m), w = a.alloc("w", dOut, width), b = a.alloc("b", dOut),
        out = a.alloc("out", rows, dOut);
    a.freeze();
    fill(rnd, in, 1);
    fill(rnd, w, 0.5);
    fill(rnd, b, 0.5);
    check(rnd, new Linear(POOL, in, w, b, out, m), List.of(in, w, b), out, x -> {
      double[] sliced = new double[dOut * m];
      for (int o = 0; o < dOut; o++) {
        System.arraycopy(x[1], o * width, sliced, o * m, m);
      }
      return DoubleOps.linear(x[0], sliced, x[2], rows, m, dOut);
    }, "linear on a prefix of the weight");
    // and the columns past m receive no gradient
    for (int o = 0; o < dOut; o++) {
      for (int c = m; c < width; c++) {
        assertEquals(0f, w.grad()[w.offset() + o * width + c], "dW[" + o + ", " + c + "]");
      }
    }
  }

  @Property(tries = 25)
  void pairScoresAndWeightedSum(@ForAll @IntRange(min = 1, max = 5) int b,
      @ForAll @IntRange(min = 1, max = 2) int negatives, @ForAll @IntRange(min = 1, max = 12) int m,
      @ForAll long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int rows = (1 + 1 + negatives) * b, cand = (1 + negatives) * b;
    Arena a = new Arena("t");
    Tensor x = a.alloc("x", rows, m), s = a.alloc("s", b, cand);
    Tensor p = a.alloc("p", 1), q = a.alloc("q", 1), r = a.alloc("r", 1), sum = a.alloc("sum", 1);
    a.freeze();
    fill(rnd, x, 1);
    fill(rnd, p, 3);
    fill(rnd, q, 3);
    fill(rnd, r, 3);
    float scale = 1f / (0.05f + (float) rnd.nextDouble());
    check(rnd, new PairScores(x, 0, b, b, cand, scale, s), List.of(x), s, v -> {
      double[] out = new double[b * cand];
      for (int i = 0; i < b; i++) {
        for (int j = 0; j < cand; j++) {
          for (int t = 0; t < m; t++) {
            out[i * cand + j] += scale * v[0][i * m + t] * v[0][(b + j) * m + t];
          }
        }
      }
      return out;
    }, "pair scores");
    float[] w = {(float) rnd.nextDouble(), 0f, 2.5f};
    check(rnd, new WeightedSum(new Tensor[] {p, q, r}, w, sum), List.of(p, q, r), sum,
        v -> new double[] {w[0] * v[0][0] + w[1] * v[1][0] + w[2] * v[2][0]}, "weighted sum");
  }
}
