package dev.mtk.tokenizers.text.pretokenize;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Any other split pattern, through java.util.regex with UNICODE_CHARACTER_CLASS. With
 * {@code keepGaps}, text between matches becomes a piece of its own (Hugging Face's "Isolated"
 * behaviour); without, it is dropped (tiktoken's way, Hugging Face's "Removed" with invert).
 * Also the reference the hand-written splitters are tested against.
 */
public record RegexSplit(String pattern, Pattern compiled, boolean keepGaps) implements PreTokenizer {

  public RegexSplit(String pattern) {
    this(pattern, Pattern.compile(pattern, Pattern.UNICODE_CHARACTER_CLASS), true);
  }

  @Override
  public void split(CharSequence s, int from, int to, PieceSink sink) {
    Matcher m = compiled.matcher(s);
    m.region(from, to);
    int last = from;
    while (m.find()) {
      if (m.end() == m.start()) {
        continue; // an empty match carries no text
      }
      if (m.start() > last && keepGaps) {
        sink.piece(last, m.start());
      }
      sink.piece(m.start(), m.end());
      last = m.end();
    }
    if (last < to && keepGaps) {
      sink.piece(last, to);
    }
  }
}
