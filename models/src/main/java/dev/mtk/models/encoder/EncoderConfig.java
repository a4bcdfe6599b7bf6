package dev.mtk.models.encoder;

import java.util.Arrays;

/**
 * The shape of an encoder. {@code nesting} is the Matryoshka ladder (prefix sizes, ascending,
 * within the embedding size). {@code pooling} is MEAN (over non-padding tokens) or CLS (the first
 * token); {@code dropout} the rate of the residual and MLP dropouts while training (0: none);
 * {@code projection} the size of an optional linear projection after pooling (0: none, the
 * embedding is d_model wide); {@code patchDim} the width of continuous input tokens (image
 * patches, audio frames) projected linearly to d_model instead of a token embedding (0: token
 * ids).
 */
public record EncoderConfig(int vocabSize, int dModel, int heads, int ffn, int layers,
    int maxSeqLen, float layerNormEps, int[] nesting, Pooling pooling, float dropout,
    int projection, int patchDim, Norm norm, int tokenTypes) {

  public enum Pooling { MEAN, CLS }

  /**
   * Where the layer norms sit. PRE (mtk's own models, GPT-2 style): x += f(LN(x)) in every
   * sublayer and a final LN. POST (BERT): the embeddings are normalised, then x = LN(x + f(x))
   * after every sublayer, and no final LN.
   */
  public enum Norm { PRE, POST }

  /** A pre-LN encoder without token types (every model mtk trains from scratch). */
  public EncoderConfig(int vocabSize, int dModel, int heads, int ffn, int layers, int maxSeqLen,
      float layerNormEps, int[] nesting, Pooling pooling, float dropout, int projection,
      int patchDim) {
    this(vocabSize, dModel, heads, ffn, layers, maxSeqLen, layerNormEps, nesting, pooling,
        dropout, projection, patchDim, Norm.PRE, 0);
  }

  /** Token ids in, mean pooling, no dropout, no projection. */
  public EncoderConfig(int vocabSize, int dModel, int heads, int ffn, int layers, int maxSeqLen,
      float layerNormEps, int[] nesting) {
    this(vocabSize, dModel, heads, ffn, layers, maxSeqLen, layerNormEps, nesting, Pooling.MEAN, 0f,
        0, 0);
  }

  /** The width of the output embedding: the projection's size, or d_model. */
  public int embeddingSize() {
    return projection > 0 ? projection : dModel;
  }

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
    if (pooling == null) {
      throw new IllegalArgumentException("pooling must be mean or cls");
    }
    if (!(dropout >= 0f && dropout < 1f)) {
      throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
    }
    if (norm == null) {
      throw new IllegalArgumentException("norm must be pre or post");
    }
    if (tokenTypes < 0 || (tokenTypes > 0 && patchDim > 0)) {
      throw new IllegalArgumentException("token_types must be >= 0 (0: none), and only text models have them");
    }
    if (projection < 0 || patchDim < 0) {
      throw new IllegalArgumentException("projection and patch_dim must be >= 0 (0: none)");
    }
    int width = projection > 0 ? projection : dModel;
    nesting = nesting.clone();
    for (int i = 0; i < nesting.length; i++) {
      if (nesting[i] < 1 || nesting[i] > width || (i > 0 && nesting[i] <= nesting[i - 1])) {
        throw new IllegalArgumentException("nesting " + Arrays.toString(nesting)
            + " must rise strictly within 1.." + width);
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

  /**
   * The "vit-reference" image preset: the model of ../shared/anchors/torch_vit.py — 1×28×28
   * images in 4×4 patches (49 tokens of 16 values), d 128, 4 heads, FFN 512, 6 pre-LN layers,
   * mean pooling, Matryoshka prefixes 8 … 128.
   */
  public static EncoderConfig vitReference() {
    return new EncoderConfig(1, 128, 4, 512, 6, 49, 1e-5f, new int[] {8, 16, 32, 64, 128},
        Pooling.MEAN, 0f, 0, 16);
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
        && c.layerNormEps == layerNormEps && Arrays.equals(c.nesting, nesting)
        && c.pooling == pooling && c.dropout == dropout && c.projection == projection
        && c.patchDim == patchDim && c.norm == norm && c.tokenTypes == tokenTypes;
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(nesting) * 31 + vocabSize * 7 + dModel * 13 + layers;
  }
}
