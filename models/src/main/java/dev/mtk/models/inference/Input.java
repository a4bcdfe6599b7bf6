package dev.mtk.models.inference;

/**
 * One thing to embed. A model takes the inputs of its {@link Modality}: text models take
 * {@link Text} and {@link TokenIds}, patch models {@link Patches}. Images, audio and video
 * become {@link Patches} through their tokenizers (tokenizers' image, audio and video packages).
 */
public sealed interface Input {

  /** A text; special-token strings in it are ordinary text, and no CLS/BOS token is added. */
  record Text(String text) implements Input {
    public Text {
      if (text == null) {
        throw new IllegalArgumentException("text must not be null");
      }
    }
  }

  /** Token ids already made by the model's tokenizer. */
  record TokenIds(int[] ids) implements Input {}

  /** {@code tokens} continuous tokens of the model's patch_dim values each, row after row. */
  record Patches(float[] values, int tokens) implements Input {}

  /** What a model directory takes. */
  enum Modality { TEXT, PATCHES }
}
