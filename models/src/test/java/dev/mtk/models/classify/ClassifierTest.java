package dev.mtk.models.classify;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mtk.models.nn.autograd.Arena;
import dev.mtk.models.nn.autograd.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassifierTest {

  static final int[] DIMS = {4, 8, 16};
  static final int WIDTH = 16, C = 5;
  static final List<String> CLASSES = List.of("a", "b", "c", "d", "e");

  /** Random heads named as a training run's loss names them. */
  static Classifier heads(boolean shared, long seed) {
    Arena a = new Arena("heads");
    if (shared) {
      a.alloc("head.weight", C, WIDTH);
      a.alloc("head.bias", C);
    } else {
      for (int m : DIMS) {
        a.alloc("layer2/dim" + m + "/head.weight", C, m);
        a.alloc("layer2/dim" + m + "/head.bias", C);
      }
    }
    a.freeze();
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < a.data().length; i++) {
      a.data()[i] = (float) r.nextGaussian();
    }
    return Classifier.fromHeads(a, shared ? "" : "layer2/", DIMS, CLASSES);
  }

  static float[] rows(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[n * WIDTH];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    return x;
  }

  /** Logits of prefix m computed the plain way, in double, from the heads' raw arrays. */
  static double[] reference(float[] w, float[] b, int stride, int m, float[] x, int row) {
    double[] z = new double[C];
    for (int c = 0; c < C; c++) {
      z[c] = b[c];
      for (int j = 0; j < m; j++) {
        z[c] += (double) w[c * stride + j] * x[row * WIDTH + j];
      }
    }
    return z;
  }

  @Test
  void eachPrefixPredictsWhatItsHeadComputesPlainly() {
    for (boolean shared : new boolean[] {false, true}) {
      Arena a = new Arena("h");
      Tensor[] w = new Tensor[DIMS.length], b = new Tensor[DIMS.length];
      for (int k = 0; k < DIMS.length; k++) {
        if (shared && k > 0) {
          w[k] = w[0];
          b[k] = b[0];
          continue;
        }
        w[k] = a.alloc(shared ? "head.weight" : "dim" + DIMS[k] + "/head.weight", C, shared ? WIDTH : DIMS[k]);
        b[k] = a.alloc(shared ? "head.bias" : "dim" + DIMS[k] + "/head.bias", C);
      }
      a.freeze();
      SplittableRandom r = new SplittableRandom(3);
      for (int i = 0; i < a.data().length; i++) {
        a.data()[i] = (float) r.nextGaussian();
      }
      Classifier cl = Classifier.fromHeads(a, "", DIMS, CLASSES);
      int n = 200;
      float[] x = rows(n, 4);
      Classifier.Table t = cl.table(x, n, WIDTH);
      for (int k = 0; k < DIMS.length; k++) {
        for (int i = 0; i < n; i++) {
          double[] z = reference(w[k].values(), b[k].values(), w[k].dim(1), DIMS[k], x, i);
          int best = 0;
          for (int c = 1; c < C; c++) {
            best = z[c] > z[best] ? c : best;
          }
          double sum = 0;
          for (double v : z) {
            sum += Math.exp(v - z[best]);
          }
          assertEquals(best, t.label()[k][i], "prefix " + DIMS[k] + " row " + i);
          assertEquals(1 / sum, t.maxProb()[k][i], 1e-5);
        }
      }
      // without a cascade every row is the full prefix's answer
      Classifier.Decision[] full = cl.classify(x, n, WIDTH, null);
      for (int i = 0; i < n; i++) {
        assertEquals(t.label()[DIMS.length - 1][i], full[i].label());
        assertEquals(16, full[i].dims());
      }
    }
  }

  @Test
  void theCascadeStopsWhereTheTableSaysAndCalibrationMeetsItsGoal() {
    Classifier cl = heads(false, 11);
    int n = 3000;
    float[] x = rows(n, 12);
    Classifier.Table t = cl.table(x, n, WIDTH);
    // labels: the full head's answer, flipped for a fifth of the rows, so full top-1 is ~0.8
    int[] truth = t.label()[DIMS.length - 1].clone();
    SplittableRandom r = new SplittableRandom(5);
    for (int i = 0; i < n; i++) {
      if (r.nextInt(5) == 0) {
        truth[i] = (truth[i] + 1 + r.nextInt(C - 1)) % C;
      }
    }
    for (Cascade.Confidence kind : Cascade.Confidence.values()) {
      for (double loss : new double[] {0, 2, 10}) {
        Cascade c = Cascade.calibrate(t, truth, kind, loss);
        Cascade.Outcome o = c.evaluate(t, truth);
        assertTrue(o.top1() >= o.top1Full() - loss / 100 - 1e-9, kind + " " + loss + ": " + o);
        assertEquals(n, Arrays.stream(o.stops()).sum());
        // no single threshold shared by the prefixes does better (exhaustive over every value)
        float[][] conf = t.confidence(kind);
        for (int k = 0; k < DIMS.length - 1; k++) {
          for (int i = 0; i < n; i += 7) {
            float[] thr = new float[DIMS.length];
            Arrays.fill(thr, conf[k][i]);
            thr[DIMS.length - 1] = Float.NaN;
            Cascade.Outcome s = Cascade.evaluate(t, truth, kind, thr);
            assertTrue(s.top1() < o.top1Full() - loss / 100 - 1e-9 || s.expectedDims() >= o.expectedDims() - 1e-9,
                "shared threshold " + conf[k][i] + " beats calibration: " + s + " vs " + o);
          }
        }
        // the lazy path (heads computed until one is sure) gives the table's answers
        Classifier.Decision[] d = cl.classify(x, n, WIDTH, c);
        int hit = 0;
        long spent = 0;
        for (int i = 0; i < n; i++) {
          hit += d[i].label() == truth[i] ? 1 : 0;
          spent += d[i].dims();
          assertEquals(t.label()[d[i].prefix()][i], d[i].label());
        }
        assertEquals(o.top1(), (double) hit / n, 1e-12);
        assertEquals(o.expectedDims(), (double) spent / n, 1e-9);
      }
    }
    // allowed to lose 10 points, the cascade must use fewer dims than the full 16
    assertTrue(Cascade.calibrate(t, truth, Cascade.Confidence.MAX_PROB, 10).evaluate(t, truth).expectedDims() < 16);
  }

  @Test
  void savedAndLoadedTheDecisionsAreTheSame(@TempDir Path dir) throws Exception {
    for (boolean shared : new boolean[] {false, true}) {
      Classifier cl = heads(shared, 21);
      int n = 500;
      float[] x = rows(n, 22);
      Classifier.Table t = cl.table(x, n, WIDTH);
      int[] truth = t.label()[DIMS.length - 1];
      cl = cl.withCascade(Cascade.calibrate(t, truth, Cascade.Confidence.MARGIN, 5));
      Path m = dir.resolve("m" + shared);
      Files.createDirectories(m);
      cl.save(m);
      Classifier back = Classifier.load(m);
      assertEquals(CLASSES, back.classes());
      assertEquals(shared, back.shared());
      assertArrayEquals(cl.cascade().thresholds(), back.cascade().thresholds());
      assertEquals(Cascade.Confidence.MARGIN, back.cascade().confidence());
      Classifier.Decision[] a = cl.classify(x, n, WIDTH, cl.cascade()), b = back.classify(x, n, WIDTH, back.cascade());
      assertEquals(Arrays.asList(a), Arrays.asList(b));
    }
    assertEquals(null, Classifier.load(dir.resolve("nowhere")));
    Path bad = dir.resolve("mfalse");
    String json = Files.readString(bad.resolve(Classifier.CONFIG));
    Files.writeString(bad.resolve(Classifier.CONFIG), json.replace("\"dims\" : [ 4, 8, 16 ]", "\"dims\" : [ 8, 4 ]"));
    var e = assertThrows(IllegalArgumentException.class, () -> Classifier.load(bad));
    assertTrue(e.getMessage().contains("classifier.json: field dims must be positive and increasing"), e.getMessage());
    Files.writeString(bad.resolve(Classifier.CONFIG), json.replace("\"confidence\" : \"margin\"", "\"confidence\" : \"vibes\""));
    e = assertThrows(IllegalArgumentException.class, () -> Classifier.load(bad));
    assertTrue(e.getMessage().contains("confidence must be max_prob or margin"), e.getMessage());
  }

  /** Separate heads for layers 1 … 3, named as adaptive-layer training names them. */
  static Classifier layered(long seed) {
    Arena a = new Arena("heads");
    for (int l = 1; l <= 3; l++) {
      for (int m : DIMS) {
        a.alloc("layer" + l + "/dim" + m + "/head.weight", C, m);
        a.alloc("layer" + l + "/dim" + m + "/head.bias", C);
      }
    }
    a.freeze();
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = 0; i < a.data().length; i++) {
      a.data()[i] = (float) r.nextGaussian();
    }
    Classifier[] earlier = {Classifier.fromHeads(a, "layer1/", DIMS, CLASSES),
        Classifier.fromHeads(a, "layer2/", DIMS, CLASSES)};
    return Classifier.fromHeads(a, "layer3/", DIMS, CLASSES).withEarlierLayers(earlier);
  }

  @Test
  void earlyExitStopsWhereTheDepthCascadeSaysAndSurvivesSaving(@TempDir Path dir) throws Exception {
    Classifier cl = layered(31);
    int n = 400, last = DIMS.length - 1;
    float[][] byLayer = {rows(n, 1), rows(n, 2), rows(n, 3)};
    Classifier.Table t = cl.depthTable(byLayer, n, WIDTH);
    assertArrayEquals(new int[] {1, 2, 3}, t.dims());
    for (int l = 1; l <= 3; l++) {
      Classifier.Table own = cl.atLayer(l).table(byLayer[l - 1], n, WIDTH);
      assertArrayEquals(own.label()[last], t.label()[l - 1], "layer " + l + " is its full-width head");
      assertArrayEquals(own.maxProb()[last], t.maxProb()[l - 1]);
    }
    int[] truth = t.label()[2];
    Cascade depth = Cascade.calibrate(t, truth, Cascade.Confidence.MAX_PROB, 10);
    assertTrue(depth.dev().expectedDims() < 3, "some rows stop early: " + depth.dev().expectedDims());
    cl = cl.withEarlyExit(depth);
    Files.createDirectories(dir.resolve("m"));
    cl.save(dir.resolve("m"));
    Classifier back = Classifier.load(dir.resolve("m"));
    assertEquals(3, back.layers());
    assertArrayEquals(depth.thresholds(), back.earlyExit().thresholds());
    assertEquals(depth.dev().expectedDims(), back.earlyExit().dev().expectedDims(), 0);
    assertTrue(Files.readString(dir.resolve("m").resolve(Classifier.CONFIG)).contains("\"expected_layers\""));
    // the exit rule, applied layer by layer as the encoder would, stops where the table says
    var rule = back.exitRule(back.earlyExit());
    int[] stopped = new int[n];
    float[] rows = new float[n * WIDTH];
    for (int i = 0; i < n; i++) {
      int l = 1;
      while (l < 3 && !rule.exits(l, byLayer[l - 1], i * WIDTH, null, 0, WIDTH)) {
        l++;
      }
      stopped[i] = l;
      System.arraycopy(byLayer[l - 1], i * WIDTH, rows, i * WIDTH, WIDTH);
    }
    int[] stops = new int[3];
    for (int l : stopped) {
      stops[l - 1]++;
    }
    assertArrayEquals(depth.dev().stops(), stops);
    // each row is labelled by the head of the layer it stopped at
    Classifier.Decision[] d = back.classify(rows, stopped, n, WIDTH, null);
    int hit = 0;
    for (int i = 0; i < n; i++) {
      assertEquals(stopped[i], d[i].layer());
      assertEquals(t.label()[stopped[i] - 1][i], d[i].label(), "row " + i);
      assertEquals(WIDTH, d[i].dims());
      hit += d[i].label() == truth[i] ? 1 : 0;
    }
    assertEquals(depth.dev().top1(), (double) hit / n, 1e-12);
    assertThrows(IllegalArgumentException.class, () -> heads(false, 1).withEarlyExit(depth));
  }
}
