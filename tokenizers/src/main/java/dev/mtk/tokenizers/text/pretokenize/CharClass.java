package dev.mtk.tokenizers.text.pretokenize;

/**
 * The character classes the GPT-style split patterns use, decided per code point exactly as
 * java.util.regex decides them with UNICODE_CHARACTER_CLASS (\p{L}, \p{N}, \p{M}, \s, and the
 * letter subcategories), with a table for ASCII because almost all text is mostly ASCII.
 */
final class CharClass {

  static final byte OTHER = 0;
  static final byte LETTER_UPPER = 1; // Lu, Lt
  static final byte LETTER_LOWER = 2; // Ll
  static final byte LETTER_OTHER = 3; // Lm, Lo: both "upper-ish" and "lower-ish" in o200k
  static final byte MARK = 4; // Mn, Mc, Me
  static final byte NUMBER = 5; // Nd, Nl, No
  static final byte SPACE = 6; // Unicode White_Space

  // The whole BMP in 64 KB, built once (about a millisecond): most text never leaves it, and a
  // table load is far cheaper than Character.getType on every code point.
  private static final byte[] BMP = new byte[0x10000];

  static {
    for (int c = 0; c < BMP.length; c++) {
      BMP[c] = classifySlow(c);
    }
  }

  private CharClass() {}

  static byte of(int cp) {
    return cp < 0x10000 ? BMP[cp] : classifySlow(cp);
  }

  private static byte classifySlow(int cp) {
    if (isWhiteSpace(cp)) {
      return SPACE;
    }
    return switch (Character.getType(cp)) {
      case Character.UPPERCASE_LETTER, Character.TITLECASE_LETTER -> LETTER_UPPER;
      case Character.LOWERCASE_LETTER -> LETTER_LOWER;
      case Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER_OTHER;
      case Character.NON_SPACING_MARK, Character.COMBINING_SPACING_MARK,
          Character.ENCLOSING_MARK -> MARK;
      case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER ->
          NUMBER;
      default -> OTHER;
    };
  }

  /** The Unicode White_Space property: what \s means under UNICODE_CHARACTER_CLASS. */
  static boolean isWhiteSpace(int cp) {
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
        || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F
        || cp == 0x205F || cp == 0x3000;
  }

  static boolean isLetter(byte c) {
    return c >= LETTER_UPPER && c <= LETTER_OTHER;
  }

  /** [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}] of the o200k pattern. */
  static boolean isUpperish(byte c) {
    return c == LETTER_UPPER || c == LETTER_OTHER || c == MARK;
  }

  /** [\p{Ll}\p{Lm}\p{Lo}\p{M}] of the o200k pattern. */
  static boolean isLowerish(byte c) {
    return c == LETTER_LOWER || c == LETTER_OTHER || c == MARK;
  }

  /** [^\r\n\p{L}\p{N}]: the optional one-character prefix before a word. */
  static boolean isWordPrefix(int cp, byte c) {
    return cp != '\r' && cp != '\n' && !isLetter(c) && c != NUMBER;
  }

  /** [^\s\p{L}\p{N}]: punctuation and symbols (and marks). */
  static boolean isPunct(byte c) {
    return c == OTHER || c == MARK;
  }
}
