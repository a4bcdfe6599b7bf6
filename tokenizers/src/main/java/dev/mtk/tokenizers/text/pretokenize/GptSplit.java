package dev.mtk.tokenizers.text.pretokenize;

/**
 * The hand-written splitters of the GPT patterns: each says where the regex's match at position i
 * ends; the loop that turns matches into consecutive pieces is shared here.
 */
public abstract sealed class GptSplit implements PreTokenizer permits Cl100kSplit, O200kSplit, Gpt2Split {

  GptSplit() {}

  @Override
  public final void split(CharSequence s, int from, int to, PieceSink sink) {
    int i = from;
    while (i < to) {
      int end = match(s, i, to);
      sink.piece(i, end);
      i = end;
    }
  }

  /** The end of the pattern's match at i (always > i: the GPT patterns match every character). */
  abstract int match(CharSequence s, int i, int to);
}
