package dev.mtk.core.matryoshka;

import java.util.ArrayList;
import java.util.List;

/** The prefix sizes mtk reports, evaluates and stores norms for: doubling up to the full width. */
public final class Ladder {

  private Ladder() {}

  /** {@code from}, 2·from, 4·from … while below {@code width}, then {@code width} itself. */
  public static int[] doubling(int from, int width) {
    if (from < 1 || width < 1) {
      throw new IllegalArgumentException("a ladder needs sizes of at least 1, got " + from + " and " + width);
    }
    List<Integer> dims = new ArrayList<>();
    for (int m = from; m < width; m *= 2) {
      dims.add(m);
    }
    dims.add(width);
    return dims.stream().mapToInt(Integer::intValue).toArray();
  }
}
