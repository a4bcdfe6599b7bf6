package dev.mtk.tokenizers.text.pretokenize;

/**
 * The o200k_base split ({@link PreTokenizer#O200K_PATTERN}) without a regex engine. Its two word
 * alternatives, with U = [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}] and W = [\p{Ll}\p{Lm}\p{Lo}\p{M}], are
 * P?U*W+C? and P?U+W*C? (P the optional prefix, C a contraction); they are tried in the order the
 * regex engine tries them, backtracking included: first alternative with then without the
 * prefix, then the second alternative likewise.
 */
public final class O200kSplit extends GptSplit {

  public static final O200kSplit INSTANCE = new O200kSplit();

  private O200kSplit() {}

  @Override
  public String pattern() {
    return O200K_PATTERN;
  }

  @Override
  int match(CharSequence s, int i, int to) {
    int cp = SplitRules.cp(s, i, to);
    byte c = CharClass.of(cp);
    boolean prefix = CharClass.isWordPrefix(cp, c);
    int n = i + SplitRules.width(cp);
    int end = -1;
    if (prefix && n < to) {
      end = upperThenLower(s, n, to);
    }
    if (end < 0) {
      end = upperThenLower(s, i, to);
    }
    if (end < 0 && prefix && n < to) {
      end = upperOnly(s, n, to);
    }
    if (end < 0) {
      end = upperOnly(s, i, to);
    }
    if (end > 0) {
      return end;
    }
    if (c == CharClass.NUMBER) {
      return SplitRules.numbers(s, i, to, 3);
    }
    end = SplitRules.punctuation(s, i, to, true, true);
    if (end > 0) {
      return end;
    }
    return SplitRules.whitespace(s, i, to, true);
  }

  /** End of the U-run starting at i. */
  private static int upperRun(CharSequence s, int i, int to) {
    while (i < to) {
      int cp = SplitRules.cp(s, i, to);
      if (!CharClass.isUpperish(CharClass.of(cp))) {
        break;
      }
      i += SplitRules.width(cp);
    }
    return i;
  }

  /** End of the W-run starting at i. */
  private static int lowerRun(CharSequence s, int i, int to) {
    while (i < to) {
      int cp = SplitRules.cp(s, i, to);
      if (!CharClass.isLowerish(CharClass.of(cp))) {
        break;
      }
      i += SplitRules.width(cp);
    }
    return i;
  }

  /** U*W+C? at i, or -1. */
  private static int upperThenLower(CharSequence s, int i, int to) {
    int u = upperRun(s, i, to);
    int w = lowerRun(s, u, to);
    int end;
    if (w > u) {
      end = w;
    } else {
      // U* gives back code points until W+ can start: at the last W-char inside the U-run,
      // and W+ cannot run past the U-run's end (the char there is not in W)
      end = -1;
      int k = i;
      while (k < u) {
        int cp = SplitRules.cp(s, k, to);
        int next = k + SplitRules.width(cp);
        if (CharClass.isLowerish(CharClass.of(cp))) {
          end = next;
        }
        k = next;
      }
      if (end < 0) {
        return -1;
      }
    }
    return withContraction(s, end, to);
  }

  /** U+W*C? at i, or -1. */
  private static int upperOnly(CharSequence s, int i, int to) {
    int u = upperRun(s, i, to);
    if (u == i) {
      return -1;
    }
    return withContraction(s, lowerRun(s, u, to), to);
  }

  private static int withContraction(CharSequence s, int end, int to) {
    if (end < to && s.charAt(end) == '\'') {
      int c = SplitRules.contraction(s, end, to, true);
      if (c > 0) {
        return c;
      }
    }
    return end;
  }
}
