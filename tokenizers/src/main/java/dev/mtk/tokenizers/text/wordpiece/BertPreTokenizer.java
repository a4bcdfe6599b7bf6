package dev.mtk.tokenizers.text.wordpiece;

import dev.mtk.tokenizers.text.normalize.Normalizer;

/**
 * Stage 2 of the WordPiece pipeline (Hugging Face BertPreTokenizer): words are runs of characters
 * between white space (which is dropped), and every punctuation character is a word of its own —
 * ASCII's punctuation and symbols ({@code $ + < = > ^ ` | ~} included, as BERT counts them) and
 * Unicode's P* categories.
 */
public final class BertPreTokenizer {

  public static final BertPreTokenizer INSTANCE = new BertPreTokenizer();

  private BertPreTokenizer() {}

  /** Receives one word: text[start, end). */
  @FunctionalInterface
  public interface WordSink {
    void word(int start, int end);
  }

  /** Reports the words of text in order. */
  public void split(String text, WordSink sink) {
    int start = -1;
    for (int i = 0; i < text.length(); ) {
      int c = text.codePointAt(i);
      int next = i + Character.charCount(c);
      if (Normalizer.Bert.whiteSpaceProperty(c)) {
        if (start >= 0) {
          sink.word(start, i);
          start = -1;
        }
      } else if (isPunctuation(c)) {
        if (start >= 0) {
          sink.word(start, i);
          start = -1;
        }
        sink.word(i, next);
      } else if (start < 0) {
        start = i;
      }
      i = next;
    }
    if (start >= 0) {
      sink.word(start, text.length());
    }
  }

  /** ASCII 33–47, 58–64, 91–96, 123–126, or a Unicode punctuation category (Pc Pd Ps Pe Pi Pf Po). */
  public static boolean isPunctuation(int c) {
    if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) {
      return true;
    }
    return switch (Character.getType(c)) {
      case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION,
          Character.START_PUNCTUATION, Character.END_PUNCTUATION,
          Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
          Character.OTHER_PUNCTUATION -> true;
      default -> false;
    };
  }
}
