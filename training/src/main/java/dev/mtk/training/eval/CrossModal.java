package dev.mtk.training.eval;

import dev.mtk.models.inference.Embeddings;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Retrieval across the two towers of a dual encoder at one prefix size: each class's text (the
 * written word) against the split's clips, and each clip against every class's text. Both sides
 * are cut to their first m dimensions and renormalised; scores are dot products; ties go to the
 * lower index.
 *
 * <ul>
 *   <li>{@code text_to_speech_recall@1}: of the words with a clip in the split, the share whose
 *       best-scoring clip is a clip of that word (with one clip per word, as in the real test
 *       set, exactly recall@1);
 *   <li>{@code text_to_speech_map}: the mean over those words of the average precision of the
 *       full ranking of clips (relevant: the word's clips);
 *   <li>{@code speech_to_text_top1}: the share of clips whose best-scoring text is their word's —
 *       zero-shot classification by the class names.
 * </ul>
 */
public final class CrossModal {

  private CrossModal() {}

  /**
   * @param texts [classes, width] the text tower's embedding of each class name
   * @param clips [n, width] the audio tower's embeddings, @param labels the class of each clip
   * @return metric → value at prefix m
   */
  public static Map<String, Double> evaluate(float[] texts, int classes, float[] clips, int[] labels,
      int width, int m) {
    int n = labels.length;
    float[] t = Embeddings.normalizedPrefix(texts, classes, width, m);
    float[] c = Embeddings.normalizedPrefix(clips, n, width, m);
    float[] scores = new float[classes * n]; // [class][clip]
    for (int k = 0; k < classes; k++) {
      for (int i = 0; i < n; i++) {
        float s = 0;
        for (int j = 0; j < m; j++) {
          s += t[k * m + j] * c[i * m + j];
        }
        scores[k * n + i] = s;
      }
    }
    int[] count = new int[classes];
    for (int y : labels) {
      count[y]++;
    }
    double hits = 0, ap = 0;
    int words = 0;
    Integer[] order = new Integer[n];
    for (int k = 0; k < classes; k++) {
      if (count[k] == 0) {
        continue;
      }
      words++;
      int row = k;
      for (int i = 0; i < n; i++) {
        order[i] = i;
      }
      java.util.Arrays.sort(order, (a, b) -> {
        int cmp = Float.compare(scores[row * n + b], scores[row * n + a]);
        return cmp != 0 ? cmp : Integer.compare(a, b);
      });
      if (labels[order[0]] == k) {
        hits++;
      }
      double sum = 0;
      int found = 0;
      for (int r = 0; r < n && found < count[k]; r++) {
        if (labels[order[r]] == k) {
          found++;
          sum += (double) found / (r + 1);
        }
      }
      ap += sum / count[k];
    }
    double top1 = 0;
    int[] nearest = nearestText(texts, classes, clips, n, width, m);
    for (int i = 0; i < n; i++) {
      if (nearest[i] == labels[i]) {
        top1++;
      }
    }
    Map<String, Double> out = new LinkedHashMap<>();
    out.put("text_to_speech_recall@1", words == 0 ? 0 : hits / words);
    out.put("text_to_speech_map", words == 0 ? 0 : ap / words);
    out.put("speech_to_text_top1", n == 0 ? 0 : top1 / n);
    return out;
  }

  /** The nearest class text of each clip at prefix m (speech → text), ties to the lower class. */
  public static int[] nearestText(float[] texts, int classes, float[] clips, int n, int width, int m) {
    float[] t = Embeddings.normalizedPrefix(texts, classes, width, m);
    float[] c = Embeddings.normalizedPrefix(clips, n, width, m);
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      float best = Float.NEGATIVE_INFINITY;
      for (int k = 0; k < classes; k++) {
        float s = 0;
        for (int j = 0; j < m; j++) {
          s += t[k * m + j] * c[i * m + j];
        }
        if (s > best) {
          best = s;
          out[i] = k;
        }
      }
    }
    return out;
  }

  /** metric → (dim → value) over several prefix sizes. */
  public static Map<String, Map<String, Double>> byDim(float[] texts, int classes, float[] clips, int[] labels,
      int width, int[] dims) {
    Map<String, Map<String, Double>> out = new LinkedHashMap<>();
    for (int m : dims) {
      evaluate(texts, classes, clips, labels, width, m)
          .forEach((metric, v) -> out.computeIfAbsent(metric, k -> new LinkedHashMap<>()).put(String.valueOf(m), v));
    }
    return out;
  }
}
