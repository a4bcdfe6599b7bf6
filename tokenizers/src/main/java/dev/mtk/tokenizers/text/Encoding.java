package dev.mtk.tokenizers.text;

/**
 * Token ids with their character spans in the original text: token i covers
 * text[start[i], end[i]). Tokens that split one character's UTF-8 bytes share its span, so spans
 * never decrease and together cover the text.
 */
public record Encoding(int[] ids, int[] start, int[] end) {

  public int size() {
    return ids.length;
  }
}
