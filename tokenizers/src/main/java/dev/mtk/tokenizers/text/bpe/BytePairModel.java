package dev.mtk.tokenizers.text.bpe;

import java.util.Arrays;

/**
 * Stage 3 of the pipeline: byte-level BPE over one piece's UTF-8 bytes. Starts from one token per
 * byte and repeatedly merges the adjacent pair of lowest rank, the leftmost of equals, until no
 * pair merges. Two rank semantics share this code:
 *
 * <ul>
 *   <li>tiktoken ({@link #fromRanks}): any adjacent pair whose concatenation is a token merges,
 *       ranked by that token's rank, and a piece that is itself a token is taken whole first;
 *   <li>Hugging Face ({@link #fromMerges}): only pairs in the merges list merge, ranked by their
 *       line; a whole-word lookup first only with {@code ignore_merges}.
 * </ul>
 *
 * Pieces up to {@link #SHORT_PIECE} bytes use a scan over an array (fast for words); longer ones a
 * heap over a linked list, so that a megabyte of one letter is O(n log n), not O(n²).
 */
public final class BytePairModel {

  static final int SHORT_PIECE = 64;

  private final TokenBytes vocab;
  final PairTable pairs;
  final int[] byteIds = new int[256];
  private final boolean wholeWordFirst;
  /** The merges in rank order as (left, right) id pairs, kept for saving; null for rank files. */
  private final int[][] merges;
  /** Rank and merged id of every pair of single bytes, dense: the first round of every piece. */
  private final long[] bytePairs = new long[256 * 256];
  /** Special tokens: in the vocabulary for decoding, never produced by merging or lookup. */
  private final java.util.BitSet specialIds;

  /** The token byte strings, by id (read-only). */
  public TokenBytes vocab() {
    return vocab;
  }

  /** Whether a whole pre-token found in the vocabulary is taken before any merge. */
  public boolean wholeWordFirst() {
    return wholeWordFirst;
  }

  /** Whether the model has a merges list (Hugging Face), not only ranks (tiktoken). */
  public boolean hasMerges() {
    return merges != null;
  }

  /** The merges in rank order as (left, right) id pairs (a copy), or null for rank files. */
  public int[][] merges() {
    if (merges == null) {
      return null;
    }
    int[][] copy = new int[merges.length][];
    for (int i = 0; i < merges.length; i++) {
      copy[i] = merges[i].clone();
    }
    return copy;
  }

  /** Whether id is a special token's. */
  public boolean isSpecial(int id) {
    return specialIds.get(id);
  }

  private BytePairModel(TokenBytes vocab, PairTable pairs, boolean wholeWordFirst, int[][] merges,
      java.util.BitSet specialIds) {
    this.vocab = vocab;
    this.pairs = pairs;
    this.wholeWordFirst = wholeWordFirst;
    this.merges = merges;
    this.specialIds = specialIds;
    byte[] one = new byte[1];
    for (int b = 0; b < 256; b++) {
      one[0] = (byte) b;
      int id = vocab.find(one, 0, 1);
      byteIds[b] = id >= 0 && !specialIds.get(id) ? id : -1;
    }
    for (int a = 0; a < 256; a++) {
      for (int b = 0; b < 256; b++) {
        bytePairs[(a << 8) | b] = byteIds[a] < 0 || byteIds[b] < 0 ? -1L : pairs.find(byteIds[a], byteIds[b]);
      }
    }
  }

  /**
   * tiktoken semantics: {@code tokens[rank]} is the byte string of the token with that rank (and
   * id); null for unused ranks. Ids in {@code specials} are special tokens.
   */
  public static BytePairModel fromRanks(byte[][] tokens, java.util.BitSet specials) {
    TokenBytes vocab = new TokenBytes(tokens);
    int splits = 0;
    for (byte[] t : tokens) {
      if (t != null) {
        splits += Math.max(0, t.length - 1);
      }
    }
    PairTable pairs = new PairTable(splits);
    for (int rank = 0; rank < tokens.length; rank++) {
      byte[] t = tokens[rank];
      if (t == null || t.length < 2 || specials.get(rank)) {
        continue;
      }
      for (int k = 1; k < t.length; k++) {
        int left = vocab.find(t, 0, k);
        int right = left < 0 ? -1 : vocab.find(t, k, t.length - k);
        if (right >= 0 && !specials.get(left) && !specials.get(right)) {
          pairs.put(left, right, rank, rank);
        }
      }
    }
    return new BytePairModel(vocab, pairs, true, null, (java.util.BitSet) specials.clone());
  }

  /**
   * Hugging Face semantics: {@code tokens[id]} are the token bytes, {@code merges[r]} the (left,
   * right) ids merged at rank r; the merged token must be in the vocabulary. Ids in
   * {@code specials} are special tokens.
   */
  public static BytePairModel fromMerges(byte[][] tokens, int[][] merges, boolean ignoreMerges,
      java.util.BitSet specials) {
    TokenBytes vocab = new TokenBytes(tokens);
    PairTable pairs = new PairTable(merges.length);
    byte[] buf = new byte[64];
    for (int r = 0; r < merges.length; r++) {
      int left = merges[r][0], right = merges[r][1];
      if (!vocab.has(left) || !vocab.has(right)) {
        throw new IllegalArgumentException("merge " + r + " refers to an unknown token id");
      }
      int len = vocab.length(left) + vocab.length(right);
      if (buf.length < len) {
        buf = new byte[len * 2];
      }
      vocab.copy(right, buf, vocab.copy(left, buf, 0));
      int mergedId = vocab.find(buf, 0, len);
      if (mergedId < 0) {
        throw new IllegalArgumentException("merge " + r + " makes a token that is not in the vocabulary");
      }
      pairs.put(left, right, r, mergedId);
    }
    return new BytePairModel(vocab, pairs, ignoreMerges, merges, (java.util.BitSet) specials.clone());
  }

  /** One past the largest token id. */
  public int vocabSize() {
    return vocab.size();
  }

  /** The bytes of a token (a copy). */
  public byte[] tokenBytes(int id) {
    if (!vocab.has(id)) {
      throw new IllegalArgumentException("no token with id " + id);
    }
    return vocab.bytes(id);
  }

  /** The id of a byte string, or -1. */
  public int tokenId(byte[] bytes) {
    return vocab.find(bytes, 0, bytes.length);
  }

  /**
   * Reusable working memory for one thread, with a small direct-mapped cache of pieces that went
   * through the merge loop (words outside the vocabulary recur: names, inflections, CJK runs).
   */
  public static final class Scratch {
    static final int CACHE_SLOTS = 4096;
    static final int KEY_MAX = 48;
    static final int IDS_MAX = 16;
    BytePairModel cacheOwner;
    final byte[] cacheKeys = new byte[CACHE_SLOTS * KEY_MAX];
    final byte[] cacheKeyLen = new byte[CACHE_SLOTS];
    final int[] cacheIds = new int[CACHE_SLOTS * IDS_MAX];
    final byte[] cacheIdCount = new byte[CACHE_SLOTS];
    int[] ids = new int[SHORT_PIECE];
    int[] ranks = new int[SHORT_PIECE];
    int[] mergedOf = new int[SHORT_PIECE];
    int[] next = new int[0];
    int[] prev = new int[0];
    long[] heap = new long[0];

    void ensureLong(int n) {
      if (next.length < n) {
        next = new int[n];
        prev = new int[n];
        ids = new int[Math.max(n, SHORT_PIECE)];
        heap = new long[2 * n];
      }
    }
  }

  /** Appends the ids of buf[off, off+len) to out. */
  public void encode(byte[] buf, int off, int len, IntList out, Scratch s) {
    if (len == 0) {
      return;
    }
    if (len == 1) {
      out.add(byteId(buf[off]));
      return;
    }
    if (wholeWordFirst) {
      int id = vocab.find(buf, off, len);
      if (id >= 0 && !specialIds.get(id)) {
        out.add(id);
        return;
      }
    }
    if (len > Scratch.KEY_MAX) {
      if (len <= SHORT_PIECE) {
        encodeShort(buf, off, len, out, s);
      } else {
        encodeLong(buf, off, len, out, s);
      }
      return;
    }
    if (s.cacheOwner != this) {
      java.util.Arrays.fill(s.cacheKeyLen, (byte) 0);
      s.cacheOwner = this;
    }
    int slot = cacheSlot(buf, off, len);
    int keyAt = slot * Scratch.KEY_MAX;
    if (s.cacheKeyLen[slot] == len
        && java.util.Arrays.equals(s.cacheKeys, keyAt, keyAt + len, buf, off, off + len)) {
      int idsAt = slot * Scratch.IDS_MAX;
      for (int i = 0; i < s.cacheIdCount[slot]; i++) {
        out.add(s.cacheIds[idsAt + i]);
      }
      return;
    }
    int first = out.size();
    encodeShort(buf, off, len, out, s);
    int count = out.size() - first;
    if (count <= Scratch.IDS_MAX) {
      System.arraycopy(buf, off, s.cacheKeys, keyAt, len);
      s.cacheKeyLen[slot] = (byte) len;
      s.cacheIdCount[slot] = (byte) count;
      for (int i = 0; i < count; i++) {
        s.cacheIds[slot * Scratch.IDS_MAX + i] = out.get(first + i);
      }
    }
  }

  private static int cacheSlot(byte[] b, int off, int len) {
    int h = len * 0x9E3779B9;
    for (int i = off; i < off + len; i++) {
      h = (h ^ b[i]) * 0x01000193;
    }
    return (h ^ (h >>> 16)) & (Scratch.CACHE_SLOTS - 1);
  }

  private int byteId(byte b) {
    int id = byteIds[b & 0xFF];
    if (id < 0) {
      throw new IllegalArgumentException(String.format(
          "the vocabulary has no token for byte 0x%02X, so this text cannot be encoded", b & 0xFF));
    }
    return id;
  }

  private void encodeShort(byte[] buf, int off, int len, IntList out, Scratch s) {
    int[] ids = s.ids, ranks = s.ranks, mergedOf = s.mergedOf;
    int n = len;
    for (int i = 0; i < n; i++) {
      ids[i] = byteId(buf[off + i]);
    }
    for (int i = 0; i < n - 1; i++) {
      long found = bytePairs[((buf[off + i] & 0xFF) << 8) | (buf[off + i + 1] & 0xFF)];
      ranks[i] = PairTable.rankOf(found);
      mergedOf[i] = PairTable.mergedOf(found);
    }
    while (n > 1) {
      int best = -1, bestRank = PairTable.NONE;
      for (int i = 0; i < n - 1; i++) {
        if (ranks[i] < bestRank) {
          bestRank = ranks[i];
          best = i;
        }
      }
      if (best < 0) {
        break;
      }
      ids[best] = mergedOf[best];
      int tail = n - best - 2;
      System.arraycopy(ids, best + 2, ids, best + 1, tail);
      System.arraycopy(ranks, best + 2, ranks, best + 1, Math.max(0, tail - 1));
      System.arraycopy(mergedOf, best + 2, mergedOf, best + 1, Math.max(0, tail - 1));
      n--;
      if (best > 0) {
        rankPair(ids, ranks, mergedOf, best - 1);
      }
      if (best < n - 1) {
        rankPair(ids, ranks, mergedOf, best);
      }
    }
    for (int i = 0; i < n; i++) {
      out.add(ids[i]);
    }
  }

  private void rankPair(int[] ids, int[] ranks, int[] mergedOf, int i) {
    long found = pairs.find(ids[i], ids[i + 1]);
    ranks[i] = PairTable.rankOf(found);
    mergedOf[i] = PairTable.mergedOf(found);
  }

  /**
   * The same merges with a min-heap of (rank, position) over a doubly linked list of parts. An
   * entry is checked when it surfaces: its part must still exist, have a right neighbour, and
   * that pair must still have the entry's rank; otherwise it is stale and skipped.
   */
  private void encodeLong(byte[] buf, int off, int len, IntList out, Scratch s) {
    s.ensureLong(len);
    int[] ids = s.ids, next = s.next, prev = s.prev;
    long[] heap = s.heap;
    int heapSize = 0;
    for (int i = 0; i < len; i++) {
      ids[i] = byteId(buf[off + i]);
      next[i] = i + 1 < len ? i + 1 : -1;
      prev[i] = i - 1;
    }
    for (int i = 0; i + 1 < len; i++) {
      int r = PairTable.rankOf(bytePairs[((buf[off + i] & 0xFF) << 8) | (buf[off + i + 1] & 0xFF)]);
      if (r != PairTable.NONE) {
        heapSize = push(heap, heapSize, r, i);
      }
    }
    while (heapSize > 0) {
      long top = heap[0];
      heapSize = pop(heap, heapSize);
      int rank = (int) (top >>> 32), i = (int) top;
      int j = next[i];
      if (ids[i] < 0 || j < 0) {
        continue;
      }
      long found = pairs.find(ids[i], ids[j]);
      if (PairTable.rankOf(found) != rank) {
        continue;
      }
      ids[i] = PairTable.mergedOf(found);
      ids[j] = -1;
      int k = next[j];
      next[i] = k;
      if (k >= 0) {
        prev[k] = i;
        int r = pairs.rank(ids[i], ids[k]);
        if (r != PairTable.NONE) {
          if (heapSize == heap.length) {
            heap = s.heap = Arrays.copyOf(heap, heap.length * 2);
          }
          heapSize = push(heap, heapSize, r, i);
        }
      }
      int p = prev[i];
      if (p >= 0) {
        int r = pairs.rank(ids[p], ids[i]);
        if (r != PairTable.NONE) {
          if (heapSize == heap.length) {
            heap = s.heap = Arrays.copyOf(heap, heap.length * 2);
          }
          heapSize = push(heap, heapSize, r, p);
        }
      }
    }
    for (int i = 0; i >= 0; i = next[i]) {
      out.add(ids[i]);
    }
  }

  private static int push(long[] heap, int size, int rank, int pos) {
    long v = ((long) rank << 32) | pos;
    int i = size;
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (heap[parent] <= v) {
        break;
      }
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = v;
    return size + 1;
  }

  private static int pop(long[] heap, int size) {
    long last = heap[--size];
    int i = 0;
    while (true) {
      int child = 2 * i + 1;
      if (child >= size) {
        break;
      }
      if (child + 1 < size && heap[child + 1] < heap[child]) {
        child++;
      }
      if (heap[child] >= last) {
        break;
      }
      heap[i] = heap[child];
      i = child;
    }
    if (size > 0) {
      heap[i] = last;
    }
    return size;
  }
}
