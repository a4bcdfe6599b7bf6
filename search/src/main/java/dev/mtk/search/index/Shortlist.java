package dev.mtk.search.index;

import java.util.Arrays;

/**
 * The best {@code k} of a stream of (id, key) pairs, for k from 10 to many thousands. Better means
 * a higher key, and for equal keys the lower id, a total order, so the result is one well-defined
 * set. Pairs are appended to a buffer of 2k; when it is full, a quickselect keeps the best k and
 * the k-th key becomes the bar that later pairs must beat. A heap would pay a sift of log k for
 * each of the ~k·ln(n/k) pairs that enter; here entering is a store, and the select runs once per
 * k entries. No allocation after construction.
 */
final class Shortlist {

  private final int k;
  private final float[] keys;
  private final int[] ids;
  private int size;
  private float bar = Float.NEGATIVE_INFINITY;
  private boolean trimmed;
  private long[] packed;

  Shortlist(int k) {
    if (k < 1) {
      throw new IllegalArgumentException("k must be at least 1, got " + k);
    }
    this.k = k;
    this.keys = new float[2 * k];
    this.ids = new int[2 * k];
  }

  int k() {
    return k;
  }

  void clear() {
    size = 0;
    bar = Float.NEGATIVE_INFINITY;
    trimmed = false;
  }

  /**
   * The key a new pair must beat (or tie, with a lower id than some kept pair) to matter;
   * -Infinity until k pairs were kept.
   */
  float bar() {
    return bar;
  }

  /** Adds a pair; NaN keys are dropped. */
  void add(int id, float key) {
    if (key != key || (trimmed && key < bar)) {
      return;
    }
    keys[size] = key;
    ids[size] = id;
    if (++size == keys.length) {
      trim();
    }
  }

  /** Keeps the best k and raises the bar to the k-th key. */
  private void trim() {
    if (size > k) {
      select(0, size - 1, k - 1);
      size = k;
    }
    if (size == k) {
      float min = keys[0];
      for (int i = 1; i < k; i++) {
        min = Math.min(min, keys[i]);
      }
      bar = min;
      trimmed = true;
    }
  }

  /**
   * Writes the kept pairs in no particular order (for merging into another list) and returns
   * their number; the list is cleared.
   */
  int drainUnsorted(int[] outIds, float[] outKeys) {
    trim();
    int n = Math.min(size, k);
    System.arraycopy(ids, 0, outIds, 0, n);
    System.arraycopy(keys, 0, outKeys, 0, n);
    clear();
    return n;
  }

  /** Writes the kept pairs best first and returns their number; the list is cleared. */
  int drain(int[] outIds, float[] outKeys) {
    trim();
    int n = Math.min(size, k);
    if (n > 64) {
      // long lists: sort packed (key, id) pairs, one primitive sort
      if (packed == null) {
        packed = new long[k];
      }
      for (int i = 0; i < n; i++) {
        packed[i] = ((long) sortable(keys[i]) << 32) | (~ids[i] & 0xFFFFFFFFL);
      }
      Arrays.sort(packed, 0, n);
      for (int i = 0; i < n; i++) {
        long p = packed[n - 1 - i];
        outIds[i] = ~(int) p;
        outKeys[i] = unsortable((int) (p >> 32));
      }
    } else {
      for (int i = 1; i < n; i++) {
        float kv = keys[i];
        int id = ids[i];
        int j = i - 1;
        while (j >= 0 && better(kv, id, keys[j], ids[j])) {
          keys[j + 1] = keys[j];
          ids[j + 1] = ids[j];
          j--;
        }
        keys[j + 1] = kv;
        ids[j + 1] = id;
      }
      System.arraycopy(ids, 0, outIds, 0, n);
      System.arraycopy(keys, 0, outKeys, 0, n);
    }
    clear();
    return n;
  }

  /** Float bits mapped to ints whose signed order is the floats' order (no NaNs here). */
  private static int sortable(float f) {
    int b = Float.floatToRawIntBits(f == 0f ? 0f : f);
    return b >= 0 ? b : b ^ 0x7FFFFFFF;
  }

  private static float unsortable(int s) {
    return Float.intBitsToFloat(s >= 0 ? s : s ^ 0x7FFFFFFF);
  }

  private static boolean better(float k1, int id1, float k2, int id2) {
    return k1 > k2 || (k1 == k2 && id1 < id2);
  }

  /**
   * Rearranges [lo, hi] so that positions ≤ nth hold the best nth + 1 pairs: quickselect with a
   * branch-free partition. Which side a pair goes to is data, not control flow, so the CPU never
   * mispredicts it; a branchy partition of random keys mispredicts half its compares, and made
   * trims the largest cost of a scan with a shortlist of a few hundred.
   */
  private void select(int lo, int hi, int nth) {
    while (hi > lo) {
      // median of three, moved to hi as the pivot: deterministic, and good on sorted input
      int mid = (lo + hi) >>> 1;
      if (better(keys[mid], ids[mid], keys[lo], ids[lo])) {
        swap(mid, lo);
      }
      if (better(keys[hi], ids[hi], keys[lo], ids[lo])) {
        swap(hi, lo);
      }
      if (better(keys[mid], ids[mid], keys[hi], ids[hi])) {
        swap(hi, mid);
      }
      float pk = keys[hi];
      int pid = ids[hi];
      int store = lo;
      for (int i = lo; i < hi; i++) {
        float ki = keys[i];
        int ii = ids[i];
        int isBetter = (ki > pk ? 1 : 0) | ((ki == pk ? 1 : 0) & (ii < pid ? 1 : 0));
        keys[i] = keys[store];
        ids[i] = ids[store];
        keys[store] = ki;
        ids[store] = ii;
        store += isBetter;
      }
      swap(store, hi);
      if (nth == store) {
        return;
      }
      if (nth < store) {
        hi = store - 1;
      } else {
        lo = store + 1;
      }
    }
  }

  private void swap(int a, int b) {
    float tk = keys[a];
    keys[a] = keys[b];
    keys[b] = tk;
    int ti = ids[a];
    ids[a] = ids[b];
    ids[b] = ti;
  }
}
