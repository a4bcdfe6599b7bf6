package dev.mtk.models.inference;

/**
 * How to embed: the Matryoshka prefix, the depth, the batch shape and whether rows are
 * renormalised. {@code dim} 0 means the full embedding width, {@code layer} 0 the last layer;
 * layers count from 1: layer l is the model cut after its first l layers (the final layer norm,
 * pooling and projection still applied), so layer L is the whole model.
 *
 * @param dim the prefix m: each row keeps its first m components
 * @param layer 1 … L, or 0 for L
 * @param batch sequences per encoder pass (a throughput knob; rows do not depend on it)
 * @param normalize L2-normalise each row after the cut (at full width too); off gives the raw
 *     pooled (and projected) prefix
 * @param exit early exit: which inputs stop after which layer (null: every input runs to
 *     {@code layer}); with a rule, {@code layer} must be 0
 */
public record EmbedOptions(int dim, int layer, int batch, boolean normalize, ExitRule exit) {

  /** Full width, last layer, 64 sequences a pass, L2-normalised: what {@code mtk embed} writes. */
  public static final EmbedOptions DEFAULT = new EmbedOptions(0, 0, 64, true);

  /** Full width, raw, 256 sequences a pass: what evaluation cuts and normalises each prefix from. */
  public static final EmbedOptions EVALUATION = new EmbedOptions(0, 0, 256, false);

  public EmbedOptions(int dim, int layer, int batch, boolean normalize) {
    this(dim, layer, batch, normalize, null);
  }

  public EmbedOptions {
    if (dim < 0) {
      throw new IllegalArgumentException("dim must be at least 1 (or 0 for the full width), got " + dim);
    }
    if (layer < 0) {
      throw new IllegalArgumentException("layer must be at least 1 (or 0 for the last), got " + layer);
    }
    if (batch < 1) {
      throw new IllegalArgumentException("batch must be at least 1, got " + batch);
    }
    if (exit != null && layer != 0) {
      throw new IllegalArgumentException("early exit chooses each input's layer: give no fixed layer ("
          + layer + ")");
    }
  }

  public EmbedOptions withDim(int m) {
    return new EmbedOptions(m, layer, batch, normalize, exit);
  }

  public EmbedOptions withLayer(int l) {
    return new EmbedOptions(dim, l, batch, normalize, exit);
  }

  public EmbedOptions withBatch(int b) {
    return new EmbedOptions(dim, layer, b, normalize, exit);
  }

  /** The raw full-width embeddings (evaluation cuts and normalises each prefix itself). */
  public EmbedOptions raw() {
    return new EmbedOptions(dim, layer, batch, false, exit);
  }

  /** The same with early exit by {@code rule} (null: none). */
  public EmbedOptions withExit(ExitRule rule) {
    return new EmbedOptions(dim, layer, batch, normalize, rule);
  }
}
