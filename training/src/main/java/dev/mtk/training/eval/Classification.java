package dev.mtk.training.eval;

import dev.mtk.core.kernel.TopK;
import dev.mtk.core.kernel.Vectors;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.inference.Embeddings;
import dev.mtk.models.nn.optim.AdamW;
import dev.mtk.models.nn.autograd.Arena;
import dev.mtk.models.nn.loss.CrossEntropy;
import dev.mtk.models.nn.autograd.Graph;
import dev.mtk.models.nn.ops.Linear;
import dev.mtk.models.nn.autograd.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * How well a prefix of the embedding separates classes, two ways, per prefix size m (the prefix
 * renormalised): kNN — a majority vote of the k nearest training examples by cosine — and a
 * linear probe — a softmax classifier trained on the frozen training embeddings, standardised
 * per dimension by the training rows' mean and deviation (AdamW, at least
 * 10 epochs and 500 steps of 256, cosine-decayed learning rate, seeded order), scored on the test examples. Both are accuracies in [0, 1].
 */
public final class Classification {

  public static final int K = 10;
  /** At least this many epochs and this many steps (small data needs more passes to converge). */
  static final int PROBE_EPOCHS = 10, PROBE_MIN_STEPS = 500, PROBE_BATCH = 256;
  static final float PROBE_LR = 1e-2f;

  private Classification() {}

  /**
   * At most {@code max} items spread evenly over the list (every ⌈n/max⌉-th, from the first):
   * the reference set of kNN and the probe's training set. Taking the first {@code max} instead
   * would take WordNet's file order — all nouns — and never show the probe a verb.
   */
  public static <T> List<T> spread(List<T> items, int max) {
    if (items.size() <= max) {
      return items;
    }
    int stride = (items.size() + max - 1) / max;
    List<T> out = new java.util.ArrayList<>();
    for (int i = 0; i < items.size(); i += stride) {
      out.add(items.get(i));
    }
    return out;
  }

  /** metric ("knn_accuracy", "linear_probe_accuracy") → dim → accuracy. */
  public static Map<String, Map<String, Double>> byDim(WorkerPool pool, float[] train, int[] trainLabels,
      float[] test, int[] testLabels, int width, int classes, int[] dims, long seed) {
    return byDim(pool, train, trainLabels, test, testLabels, width, classes, dims, seed, false);
  }

  /**
   * As above; with {@code retrieval}, also "map_at_10": the test rows as queries against the
   * training rows as the database, relevant = the same class (see {@link #averagePrecision}).
   */
  public static Map<String, Map<String, Double>> byDim(WorkerPool pool, float[] train, int[] trainLabels,
      float[] test, int[] testLabels, int width, int classes, int[] dims, long seed, boolean retrieval) {
    Map<String, Map<String, Double>> out = new LinkedHashMap<>();
    out.put("knn_accuracy", new LinkedHashMap<>());
    out.put("linear_probe_accuracy", new LinkedHashMap<>());
    if (retrieval) {
      out.put("map_at_10", new LinkedHashMap<>());
    }
    for (int m : dims) {
      float[] tr = Embeddings.normalizedPrefix(train, trainLabels.length, width, m);
      float[] te = Embeddings.normalizedPrefix(test, testLabels.length, width, m);
      int[] nn = neighbours(pool, tr, trainLabels.length, te, testLabels.length, m, K);
      out.get("knn_accuracy").put(String.valueOf(m), knn(nn, trainLabels, testLabels, K));
      out.get("linear_probe_accuracy").put(String.valueOf(m),
          linearProbe(pool, tr, trainLabels, te, testLabels, m, classes, seed));
      if (retrieval) {
        double sum = 0;
        for (int i = 0; i < testLabels.length; i++) {
          sum += averagePrecision(nn, i * K, Math.min(K, trainLabels.length), trainLabels, testLabels[i]);
        }
        out.get("map_at_10").put(String.valueOf(m), sum / testLabels.length);
      }
    }
    return out;
  }

  /** kNN accuracy on rows already normalised to unit length, [n, m]. */
  public static double knn(WorkerPool pool, float[] train, int[] trainLabels, float[] test,
      int[] testLabels, int m, int k) {
    return knn(neighbours(pool, train, trainLabels.length, test, testLabels.length, m, k),
        trainLabels, testLabels, k);
  }

  private static double knn(int[] nn, int[] trainLabels, int[] testLabels, int k) {
    int c = 0, got = Math.min(k, trainLabels.length);
    for (int i = 0; i < testLabels.length; i++) {
      c += vote(java.util.Arrays.copyOfRange(nn, i * k, (i + 1) * k), got, trainLabels) == testLabels[i] ? 1 : 0;
    }
    return c / (double) testLabels.length;
  }

  /**
   * The k nearest training rows of every test row by dot product (rows unit length: cosine),
   * nearest first, ties to the lower row: [testRows · k] row numbers.
   */
  public static int[] neighbours(WorkerPool pool, float[] train, int trainRows, float[] test, int testRows,
      int m, int k) {
    int[] out = new int[testRows * k];
    pool.forEach((testRows + 255) / 256, t -> {
      TopK top = new TopK(k);
      int[] ids = new int[k];
      float[] sc = new float[k];
      for (int i = t * 256; i < Math.min(testRows, (t + 1) * 256); i++) {
        for (int j = 0; j < trainRows; j++) {
          top.offer(j, Vectors.dot(test, i * m, train, j * m, m));
        }
        int got = top.drainSorted(ids, sc);
        System.arraycopy(ids, 0, out, i * k, got);
      }
    });
    return out;
  }

  /**
   * Average precision of one ranked list of k: the mean, over the ranks r holding a relevant item
   * (the query's class), of the precision within the first r; 0 when none is relevant. Its mean
   * over queries is the mAP@k of image retrieval (as in the MRL paper's retrieval tables).
   */
  static double averagePrecision(int[] ranked, int from, int k, int[] labels, int label) {
    int hits = 0;
    double sum = 0;
    for (int r = 0; r < k; r++) {
      if (labels[ranked[from + r]] == label) {
        hits++;
        sum += hits / (double) (r + 1);
      }
    }
    return hits == 0 ? 0 : sum / hits;
  }

  /** The most frequent label among the neighbours (nearest first); ties go to the nearer one. */
  static int vote(int[] ids, int n, int[] labels) {
    int best = -1, bestCount = 0;
    for (int i = 0; i < n; i++) {
      int c = 0;
      for (int j = 0; j < n; j++) {
        c += labels[ids[j]] == labels[ids[i]] ? 1 : 0;
      }
      if (c > bestCount) {
        best = labels[ids[i]];
        bestCount = c;
      }
    }
    return best;
  }

  /** Linear-probe accuracy: softmax regression on frozen features [n, m]. */
  public static double linearProbe(WorkerPool pool, float[] train, int[] trainLabels, float[] test,
      int[] testLabels, int m, int classes, long seed) {
    int n = trainLabels.length, b = Math.min(PROBE_BATCH, n);
    Arena params = new Arena("probe");
    Tensor w = params.alloc("weight", classes, m), bias = params.alloc("bias", classes);
    params.freeze();
    Arena act = new Arena("probe activations");
    Tensor x = act.alloc("x", b, m), logits = act.alloc("logits", b, classes), loss = act.alloc("loss", 1);
    act.freeze();
    int[] targets = new int[b];
    Graph g = new Graph(act);
    g.add(new Linear(pool, x, w, bias, logits));
    g.add(new CrossEntropy(logits, targets, loss));
    AdamW opt = new AdamW(params, 0.9f, 0.999f, 1e-8f, 0f);
    // features standardised by the training rows' mean and deviation per dimension: embeddings
    // often share a large common direction, which leaves a raw softmax regression ill-conditioned
    float[] mean = new float[m], inv = new float[m];
    for (int c = 0; c < m; c++) {
      double s = 0, ss = 0;
      for (int i = 0; i < n; i++) {
        s += train[i * m + c];
      }
      double mu = s / n;
      for (int i = 0; i < n; i++) {
        double dv = train[i * m + c] - mu;
        ss += dv * dv;
      }
      mean[c] = (float) mu;
      inv[c] = (float) (1 / Math.max(Math.sqrt(ss / n), 1e-6));
    }
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    SplittableRandom rnd = new SplittableRandom(seed);
    int stepsPerEpoch = n / b;
    int epochs = Math.max(PROBE_EPOCHS, (PROBE_MIN_STEPS + stepsPerEpoch - 1) / stepsPerEpoch);
    int total = epochs * stepsPerEpoch, step = 0;
    for (int e = 0; e < epochs; e++) {
      for (int i = n - 1; i > 0; i--) {
        int j = rnd.nextInt(i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
      }
      for (int s = 0; s < stepsPerEpoch; s++) {
        for (int r = 0; r < b; r++) {
          int src = order[s * b + r];
          for (int c = 0; c < m; c++) {
            x.data()[x.offset() + r * m + c] = (train[src * m + c] - mean[c]) * inv[c];
          }
          targets[r] = trainLabels[src];
        }
        params.zeroGrad();
        g.forward();
        g.backward(loss);
        opt.step(pool, (float) (PROBE_LR * 0.5 * (1 + Math.cos(Math.PI * step++ / total))));
      }
    }
    int correct = 0;
    float[] wv = w.data();
    for (int i = 0; i < testLabels.length; i++) {
      int best = 0;
      double bestScore = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < classes; c++) {
        double s = wv[bias.offset() + c];
        for (int t = 0; t < m; t++) {
          s += (double) wv[w.offset() + c * m + t] * ((test[i * m + t] - mean[t]) * inv[t]);
        }
        if (s > bestScore) {
          bestScore = s;
          best = c;
        }
      }
      correct += best == testLabels[i] ? 1 : 0;
    }
    return correct / (double) testLabels.length;
  }
}
