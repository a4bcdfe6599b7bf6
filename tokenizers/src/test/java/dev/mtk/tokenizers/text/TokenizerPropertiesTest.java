package dev.mtk.tokenizers.text;

import dev.mtk.tokenizers.text.formats.Encodings;
import dev.mtk.tokenizers.text.normalize.Normalizer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mtk.core.parallel.WorkerPool;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** Round trips, offsets, batches and streaming, for both OpenAI encodings. */
class TokenizerPropertiesTest {

  static final List<Tokenizer> BOTH = List.of(Encodings.cl100kBase(), Encodings.o200kBase());

  /** The documented rule for lone surrogates: each becomes U+FFFD. */
  static String withoutLoneSurrogates(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        sb.append(c).append(s.charAt(++i));
      } else if (Character.isSurrogate(c)) {
        sb.append('\uFFFD');
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  @Property(tries = 400)
  void decodeEncodeIsIdentity(@ForAll String s) {
    for (Tokenizer t : BOTH) {
      assertEquals(withoutLoneSurrogates(s), t.decode(t.encodeOrdinary(s)));
    }
  }

  @Property(tries = 400)
  void bytesRoundTrip(@ForAll @Size(max = 200) byte[] b) {
    for (Tokenizer t : BOTH) {
      assertArrayEquals(b, t.decodeBytes(t.encodeBytes(b)));
    }
  }

  @Test
  void validUtf8BytesEncodeLikeTheirText() {
    for (String s : TextSamples.REAL) {
      for (Tokenizer t : BOTH) {
        assertArrayEquals(t.encodeOrdinary(s), t.encodeBytes(s.getBytes(StandardCharsets.UTF_8)));
      }
    }
  }

  @Property(tries = 300)
  void offsetsAreMonotoneAndCoverTheInput(@ForAll String raw) {
    String s = withoutLoneSurrogates(raw).replace("<|", "<");
    for (Tokenizer t : BOTH) {
      dev.mtk.tokenizers.text.Encoding e = t.encodeWithOffsets(s, Set.of());
      assertArrayEquals(t.encode(s), e.ids());
      int covered = 0;
      for (int i = 0; i < e.size(); i++) {
        assertTrue(e.start()[i] <= e.end()[i]);
        if (i > 0) {
          assertTrue(e.start()[i] >= e.start()[i - 1] && e.end()[i] >= e.end()[i - 1], "monotone");
          assertTrue(e.start()[i] <= e.end()[i - 1] || e.start()[i] == covered, "no gap");
        } else {
          assertEquals(0, e.start()[0]);
        }
        covered = Math.max(covered, e.end()[i]);
      }
      assertEquals(s.length(), covered);
    }
  }

  @Test
  void offsetsPointAtTheTokensText() {
    Tokenizer t = Encodings.cl100kBase();
    String s = "Hello wörld, it's 2024!";
    dev.mtk.tokenizers.text.Encoding e = t.encodeWithOffsets(s, Set.of());
    StringBuilder rebuilt = new StringBuilder();
    for (int i = 0; i < e.size(); i++) {
      String piece = s.substring(e.start()[i], e.end()[i]);
      assertEquals(t.decode(new int[] {e.ids()[i]}), piece, "token " + i);
      rebuilt.append(piece);
    }
    assertEquals(s, rebuilt.toString());
  }

  @Property(tries = 200)
  void normalizedOffsetsStillPointIntoTheOriginal(@ForAll String raw) {
    String s = withoutLoneSurrogates(raw).replace("<|", "<") + " Ｈｅｌｌｏ ﬁne e\u0301 Ⅻ";
    Tokenizer plain = Encodings.cl100kBase();
    for (Normalizer n : List.of(new Normalizer.Nfkc(), new Normalizer.Nfc(), new Normalizer.Lowercase())) {
      Tokenizer t = new Tokenizer(n, plain.preTokenizer(), plain.model(), plain.specialTokens(), null);
      assertArrayEquals(plain.encode(n.apply(s)), t.encode(s), "same ids as encoding the normalized text");
      dev.mtk.tokenizers.text.Encoding e = t.encodeWithOffsets(s, Set.of());
      int covered = 0;
      for (int i = 0; i < e.size(); i++) {
        assertTrue(e.start()[i] >= 0 && e.end()[i] <= s.length() && e.start()[i] <= e.end()[i]);
        if (i > 0) {
          assertTrue(e.start()[i] >= e.start()[i - 1] && e.end()[i] >= e.end()[i - 1], "monotone");
        }
        covered = Math.max(covered, e.end()[i]);
      }
      assertEquals(s.length(), covered);
    }
  }

  @Test
  void batchEqualsOneByOne() {
    List<String> texts = new ArrayList<>(TextSamples.randomList(3, 500, 30));
    texts.addAll(TextSamples.REAL);
    for (Tokenizer t : BOTH) {
      for (int threads : new int[] {1, 2, 3}) {
        try (WorkerPool pool = new WorkerPool(threads)) {
          List<int[]> batch = t.encodeBatch(texts, Set.of(), pool);
          for (int i = 0; i < texts.size(); i++) {
            assertArrayEquals(t.encode(texts.get(i)), batch.get(i));
          }
        }
      }
    }
  }

  @Test
  void streamingDecoderHoldsBackIncompleteCharacters() {
    Tokenizer t = Encodings.cl100kBase();
    for (String s : TextSamples.REAL) {
      StreamingDecoder d = t.streamingDecoder();
      StringBuilder out = new StringBuilder();
      for (int id : t.encode(s)) {
        String part = d.add(id);
        assertTrue(part.indexOf('\uFFFD') < 0, "a valid text never shows a replacement character");
        out.append(part);
      }
      out.append(d.finish());
      assertEquals(s, out.toString());
    }
    // "👍" is three tokens: nothing comes out until the last
    StreamingDecoder d = t.streamingDecoder();
    assertEquals("", d.add(9468));
    assertEquals("", d.add(239));
    assertEquals("👍", d.add(235));
  }
}
