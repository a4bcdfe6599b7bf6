package dev.mtk.experiments.bench;

import dev.mtk.search.index.Hits;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/** How good a search is: agreement with exact search, the task's recall, the Pareto front. */
public final class SearchQuality {

  private SearchQuality() {}

  /** Ids that {@code got} shares with {@code truth}, summed over queries. */
  public static long overlap(Hits truth, Hits got) {
    long hit = 0;
    for (int i = 0; i < truth.queries(); i++) {
      Set<Long> t = new HashSet<>();
      for (int j = 0; j < truth.found(i); j++) {
        t.add(truth.id(i, j));
      }
      for (int j = 0; j < got.found(i); j++) {
        hit += t.contains(got.id(i, j)) ? 1 : 0;
      }
    }
    return hit;
  }

  /** The share of queries with at least one of their relevant ids among the hits. */
  public static double taskRecall(Hits h, int[][] relevant) {
    int hit = 0;
    for (int i = 0; i < h.queries(); i++) {
      Set<Long> rel = new HashSet<>();
      for (int r : relevant[i]) {
        rel.add((long) r);
      }
      for (int j = 0; j < h.found(i); j++) {
        if (rel.contains(h.id(i, j))) {
          hit++;
          break;
        }
      }
    }
    return hit / (double) h.queries();
  }

  /**
   * Which items are on the Pareto front: no other item is at least as good on every criterion
   * and better on one. Each criterion is a number where more is better (negate costs).
   */
  @SafeVarargs
  public static <T> boolean[] paretoFront(List<T> items, ToDoubleFunction<T>... better) {
    boolean[] front = new boolean[items.size()];
    for (int a = 0; a < items.size(); a++) {
      boolean dominated = false;
      for (int b = 0; b < items.size() && !dominated; b++) {
        if (b == a) {
          continue;
        }
        boolean allAtLeast = true, oneBetter = false;
        for (ToDoubleFunction<T> f : better) {
          double x = f.applyAsDouble(items.get(a)), y = f.applyAsDouble(items.get(b));
          allAtLeast &= y >= x;
          oneBetter |= y > x;
        }
        dominated = allAtLeast && oneBetter;
      }
      front[a] = !dominated;
    }
    return front;
  }
}
