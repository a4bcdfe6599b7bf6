package dev.mtk.tokenizers;

/**
 * What the image, audio and video tokenizers produce: {@code count} tokens of {@code dim} floats
 * each, row-major (token i at {@code values[i·dim .. (i+1)·dim)}), the continuous counterpart of
 * the ids a text tokenizer gives. The encoder takes them through its patch projection; a
 * {@link dev.mtk.tokenizers.codebook.Codebook} turns them into ids.
 */
public record FloatTokens(float[] values, int count, int dim) {

  public FloatTokens {
    if (count < 0 || dim < 1 || (long) count * dim != values.length) {
      throw new IllegalArgumentException(count + " tokens × " + dim + " does not match "
          + values.length + " values");
    }
  }

  /** Token .npy files of one feature width, concatenated in order; errors name the file. */
  public static FloatTokens read(java.util.List<java.nio.file.Path> files) throws java.io.IOException {
    try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
      java.util.List<dev.mtk.core.io.Npy.Matrix> ms = new java.util.ArrayList<>();
      long total = 0;
      for (java.nio.file.Path f : files) {
        if (!java.nio.file.Files.isRegularFile(f)) {
          throw new IllegalArgumentException(f + ": no such file");
        }
        var m = dev.mtk.core.io.Npy.map(f, arena);
        if (!ms.isEmpty() && m.cols() != ms.get(0).cols()) {
          throw new IllegalArgumentException(f + " has " + m.cols() + " features, " + files.get(0)
              + " " + ms.get(0).cols());
        }
        ms.add(m);
        total += m.rows();
      }
      int dim = ms.get(0).cols();
      if (total * dim > Integer.MAX_VALUE - 16) {
        throw new IllegalArgumentException(files + ": " + total + " tokens of " + dim
            + " values are more than one array holds");
      }
      float[] all = new float[(int) (total * dim)];
      int at = 0;
      for (var m : ms) {
        float[] v = m.toArray();
        System.arraycopy(v, 0, all, at, v.length);
        at += v.length;
      }
      return new FloatTokens(all, (int) total, dim);
    }
  }
}
