package dev.mtk.tokenizers.text.bpe;

/**
 * (left id, right id) → (rank, merged id), open addressing over long keys. A lower rank merges
 * first. With tiktoken's semantics the rank of a pair is the rank of the token it makes; with
 * Hugging Face merges, its line in the merges list.
 *
 * <p>Key and value sit side by side in one long array, so a probe touches one cache line: the
 * table for o200k_base holds about a million pairs, far more than the L2 cache, and lookups
 * dominate encoding time.
 */
final class PairTable {

  static final int NONE = Integer.MAX_VALUE;
  private static final long EMPTY = -1L;

  private long[] slots; // [2i] key, [2i + 1] rank << 32 | merged id
  private int size;
  private int mask;

  PairTable(int expected) {
    int capacity = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
    slots = new long[2 * capacity];
    java.util.Arrays.fill(slots, EMPTY);
    mask = capacity - 1;
  }

  int size() {
    return size;
  }

  static long key(int left, int right) {
    return ((long) left << 32) | (right & 0xFFFFFFFFL);
  }

  private static int hash(long key) {
    long h = key * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 29));
  }

  /** Adds a pair unless it is already there (the first, lowest rank wins). */
  void put(int left, int right, int rank, int mergedId) {
    if ((size + 1) * 2 > mask + 1) {
      grow();
    }
    long k = key(left, right);
    int h = hash(k) & mask;
    while (slots[2 * h] != EMPTY) {
      if (slots[2 * h] == k) {
        return;
      }
      h = (h + 1) & mask;
    }
    slots[2 * h] = k;
    slots[2 * h + 1] = ((long) rank << 32) | (mergedId & 0xFFFFFFFFL);
    size++;
  }

  /** rank << 32 | merged id of a pair, or -1 when the pair does not merge. */
  long find(int left, int right) {
    long k = key(left, right);
    int h = hash(k) & mask;
    while (true) {
      long stored = slots[2 * h];
      if (stored == k) {
        return slots[2 * h + 1];
      }
      if (stored == EMPTY) {
        return -1L;
      }
      h = (h + 1) & mask;
    }
  }

  int rank(int left, int right) {
    long v = find(left, right);
    return v < 0 ? NONE : (int) (v >>> 32);
  }

  static int rankOf(long found) {
    return found < 0 ? NONE : (int) (found >>> 32);
  }

  static int mergedOf(long found) {
    return (int) found;
  }

  private void grow() {
    long[] old = slots;
    int capacity = (mask + 1) * 2;
    slots = new long[2 * capacity];
    java.util.Arrays.fill(slots, EMPTY);
    mask = capacity - 1;
    for (int i = 0; i < old.length; i += 2) {
      if (old[i] != EMPTY) {
        int h = hash(old[i]) & mask;
        while (slots[2 * h] != EMPTY) {
          h = (h + 1) & mask;
        }
        slots[2 * h] = old[i];
        slots[2 * h + 1] = old[i + 1];
      }
    }
  }
}
