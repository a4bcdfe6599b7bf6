package dev.mtk.tokenizers.text.pretokenize;

/**
 * The pieces of the GPT split patterns that the three splitters share, each returning the end of
 * its match at position i, or -1. Positions are char indices; code points outside the BMP take
 * two chars. The comments give the regex fragment each method stands for.
 */
final class SplitRules {

  private SplitRules() {}

  static int cp(CharSequence s, int i, int to) {
    char c = s.charAt(i);
    if (Character.isHighSurrogate(c) && i + 1 < to) {
      char d = s.charAt(i + 1);
      if (Character.isLowSurrogate(d)) {
        return Character.toCodePoint(c, d);
      }
    }
    return c;
  }

  static int width(int cp) {
    return cp >= 0x10000 ? 2 : 1;
  }

  /**
   * (?i:'s|'t|'re|'ve|'m|'ll|'d) at i, or with {@code ignoreCase} false the lowercase-only GPT-2
   * form. Under UNICODE_CASE the long s (ſ, U+017F) matches s too.
   */
  static int contraction(CharSequence s, int i, int to, boolean ignoreCase) {
    if (i + 1 >= to || s.charAt(i) != '\'') {
      return -1;
    }
    char a = fold(s.charAt(i + 1), ignoreCase);
    if (a == 's' || a == 't' || a == 'm' || a == 'd') {
      return i + 2;
    }
    if (i + 2 < to) {
      char b = fold(s.charAt(i + 2), ignoreCase);
      if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) {
        return i + 3;
      }
    }
    return -1;
  }

  private static char fold(char c, boolean ignoreCase) {
    if (!ignoreCase) {
      return c;
    }
    if (c >= 'A' && c <= 'Z') {
      return (char) (c + 32);
    }
    return c == '\u017F' ? 's' : c;
  }

  /** \p{L}+ from i (i must start a letter). */
  static int letters(CharSequence s, int i, int to) {
    while (i < to) {
      int cp = cp(s, i, to);
      if (!CharClass.isLetter(CharClass.of(cp))) {
        break;
      }
      i += width(cp);
    }
    return i;
  }

  /** \p{N}{1,max} from i (i must start a number); max 0 means unbounded. */
  static int numbers(CharSequence s, int i, int to, int max) {
    int n = 0;
    while (i < to && (max == 0 || n < max)) {
      int cp = cp(s, i, to);
      if (CharClass.of(cp) != CharClass.NUMBER) {
        break;
      }
      i += width(cp);
      n++;
    }
    return i;
  }

  /**
   * " ?[^\s\p{L}\p{N}]+" then a run of the trailing chars (CR, LF, and '/' when {@code slash}):
   * -1 unless a punctuation run starts at i or right after a space at i.
   */
  static int punctuation(CharSequence s, int i, int to, boolean trailCrLf, boolean slash) {
    int k = i;
    if (s.charAt(k) == ' ') {
      k++;
    }
    int start = k;
    while (k < to) {
      int cp = cp(s, k, to);
      if (!CharClass.isPunct(CharClass.of(cp))) {
        break;
      }
      k += width(cp);
    }
    if (k == start) {
      return -1;
    }
    if (trailCrLf) {
      while (k < to) {
        char c = s.charAt(k);
        if (c == '\r' || c == '\n' || (slash && c == '/')) {
          k++;
        } else {
          break;
        }
      }
    }
    return k;
  }

  /**
   * Whitespace at i (i must start one): "\s*[\r\n]+" when {@code crlfRule}, then "\s+(?!\S)",
   * then "\s+". All White_Space characters are in the BMP, so chars are code points here.
   */
  static int whitespace(CharSequence s, int i, int to, boolean crlfRule) {
    int r = i;
    int lastNewline = -1;
    while (r < to && CharClass.isWhiteSpace(s.charAt(r))) {
      char c = s.charAt(r);
      if (c == '\r' || c == '\n') {
        lastNewline = r;
      }
      r++;
    }
    if (crlfRule && lastNewline >= 0) {
      // \s* is greedy and backs off to the last CR or LF, which [\r\n]+ then takes
      return lastNewline + 1;
    }
    if (r == to || r - i == 1) {
      // at the end of text (?!\S) holds; a single space before a non-space is left to \s+
      return r;
    }
    // \s+(?!\S) backs off one char so that the last space joins the next piece
    return r - 1;
  }
}
