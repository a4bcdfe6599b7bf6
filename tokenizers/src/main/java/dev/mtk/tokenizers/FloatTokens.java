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
}
