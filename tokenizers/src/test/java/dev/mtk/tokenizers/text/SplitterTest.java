package dev.mtk.tokenizers.text;

import dev.mtk.tokenizers.text.pretokenize.Cl100kSplit;
import dev.mtk.tokenizers.text.pretokenize.Gpt2Split;
import dev.mtk.tokenizers.text.pretokenize.O200kSplit;
import dev.mtk.tokenizers.text.pretokenize.PreTokenizer;
import dev.mtk.tokenizers.text.pretokenize.RegexSplit;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

/** The hand-written splitters against java.util.regex on the same pattern. */
class SplitterTest {

  static List<String> pieces(PreTokenizer p, String s) {
    List<String> out = new ArrayList<>();
    p.split(s, 0, s.length(), (a, b) -> out.add(s.substring(a, b)));
    return out;
  }

  static void same(PreTokenizer fast, String s) {
    RegexSplit reference = new RegexSplit(fast.pattern());
    assertEquals(pieces(reference, s), pieces(fast, s), () -> fast.getClass().getSimpleName()
        + " on " + escape(s));
  }

  static String escape(String s) {
    StringBuilder sb = new StringBuilder("\"");
    s.codePoints().forEach(cp -> {
      if (cp >= 32 && cp < 127) {
        sb.appendCodePoint(cp);
      } else {
        sb.append(String.format("\\u{%04X}", cp));
      }
    });
    return sb.append('"').toString();
  }

  static final PreTokenizer[] ALL = {Cl100kSplit.INSTANCE, O200kSplit.INSTANCE, Gpt2Split.INSTANCE};

  @Test
  void realText() {
    for (String s : TextSamples.REAL) {
      for (PreTokenizer p : ALL) {
        same(p, s);
      }
    }
  }

  @Test
  void biasedRandomText() {
    SplittableRandom rnd = new SplittableRandom(17);
    for (int i = 0; i < 4000; i++) {
      String s = TextSamples.random(rnd, 1 + rnd.nextInt(30));
      for (PreTokenizer p : ALL) {
        same(p, s);
      }
    }
  }

  @Property(tries = 500)
  void arbitraryStrings(@ForAll @StringLength(max = 40) String s) {
    for (PreTokenizer p : ALL) {
      same(p, s);
    }
  }

  @Test
  void piecesCoverTheText() {
    for (String s : TextSamples.randomList(5, 200, 20)) {
      for (PreTokenizer p : ALL) {
        assertEquals(s, String.join("", pieces(p, s)));
      }
    }
  }
}
