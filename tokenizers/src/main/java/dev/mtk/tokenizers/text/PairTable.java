package dev.mtk.tokenizers.text;

import java.util.Arrays;

/**
 * (left id, right id) → (rank, merged id), open addressing over long keys. A lower rank merges
 * first. With tiktoken's semantics the rank of a pair is the rank of the token it makes; with
 * Hugging Face merges, its line in the merges list.
 */
final class PairTable {

  static final int NONE = Integer.MAX_VALUE;

  private long[] keys;
  private int[] ranks;
  private int[] merged;
  private int size;
  private int mask;

  PairTable(int expected) {
    int capacity = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
    keys = new long[capacity];
    ranks = new int[capacity];
    merged = new int[capacity];
    Arrays.fill(keys, -1L);
    mask = capacity - 1;
  }

  int size() {
    return size;
  }

  static long key(int left, int right) {
    return ((long) left << 32) | (right & 0xFFFFFFFFL);
  }

  private static int slot(long key) {
    long h = key * 0x9E3779B97F4A7C15L;
    return (int) (h ^ (h >>> 29));
  }

  /** Adds a pair unless it is already there (the first, lowest rank wins). */
  void put(int left, int right, int rank, int mergedId) {
    if ((size + 1) * 2 > keys.length) {
      grow();
    }
    long k = key(left, right);
    int h = slot(k) & mask;
    while (keys[h] != -1L) {
      if (keys[h] == k) {
        return;
      }
      h = (h + 1) & mask;
    }
    keys[h] = k;
    ranks[h] = rank;
    merged[h] = mergedId;
    size++;
  }

  /** The slot of a pair, or -1: read its rank and merged id with {@link #rankAt}, {@link #mergedAt}. */
  int find(int left, int right) {
    long k = key(left, right);
    int h = slot(k) & mask;
    while (true) {
      long stored = keys[h];
      if (stored == k) {
        return h;
      }
      if (stored == -1L) {
        return -1;
      }
      h = (h + 1) & mask;
    }
  }

  int rank(int left, int right) {
    int s = find(left, right);
    return s < 0 ? NONE : ranks[s];
  }

  int rankAt(int slot) {
    return ranks[slot];
  }

  int mergedAt(int slot) {
    return merged[slot];
  }

  private void grow() {
    long[] oldKeys = keys;
    int[] oldRanks = ranks, oldMerged = merged;
    int capacity = keys.length * 2;
    keys = new long[capacity];
    ranks = new int[capacity];
    merged = new int[capacity];
    Arrays.fill(keys, -1L);
    mask = capacity - 1;
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] != -1L) {
        int h = slot(oldKeys[i]) & mask;
        while (keys[h] != -1L) {
          h = (h + 1) & mask;
        }
        keys[h] = oldKeys[i];
        ranks[h] = oldRanks[i];
        merged[h] = oldMerged[i];
      }
    }
  }
}
