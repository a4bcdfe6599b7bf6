package dev.mtk.core.kernel;

/**
 * The k best of a stream of (id, score) pairs, kept in a bounded heap whose root is the worst kept
 * pair: O(n log k) with no sort of everything, and no allocation after construction. "Better" means
 * a higher score, and for equal scores the lower id, so results are a total order and match a
 * brute-force sort exactly. NaN scores are never kept.
 */
public final class TopK {

  private final int k;
  private final int[] ids;
  private final float[] scores;
  private int size;

  public TopK(int k) {
    if (k < 0) {
      throw new IllegalArgumentException("k must be >= 0, got " + k);
    }
    this.k = k;
    this.ids = new int[k];
    this.scores = new float[k];
  }

  /**
   * Selects the k best of {@code scores[off .. off+n)}; ids are positions 0 … n-1. Writes them
   * best first into the outputs and returns how many were written (min(k, n) minus NaNs).
   */
  public static int select(float[] scores, int off, int n, int k, int[] outIds, float[] outScores) {
    Vectors.range("scores", scores.length, off, n);
    TopK top = new TopK(k);
    for (int i = 0; i < n; i++) {
      top.offer(i, scores[off + i]);
    }
    return top.drainSorted(outIds, outScores);
  }

  public int k() {
    return k;
  }

  public int size() {
    return size;
  }

  public void clear() {
    size = 0;
  }

  /** The score a new pair must beat once the heap is full; -Infinity until then. */
  public float threshold() {
    return size < k ? Float.NEGATIVE_INFINITY : scores[0];
  }

  /** Offers one pair; returns whether it was kept. */
  public boolean offer(int id, float score) {
    if (Float.isNaN(score) || k == 0) {
      return false;
    }
    if (size < k) {
      int i = size++;
      // sift up: move the new pair toward the root while it is worse than its parent
      while (i > 0) {
        int parent = (i - 1) >>> 1;
        if (!worse(score, id, scores[parent], ids[parent])) {
          break;
        }
        scores[i] = scores[parent];
        ids[i] = ids[parent];
        i = parent;
      }
      scores[i] = score;
      ids[i] = id;
      return true;
    }
    if (!worse(scores[0], ids[0], score, id)) {
      return false;
    }
    siftDown(0, score, id, size);
    return true;
  }

  /** Writes the kept pairs best first, empties the heap and returns their number. */
  public int drainSorted(int[] outIds, float[] outScores) {
    int n = size;
    if (outIds.length < n || outScores.length < n) {
      throw new IllegalArgumentException("outputs hold " + Math.min(outIds.length, outScores.length)
          + " but " + n + " results are kept");
    }
    // heap sort: the root is the worst, so it goes to the back
    for (int last = n - 1; last >= 0; last--) {
      outIds[last] = ids[0];
      outScores[last] = scores[0];
      if (last > 0) {
        siftDown(0, scores[last], ids[last], last);
      }
    }
    size = 0;
    return n;
  }

  private void siftDown(int i, float score, int id, int n) {
    while (true) {
      int child = 2 * i + 1;
      if (child >= n) {
        break;
      }
      int right = child + 1;
      if (right < n && worse(scores[right], ids[right], scores[child], ids[child])) {
        child = right;
      }
      if (!worse(scores[child], ids[child], score, id)) {
        break;
      }
      scores[i] = scores[child];
      ids[i] = ids[child];
      i = child;
    }
    scores[i] = score;
    ids[i] = id;
  }

  private static boolean worse(float s1, int id1, float s2, int id2) {
    return s1 < s2 || (s1 == s2 && id1 > id2);
  }
}
