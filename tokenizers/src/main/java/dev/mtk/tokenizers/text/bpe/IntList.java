package dev.mtk.tokenizers.text.bpe;

import java.util.Arrays;

/** A growable int array: token ids without boxing. */
public final class IntList {

  private int[] data;
  private int size;

  public IntList() {
    this(16);
  }

  public IntList(int capacity) {
    data = new int[Math.max(1, capacity)];
  }

  public void add(int v) {
    if (size == data.length) {
      data = Arrays.copyOf(data, data.length * 2);
    }
    data[size++] = v;
  }

  public int get(int i) {
    return data[i];
  }

  public int size() {
    return size;
  }

  /** Drops every element from index {@code size} on. */
  public void truncate(int newSize) {
    if (newSize < 0 || newSize > size) {
      throw new IndexOutOfBoundsException(newSize);
    }
    size = newSize;
  }

  public void clear() {
    size = 0;
  }

  public int[] toArray() {
    return Arrays.copyOf(data, size);
  }
}
