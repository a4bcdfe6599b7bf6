package dev.mtk.training.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.nn.autograd.Arena;
import dev.mtk.models.nn.autograd.Graph;
import dev.mtk.models.nn.loss.MatryoshkaInfoNce;
import dev.mtk.models.nn.autograd.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The composable losses against two independent references: the fused Matryoshka InfoNCE op (its
 * own gradient checked by finite differences in the models module), and double-precision twins
 * of each composition written here from the formulas, whose central finite differences check
 * every gradient — of the embeddings, of earlier layers and of the classification heads.
 */
class LossTest {

  static final WorkerPool POOL = new WorkerPool(2);

  /** A loss attached to standalone embeddings: [rows, d] last layer plus earlier layers. */
  static final class Fixture {
    final Arena act = new Arena("act"), heads = new Arena("heads");
    final Graph graph = new Graph(act);
    final Tensor emb, teacher;
    final Tensor[] layers;
    final int[] labels;
    final LossGraph lossGraph;
    final Tensor loss;
    final int rows, d;

    Fixture(Loss l, int b, int k, int d, int layerCount, int teacherWidth, int classes, long seed) {
      this.rows = b * k;
      this.d = d;
      layers = new Tensor[layerCount];
      for (int i = 0; i < layerCount - 1; i++) {
        layers[i] = act.alloc("layer" + i, rows, d);
      }
      emb = act.alloc("emb", rows, d);
      layers[layerCount - 1] = emb;
      teacher = teacherWidth > 0 ? act.alloc("teacher", rows, teacherWidth) : null;
      SplittableRandom rnd = new SplittableRandom(seed);
      labels = new int[b];
      for (int i = 0; i < b; i++) {
        labels[i] = classes > 0 ? rnd.nextInt(classes) : 0;
      }
      lossGraph = new LossGraph(graph, act, heads, POOL, b, k, d, labels, teacher, layers, seed);
      loss = l.attach(lossGraph, emb);
      act.freeze();
      heads.freeze();
      for (Tensor t : layers) {
        fill(rnd, t, 1);
      }
      if (teacher != null) {
        fill(rnd, teacher, 1);
      }
      for (Tensor t : heads.tensors()) {
        fill(rnd, t, 0.5);
      }
    }

    /** Forward and backward; returns the loss. */
    double run() {
      if (heads.size() > 0) {
        heads.zeroGrad();
      }
      graph.forward();
      graph.backward(loss);
      return loss.values()[0];
    }

    /** Every trained value (layers, then heads) as one double vector, and back. */
    List<Tensor> trained() {
      List<Tensor> t = new ArrayList<>(List.of(layers));
      t.addAll(heads.tensors());
      return t;
    }

    double[] values() {
      List<Double> v = new ArrayList<>();
      for (Tensor t : trained()) {
        for (float f : t.values()) {
          v.add((double) f);
        }
      }
      return v.stream().mapToDouble(Double::doubleValue).toArray();
    }

    double[] gradients() {
      List<Double> v = new ArrayList<>();
      for (Tensor t : trained()) {
        for (float f : t.gradient()) {
          v.add((double) f);
        }
      }
      return v.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** The slice of a values() vector that holds tensor {@code t}. */
    double[] part(double[] all, Tensor t) {
      int off = 0;
      for (Tensor u : trained()) {
        if (u == t) {
          return java.util.Arrays.copyOfRange(all, off, off + t.size());
        }
        off += u.size();
      }
      throw new IllegalArgumentException(t.toString());
    }

    Tensor head(String name) {
      return heads.tensors().stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
    }
  }

  static void fill(SplittableRandom rnd, Tensor t, double scale) {
    for (int i = 0; i < t.size(); i++) {
      t.data()[t.offset() + i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
    }
  }

  /** Checks value and gradient of the fixture's loss against a double twin and its finite differences. */
  static void check(Fixture f, ToDoubleFunction<double[]> twin, SplittableRandom rnd, String what) {
    double got = f.run();
    double[] x = f.values(), g = f.gradients();
    double want = twin.applyAsDouble(x);
    assertEquals(want, got, 1e-5 * Math.max(1, Math.abs(want)), what + ": value");
    double scale = 1e-6;
    for (double v : g) {
      scale = Math.max(scale, Math.abs(v));
    }
    for (int s = 0; s < 40; s++) {
      int c = rnd.nextInt(x.length);
      double h = 1e-5, keep = x[c];
      x[c] = keep + h;
      double up = twin.applyAsDouble(x);
      x[c] = keep - h;
      double down = twin.applyAsDouble(x);
      x[c] = keep;
      double fd = (up - down) / (2 * h);
      assertEquals(fd, g[c], 2e-3 * scale + 2e-3 * Math.abs(fd) + 1e-6, what + ": gradient at " + c);
    }
  }

  // ---- double twins, written from the formulas ----

  static double[] prefixRows(double[] x, int rows, int d, int m) {
    double[] out = new double[rows * m];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(x, r * d, out, r * m, m);
    }
    return out;
  }

  static double[] normalise(double[] x, int rows, int m) {
    double[] out = new double[x.length];
    for (int r = 0; r < rows; r++) {
      double ss = 0;
      for (int i = 0; i < m; i++) {
        ss += x[r * m + i] * x[r * m + i];
      }
      double n = Math.max(Math.sqrt(ss), 1e-12);
      for (int i = 0; i < m; i++) {
        out[r * m + i] = x[r * m + i] / n;
      }
    }
    return out;
  }

  /** Mean over rows of −log softmax(row)[target]. */
  static double crossEntropy(double[][] logits, int[] targets) {
    double s = 0;
    for (int r = 0; r < logits.length; r++) {
      double max = Double.NEGATIVE_INFINITY;
      for (double v : logits[r]) {
        max = Math.max(max, v);
      }
      double z = 0;
      for (double v : logits[r]) {
        z += Math.exp(v - max);
      }
      s += max + Math.log(z) - logits[r][targets[r]];
    }
    return s / logits.length;
  }

  static double infoNce(double[] x, int b, int k, int m, double tau, boolean symmetric) {
    double[] u = normalise(x, b * k, m);
    int[] diag = new int[b];
    double[][] fwd = new double[b][(k - 1) * b], rev = new double[b][b];
    for (int i = 0; i < b; i++) {
      diag[i] = i;
      for (int j = 0; j < (k - 1) * b; j++) {
        fwd[i][j] = dot(u, i, u, b + j, m) / tau;
      }
      for (int j = 0; j < b; j++) {
        rev[i][j] = dot(u, b + i, u, j, m) / tau;
      }
    }
    double l = crossEntropy(fwd, diag);
    return symmetric ? 0.5 * l + 0.5 * crossEntropy(rev, diag) : l;
  }

  static double dot(double[] a, int ra, double[] b, int rb, int m) {
    double s = 0;
    for (int t = 0; t < m; t++) {
      s += a[ra * m + t] * b[rb * m + t];
    }
    return s;
  }

  static double classification(double[] z, int rows, int m, double[] w, int ldw, double[] bias, int[] labels) {
    int classes = bias.length;
    double[][] logits = new double[rows][classes];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < classes; c++) {
        double s = bias[c];
        for (int t = 0; t < m; t++) {
          s += z[r * m + t] * w[c * ldw + t];
        }
        logits[r][c] = s;
      }
    }
    return crossEntropy(logits, labels);
  }

  static double kl(double[] teacher, double[] student, int rows, int n, double tau) {
    double s = 0;
    for (int r = 0; r < rows; r++) {
      double[] pt = softmax(teacher, r * n, n, tau), ps = softmax(student, r * n, n, tau);
      for (int c = 0; c < n; c++) {
        s += pt[c] * (Math.log(pt[c]) - Math.log(ps[c]));
      }
    }
    return s / rows;
  }

  static double[] softmax(double[] x, int off, int n, double tau) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      max = Math.max(max, x[off + i] / tau);
    }
    double[] p = new double[n];
    double z = 0;
    for (int i = 0; i < n; i++) {
      p[i] = Math.exp(x[off + i] / tau - max);
      z += p[i];
    }
    for (int i = 0; i < n; i++) {
      p[i] /= z;
    }
    return p;
  }

  // ---- the properties ----

  @Property(tries = 20)
  void matryoshkaInfoNceComposedEqualsTheFusedOp(@ForAll @IntRange(min = 2, max = 8) int b,
      @ForAll long seed) {
    int d = 16;
    int[] dims = {4, 8, 16};
    float tau = 0.07f;
    Fixture f = new Fixture(new MatryoshkaLoss(new InfoNce(tau, false), dims, null, -1), b, 2, d, 1, 0, 0, seed);
    double composed = f.run();
    float[] gradComposed = f.emb.gradient();

    Arena a = new Arena("fused");
    Tensor emb = a.alloc("emb", 2 * b, d), loss = a.alloc("loss", 1);
    a.freeze();
    emb.set(f.emb.values());
    Graph g = new Graph(a);
    g.add(new MatryoshkaInfoNce(emb, dims, tau, loss));
    g.forward();
    g.backward(loss);
    assertEquals(loss.values()[0], composed, 1e-5 * Math.max(1, Math.abs(composed)), "loss");
    float[] gradFused = emb.gradient();
    for (int i = 0; i < gradFused.length; i++) {
      assertEquals(gradFused[i], gradComposed[i], 1e-5 + 1e-4 * Math.abs(gradFused[i]), "gradient " + i);
    }
  }

  @Property(tries = 15)
  void infoNceSymmetricWithHardNegativesUnderMatryoshkaWeights(@ForAll @IntRange(min = 1, max = 5) int b,
      @ForAll @IntRange(min = 2, max = 3) int k, @ForAll boolean symmetric, @ForAll long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int d = 12;
    int[] dims = {3, 6, 12};
    float[] w = {(float) rnd.nextDouble() * 2, 1f, (float) rnd.nextDouble()};
    double tau = 0.2;
    Fixture f = new Fixture(new MatryoshkaLoss(new InfoNce((float) tau, symmetric), dims, w, -1), b, k, d, 1, 0, 0, seed);
    check(f, x -> {
      double s = 0;
      for (int i = 0; i < dims.length; i++) {
        s += w[i] * infoNce(prefixRows(x, b * k, d, dims[i]), b, k, dims[i], tau, symmetric);
      }
      return s;
    }, rnd, "InfoNCE k=" + k + (symmetric ? " symmetric" : ""));
  }

  @Property(tries = 15)
  void classificationWithAHeadPerSizeOrOneSharedHead(@ForAll @IntRange(min = 1, max = 6) int b,
      @ForAll @IntRange(min = 2, max = 5) int classes, @ForAll boolean shared, @ForAll long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int d = 10;
    int[] dims = {2, 5, 10};
    float[] w = {0.5f, 1f, 2f};
    Fixture f = new Fixture(new MatryoshkaLoss(new SoftmaxClassification(classes, shared), dims, w, -1),
        b, 1, d, 1, 0, classes, seed);
    assertEquals(shared ? 2 : 2 * dims.length, f.heads.tensors().size(), "heads");
    check(f, x -> {
      double s = 0;
      for (int i = 0; i < dims.length; i++) {
        int m = dims[i];
        Tensor wt = f.head(shared ? "head.weight" : "dim" + m + "/head.weight");
        Tensor bt = f.head(shared ? "head.bias" : "dim" + m + "/head.bias");
        s += w[i] * classification(prefixRows(f.part(x, f.emb), b, d, m), b, m, f.part(x, wt),
            wt.dim(1), f.part(x, bt), f.labels);
      }
      return s;
    }, rnd, shared ? "MRL-E classification" : "MRL classification");
  }

  @Property(tries = 15)
  void distillationCutsTheTeacherToThePrefix(@ForAll @IntRange(min = 1, max = 5) int b,
      @ForAll long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int d = 8, teacherWidth = 12;
    int[] dims = {2, 4, 8};
    Fixture f = new Fixture(new MatryoshkaLoss(new MseDistillation(), dims, null, -1), b, 2, d, 1, teacherWidth, 0, seed);
    double[] t = new double[f.teacher.size()];
    for (int i = 0; i < t.length; i++) {
      t[i] = f.teacher.values()[i];
    }
    check(f, x -> {
      double s = 0;
      for (int m : dims) {
        double[] z = prefixRows(x, 2 * b, d, m), tp = prefixRows(t, 2 * b, teacherWidth, m);
        double e = 0;
        for (int i = 0; i < z.length; i++) {
          e += (z[i] - tp[i]) * (z[i] - tp[i]);
        }
        s += e / z.length;
      }
      return s;
    }, rnd, "MSE distillation");
  }

  @Property(tries = 15)
  void similarityDistillationMatchesTheTeachersCosinesAtEveryPrefix(@ForAll @IntRange(min = 1, max = 5) int b,
      @ForAll @IntRange(min = 0, max = 2) int anchor, @ForAll long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int d = 8, rows = 2 * b;
    int[] dims = {2, 4, 8};
    float anchorWeight = anchor * 0.75f;
    // the teacher as wide as the student: the anchor term is added at the full width
    Fixture f = new Fixture(new MatryoshkaLoss(new SimilarityDistillation(anchorWeight), dims, null, -1),
        b, 2, d, 1, d, 0, seed);
    double[] t = new double[f.teacher.size()];
    for (int i = 0; i < t.length; i++) {
      t[i] = f.teacher.values()[i];
    }
    double[] tu = normalise(t, rows, d);
    check(f, x -> {
      double s = 0;
      for (int m : dims) {
        double[] u = normalise(prefixRows(x, rows, d, m), rows, m);
        double e = 0;
        for (int i = 0; i < rows; i++) {
          for (int j = 0; j < rows; j++) {
            double cs = 0, ct = 0;
            for (int k = 0; k < m; k++) {
              cs += u[i * m + k] * u[j * m + k];
            }
            for (int k = 0; k < d; k++) {
              ct += tu[i * d + k] * tu[j * d + k];
            }
            e += (cs - ct) * (cs - ct);
          }
        }
        s += e / (rows * rows);
        if (m == d) {
          double a = 0;
          for (int i = 0; i < rows; i++) {
            double c = 0;
            for (int k = 0; k < d; k++) {
              c += u[i * d + k] * tu[i * d + k];
            }
            a += 1 - c;
          }
          s += anchorWeight * a / rows;
        }
      }
      return s;
    }, rnd, "similarity distillation");
  }

  @Property(tries = 12)
  void twoDimensionalMatryoshkaOverLayersAndDims(@ForAll @IntRange(min = 2, max = 4) int b,
      @ForAll @IntRange(min = 2, max = 4) int layerCount, @ForAll long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int d = 8;
    int[] dims = {4, 8};
    double tau = 0.3, klTau = 0.5, wLast = 1.5, wPrior = 0.7, wKl = 0.9;
    Loss inner = new MatryoshkaLoss(new InfoNce((float) tau, false), dims, null, -1);
    Fixture f = new Fixture(new AdaptiveLayerLoss(inner, -1, (float) wLast, (float) wPrior,
        (float) wKl, (float) klTau), b, 2, d, layerCount, 0, 0, seed);
    int rows = 2 * b;
    check(f, x -> {
      ToDoubleFunction<double[]> mat = e -> {
        double s = 0;
        for (int m : dims) {
          s += infoNce(prefixRows(e, rows, d, m), b, 2, m, tau, false);
        }
        return s;
      };
      double[] last = f.part(x, f.emb);
      double s = wLast * mat.applyAsDouble(last);
      int prior = layerCount - 1;
      for (int l = 0; l < prior; l++) {
        double[] layer = f.part(x, f.layers[l]);
        s += wPrior * mat.applyAsDouble(layer) / (1 + l) / prior;
        // the last layer is a constant teacher in the KL term: its gradient comes only from above
        s += wKl * klTau * kl(frozen(f), layer, rows, d, klTau);
      }
      return s;
    }, rnd, "2D Matryoshka, " + layerCount + " layers");
  }

  /** The last layer's values as the fixture holds them (a constant for the KL teacher). */
  static double[] frozen(Fixture f) {
    float[] v = f.emb.values();
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i];
    }
    return out;
  }

  @Test
  void dimsPerStepSamplesTheSameSizesForTheSameStep() {
    int[] dims = {2, 4, 8, 16};
    Fixture f = new Fixture(new MatryoshkaLoss(new InfoNce(0.1f, false), dims, null, 2), 4, 2, 16, 1, 0, 0, 7);
    java.util.Set<Integer> everSeen = new java.util.TreeSet<>();
    for (long step = 0; step < 40; step++) {
      f.lossGraph.beginStep(step);
      double total = f.run();
      double sum = 0;
      int active = 0;
      for (int m : dims) {
        float part = f.lossGraph.components().get("dim" + m).values()[0];
        double grad = f.lossGraph.components().get("dim" + m).gradient()[0];
        if (grad != 0) {
          active++;
          sum += part;
          everSeen.add(m);
        }
      }
      assertEquals(2, active, "two sizes weigh in at step " + step);
      assertEquals(sum, total, 1e-5 * Math.abs(sum), "the total is the sum of the chosen parts");
      int[] again = MatryoshkaLoss.sample(dims.length, 2, 7, step);
      assertTrue(java.util.Arrays.equals(again, MatryoshkaLoss.sample(dims.length, 2, 7, step)));
    }
    assertEquals(java.util.Set.of(2, 4, 8, 16), everSeen, "every size gets its turn");
  }

  @Test
  void argumentsAreValidatedWithMessagesThatSayWhatToDo() {
    Loss base = new InfoNce(0.05f, false);
    var e = assertThrows(IllegalArgumentException.class,
        () -> new MatryoshkaLoss(base, new int[] {8, 16}, new float[] {1f}, -1));
    assertTrue(e.getMessage().contains("one per dim"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new MatryoshkaLoss(base, new int[] {16, 8}, null, -1));
    assertTrue(e.getMessage().contains("strictly increasing"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new MatryoshkaLoss(base, new int[] {8, 16}, null, 3));
    assertTrue(e.getMessage().contains("from 1 to 2"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new InfoNce(0f, false));
    assertTrue(e.getMessage().contains("temperature"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> new Fixture(new MatryoshkaLoss(base, new int[] {8, 32}, null, -1), 2, 2, 16, 1, 0, 0, 1));
    assertTrue(e.getMessage().contains("exceed the 16-dimensional"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> new Fixture(new MseDistillation(), 2, 2, 16, 1, 8, 0, 1));
    assertTrue(e.getMessage().contains("at most 8 wide"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> LossConfig.parse(new com.fasterxml.jackson.databind.ObjectMapper().readTree("{\"base\": \"infonce\", \"dimz\": [8]}")));
    assertTrue(e.getMessage().contains("unknown setting 'dimz'"), e.getMessage());
  }
}
