package dev.mtk.models.inference;

/**
 * Early exit over layers (a 2D Matryoshka model's earlier layers are usable on their own): after
 * each layer but the last, which inputs have seen enough. An input that exits keeps that layer's
 * embedding and skips the remaining layers; the others go on together in a smaller batch. Rules
 * see the raw (not renormalised) full-width embeddings.
 */
@FunctionalInterface
public interface ExitRule {

  /**
   * Whether an input may stop after {@code layer} (1 … L − 1), given its embedding there
   * ({@code width} floats of {@code now} from {@code nowOff}) and after the layer before
   * ({@code before} from {@code beforeOff}; null at layer 1).
   */
  boolean exits(int layer, float[] now, int nowOff, float[] before, int beforeOff, int width);

  /**
   * An input stops after layer l once its embedding has stopped moving: the cosine between its
   * embeddings after layers l − 1 and l is at least {@code thresholds[l − 1]} (NaN: never stop
   * after l). Layer 1 has nothing to compare with, so nothing stops there.
   */
  static ExitRule stable(float[] thresholds) {
    float[] t = thresholds.clone();
    return (layer, now, nowOff, before, beforeOff, width) -> before != null
        && layer - 1 < t.length
        && cosine(now, nowOff, before, beforeOff, width) >= t[layer - 1];
  }

  /** The cosine of two rows, summed in double (0 when either is zero). */
  static double cosine(float[] a, int ao, float[] b, int bo, int n) {
    double ab = 0, aa = 0, bb = 0;
    for (int i = 0; i < n; i++) {
      double x = a[ao + i], y = b[bo + i];
      ab += x * y;
      aa += x * x;
      bb += y * y;
    }
    return aa == 0 || bb == 0 ? 0 : ab / Math.sqrt(aa * bb);
  }
}
