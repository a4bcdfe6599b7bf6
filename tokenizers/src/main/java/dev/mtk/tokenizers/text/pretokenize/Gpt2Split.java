package dev.mtk.tokenizers.text.pretokenize;

/** The GPT-2 split ({@link PreTokenizer#GPT2_PATTERN}) without a regex engine. */
public final class Gpt2Split extends GptSplit {

  public static final Gpt2Split INSTANCE = new Gpt2Split();

  private Gpt2Split() {}

  @Override
  public String pattern() {
    return GPT2_PATTERN;
  }

  @Override
  int match(CharSequence s, int i, int to) {
    int cp = SplitRules.cp(s, i, to);
    if (cp == '\'') {
      int end = SplitRules.contraction(s, i, to, false);
      if (end > 0) {
        return end;
      }
    }
    // ' ?\p{L}+' and ' ?\p{N}+'
    int k = i;
    int kcp = cp;
    if (cp == ' ' && i + 1 < to) {
      k = i + 1;
      kcp = SplitRules.cp(s, k, to);
    }
    byte kc = CharClass.of(kcp);
    if (CharClass.isLetter(kc)) {
      return SplitRules.letters(s, k, to);
    }
    if (kc == CharClass.NUMBER) {
      return SplitRules.numbers(s, k, to, 0);
    }
    // ' ?[^\s\p{L}\p{N}]+'
    int end = SplitRules.punctuation(s, i, to, false, false);
    if (end > 0) {
      return end;
    }
    return SplitRules.whitespace(s, i, to, false);
  }
}
