package dev.mtk.tokenizers.text.formats;

/** A tokenizer file (rank file, tokenizer.json) is malformed: says which file, where, and what. */
public final class TokenizerFormatException extends IllegalArgumentException {

  public TokenizerFormatException(String file, int line, String problem) {
    super(file + (line > 0 ? ":" + line : "") + ": " + problem);
  }

  public TokenizerFormatException(String file, String where, String problem) {
    super(file + ": " + where + ": " + problem);
  }
}
