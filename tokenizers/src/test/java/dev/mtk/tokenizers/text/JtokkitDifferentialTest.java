package dev.mtk.tokenizers.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Identical ids to jtokkit (an independent Java implementation of tiktoken) on the same text. */
class JtokkitDifferentialTest {

  static final EncodingRegistry REGISTRY = Encodings.newDefaultEncodingRegistry();

  static void same(Encoding peer, Tokenizer ours, String text) {
    IntArrayList expected = peer.encodeOrdinary(text);
    assertArrayEquals(expected.toArray(), ours.encodeOrdinary(text),
        () -> ours.preTokenizer().getClass().getSimpleName() + " on " + SplitterTest.escape(text));
  }

  static void compare(EncodingType type, Tokenizer ours) {
    Encoding peer = REGISTRY.getEncoding(type);
    for (String s : TextSamples.REAL) {
      same(peer, ours, s);
    }
    // generated text: jtokkit turns lone surrogates into '?', tiktoken into U+FFFD, so the
    // generator makes none
    for (String s : TextSamples.randomList(99, 3000, 40)) {
      same(peer, ours, s);
    }
    same(peer, ours, String.join("\n", TextSamples.REAL).repeat(20));
  }

  @Test
  void cl100kMatchesJtokkit() {
    compare(EncodingType.CL100K_BASE, dev.mtk.tokenizers.text.formats.Encodings.cl100kBase());
  }

  @Test
  void o200kMatchesJtokkit() {
    compare(EncodingType.O200K_BASE, dev.mtk.tokenizers.text.formats.Encodings.o200kBase());
  }

  @Test
  void allowedSpecialTokensSplitTheTextWhereJtokkitEncodesTheRest() {
    // jtokkit does not encode special tokens: the text between them must match its ids
    Encoding peer = REGISTRY.getEncoding(EncodingType.CL100K_BASE);
    Tokenizer ours = dev.mtk.tokenizers.text.formats.Encodings.cl100kBase();
    IntArrayList expected = new IntArrayList();
    for (int id : peer.encodeOrdinary("a").toArray()) {
      expected.add(id);
    }
    expected.add(100257);
    for (int id : peer.encodeOrdinary("b ").toArray()) {
      expected.add(id);
    }
    expected.add(100258);
    for (int id : peer.encodeOrdinary("x").toArray()) {
      expected.add(id);
    }
    expected.add(100260);
    String text = "a<|endoftext|>b <|fim_prefix|>x<|fim_suffix|>";
    assertArrayEquals(expected.toArray(),
        ours.encode(text, java.util.Set.copyOf(ours.specialTokens().keySet())));
    List.of("plain", "").forEach(t -> same(peer, ours, t));
  }
}
