package dev.mtk.tokenizers.text.bpe;

import java.util.Arrays;

/**
 * The vocabulary as bytes: id → byte string, and byte string → id without allocating (open
 * addressing over a hash of the bytes, compared against one pooled byte array). Ids may have
 * holes (an id with no bytes), as tiktoken's special ranges do.
 */
public final class TokenBytes {

  private final byte[] pool;
  private final int[] start; // by id; -1 where the id has no bytes
  private final int[] end;
  private final int[] slots; // hash table of ids, -1 empty
  private final int mask;

  TokenBytes(byte[][] byId) {
    int total = 0;
    int count = 0;
    for (byte[] b : byId) {
      if (b != null) {
        total += b.length;
        count++;
      }
    }
    pool = new byte[total];
    start = new int[byId.length];
    end = new int[byId.length];
    int capacity = Integer.highestOneBit(Math.max(4, count * 2 - 1)) << 1;
    slots = new int[capacity];
    mask = capacity - 1;
    Arrays.fill(slots, -1);
    int p = 0;
    for (int id = 0; id < byId.length; id++) {
      byte[] b = byId[id];
      if (b == null) {
        start[id] = -1;
        end[id] = -1;
        continue;
      }
      System.arraycopy(b, 0, pool, p, b.length);
      start[id] = p;
      end[id] = p + b.length;
      p += b.length;
      int existing = find(b, 0, b.length);
      if (existing >= 0) {
        throw new IllegalArgumentException("token " + id + " has the same bytes as token " + existing);
      }
      int h = hash(b, 0, b.length) & mask;
      while (slots[h] >= 0) {
        h = (h + 1) & mask;
      }
      slots[h] = id;
    }
  }

  /** One past the largest id. */
  public int size() {
    return start.length;
  }

  public boolean has(int id) {
    return id >= 0 && id < start.length && start[id] >= 0;
  }

  public int length(int id) {
    return end[id] - start[id];
  }

  public byte[] bytes(int id) {
    return Arrays.copyOfRange(pool, start[id], end[id]);
  }

  /** Copies token id's bytes into out at pos; returns the new position. */
  public int copy(int id, byte[] out, int pos) {
    int len = end[id] - start[id];
    System.arraycopy(pool, start[id], out, pos, len);
    return pos + len;
  }

  /** The id of buf[off, off+len), or -1. */
  public int find(byte[] buf, int off, int len) {
    int h = hash(buf, off, len) & mask;
    while (true) {
      int id = slots[h];
      if (id < 0) {
        return -1;
      }
      if (end[id] - start[id] == len && Arrays.equals(pool, start[id], end[id], buf, off, off + len)) {
        return id;
      }
      h = (h + 1) & mask;
    }
  }

  private static int hash(byte[] b, int off, int len) {
    int h = 0x9E3779B9 ^ len;
    for (int i = off; i < off + len; i++) {
      h = (h ^ b[i]) * 0x01000193;
    }
    return h ^ (h >>> 15);
  }
}
