package dev.mtk.tokenizers.text.pretokenize;

/** The cl100k_base split ({@link PreTokenizer#CL100K_PATTERN}) without a regex engine. */
public final class Cl100kSplit extends GptSplit {

  public static final Cl100kSplit INSTANCE = new Cl100kSplit();

  private Cl100kSplit() {}

  @Override
  public String pattern() {
    return CL100K_PATTERN;
  }

  @Override
  int match(CharSequence s, int i, int to) {
    int cp = SplitRules.cp(s, i, to);
    byte c = CharClass.of(cp);
    if (cp == '\'') {
      int end = SplitRules.contraction(s, i, to, true);
      if (end > 0) {
        return end;
      }
    }
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (CharClass.isLetter(c)) {
      return SplitRules.letters(s, i, to);
    }
    if (CharClass.isWordPrefix(cp, c)) {
      int n = i + SplitRules.width(cp);
      if (n < to && CharClass.isLetter(CharClass.of(SplitRules.cp(s, n, to)))) {
        return SplitRules.letters(s, n, to);
      }
    }
    // \p{N}{1,3}
    if (c == CharClass.NUMBER) {
      return SplitRules.numbers(s, i, to, 3);
    }
    // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
    int end = SplitRules.punctuation(s, i, to, true, false);
    if (end > 0) {
      return end;
    }
    // \s*[\r\n]+ | \s+(?!\S) | \s+  (every char not matched above is white space)
    return SplitRules.whitespace(s, i, to, true);
  }
}
