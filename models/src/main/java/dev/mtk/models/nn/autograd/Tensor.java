package dev.mtk.models.nn.autograd;

import java.util.Arrays;

/**
 * A named, shaped slot of an {@link Arena}: its values live in {@code arena.data()} and its
 * gradient in {@code arena.grad()}, both starting at {@link #offset}, row-major.
 */
public final class Tensor {

  private final Arena arena;
  private final String name;
  private final int[] shape;
  private final int offset;
  private final int size;

  Tensor(Arena arena, String name, int[] shape, int offset) {
    this.arena = arena;
    this.name = name;
    this.shape = shape.clone();
    this.offset = offset;
    int n = 1;
    for (int d : shape) {
      n = Math.multiplyExact(n, d);
    }
    this.size = n;
  }

  public String name() {
    return name;
  }

  public int[] shape() {
    return shape.clone();
  }

  public int dim(int i) {
    return shape[i];
  }

  public int offset() {
    return offset;
  }

  public int size() {
    return size;
  }

  /** The arena's value array; this tensor is [offset, offset + size). */
  public float[] data() {
    return arena.data();
  }

  /** The arena's gradient array, same layout as {@link #data()}. */
  public float[] grad() {
    return arena.grad();
  }

  /** A copy of the values. */
  public float[] values() {
    return Arrays.copyOfRange(arena.data(), offset, offset + size);
  }

  /** A copy of the gradient. */
  public float[] gradient() {
    return Arrays.copyOfRange(arena.grad(), offset, offset + size);
  }

  public void set(float[] values) {
    if (values.length != size) {
      throw new IllegalArgumentException(name + " holds " + size + " values, got " + values.length);
    }
    System.arraycopy(values, 0, arena.data(), offset, size);
  }

  @Override
  public String toString() {
    return name + Arrays.toString(shape);
  }
}
