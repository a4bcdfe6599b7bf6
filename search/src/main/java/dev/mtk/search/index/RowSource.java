package dev.mtk.search.index;

/** Vectors to index, read row by row (a memory-mapped .npy, an existing index, or both). */
public interface RowSource {

  long rows();

  int dim();

  /** Row r into {@code out[0 .. dim)}. */
  void row(long r, float[] out);

  /** This source's rows followed by another's of the same dimension. */
  default RowSource concat(RowSource next) {
    RowSource first = this;
    if (next.dim() != dim()) {
      throw new IllegalArgumentException("cannot append " + next.dim() + "-dimensional vectors to an"
          + " index of dimension " + dim());
    }
    return new RowSource() {
      @Override
      public long rows() {
        return first.rows() + next.rows();
      }

      @Override
      public int dim() {
        return first.dim();
      }

      @Override
      public void row(long r, float[] out) {
        if (r < first.rows()) {
          first.row(r, out);
        } else {
          next.row(r - first.rows(), out);
        }
      }
    };
  }

  static RowSource of(float[] data, int rows, int dim) {
    if ((long) rows * dim != data.length) {
      throw new IllegalArgumentException(rows + " × " + dim + " does not match " + data.length
          + " values");
    }
    return new RowSource() {
      @Override
      public long rows() {
        return rows;
      }

      @Override
      public int dim() {
        return dim;
      }

      @Override
      public void row(long r, float[] out) {
        System.arraycopy(data, (int) (r * dim), out, 0, dim);
      }
    };
  }

  /** The rows of a (memory-mapped) .npy matrix. */
  static RowSource of(dev.mtk.core.io.Npy.Matrix m) {
    return new RowSource() {
      @Override
      public long rows() {
        return m.rows();
      }

      @Override
      public int dim() {
        return m.cols();
      }

      @Override
      public void row(long r, float[] out) {
        m.row(r, out, 0);
      }
    };
  }
}
