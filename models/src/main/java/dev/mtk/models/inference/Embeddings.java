package dev.mtk.models.inference;

/**
 * Rows of embeddings, [rows, dim] floats row after row, in input order; with what the model had
 * to do to the inputs: texts cut to the model's positions, and empty inputs (zero rows); under
 * early exit, the layer (1 … L) each row stopped after ({@code layers}; null without).
 */
public record Embeddings(float[] vectors, int rows, int dim, int truncated, int empty, int[] layers) {

  public Embeddings(float[] vectors, int rows, int dim, int truncated, int empty) {
    this(vectors, rows, dim, truncated, empty, null);
  }

  /** The mean layer the rows stopped after, or 0 without early exit. */
  public double meanLayer() {
    if (layers == null || rows == 0) {
      return 0;
    }
    long s = 0;
    for (int l : layers) {
      s += l;
    }
    return (double) s / rows;
  }

  /** Row r's first m components, L2-normalised (rows of zeros stay zero). */
  public Embeddings prefix(int m) {
    if (m < 1 || m > dim) {
      throw new IllegalArgumentException("dim must be in 1.." + dim + ", got " + m);
    }
    return new Embeddings(normalizedPrefix(vectors, rows, dim, m), rows, m, truncated, empty, layers);
  }

  /**
   * The first m of width components of each row, L2-normalised: the one Matryoshka cut of mtk
   * (embedding, evaluation and search all use it). The norm is summed in double; a zero row stays
   * zero.
   */
  public static float[] normalizedPrefix(float[] x, int rows, int width, int m) {
    float[] out = new float[rows * m];
    for (int r = 0; r < rows; r++) {
      double ss = 0;
      for (int i = 0; i < m; i++) {
        ss += (double) x[r * width + i] * x[r * width + i];
      }
      float inv = (float) (1 / Math.max(Math.sqrt(ss), 1e-12));
      for (int i = 0; i < m; i++) {
        out[r * m + i] = x[r * width + i] * inv;
      }
    }
    return out;
  }
}
