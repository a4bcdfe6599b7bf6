package dev.mtk.tokenizers.text;

/**
 * The text contains a special token that the caller did not allow, as tiktoken raises by default:
 * pass it in the allowed set to encode it as one id, or use encodeOrdinary to encode it as text.
 */
public final class SpecialTokenException extends IllegalArgumentException {

  private final String token;
  private final int position;

  public SpecialTokenException(String token, int position) {
    super("the text contains the special token " + token + " at character " + position
        + "; allow it to encode it as one token, or encode it as ordinary text");
    this.token = token;
    this.position = position;
  }

  public String token() {
    return token;
  }

  public int position() {
    return position;
  }
}
