package dev.mtk.models.encoder;

import java.util.Arrays;

/**
 * The shape of an encoder. {@code nesting} is the Matryoshka ladder (prefix sizes, ascending, the
 * last equal to dModel).
 */
public record EncoderConfig(int vocabSize, int dModel, int heads, int ffn, int layers,
    int maxSeqLen, float layerNormEps, int[] nesting) {

  public EncoderConfig {
    positive("vocab_size", vocabSize);
    positive("d_model", dModel);
    positive("heads", heads);
    positive("ffn", ffn);
    positive("layers", layers);
    positive("max_seq_len", maxSeqLen);
    if (dModel % heads != 0) {
      throw new IllegalArgumentException("d_model " + dModel + " must be divisible by heads " + heads);
    }
    if (!(layerNormEps > 0)) {
      throw new IllegalArgumentException("layer_norm_eps must be > 0");
    }
    nesting = nesting.clone();
    for (int i = 0; i < nesting.length; i++) {
      if (nesting[i] < 1 || nesting[i] > dModel || (i > 0 && nesting[i] <= nesting[i - 1])) {
        throw new IllegalArgumentException("nesting " + Arrays.toString(nesting)
            + " must rise strictly within 1.." + dModel);
      }
    }
  }

  private static void positive(String name, int v) {
    if (v < 1) {
      throw new IllegalArgumentException(name + " must be at least 1, got " + v);
    }
  }

  /** The "reference" preset: the model of ../shared/anchors/torch_reference.py. */
  public static EncoderConfig reference() {
    return new EncoderConfig(8192, 256, 4, 1024, 4, 64, 1e-5f, new int[] {16, 32, 64, 128, 256});
  }

  public int headDim() {
    return dModel / heads;
  }

  @Override
  public int[] nesting() {
    return nesting.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EncoderConfig c && c.vocabSize == vocabSize && c.dModel == dModel
        && c.heads == heads && c.ffn == ffn && c.layers == layers && c.maxSeqLen == maxSeqLen
        && c.layerNormEps == layerNormEps && Arrays.equals(c.nesting, nesting);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(nesting) * 31 + vocabSize * 7 + dModel * 13 + layers;
  }
}
