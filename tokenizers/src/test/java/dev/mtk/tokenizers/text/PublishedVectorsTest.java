package dev.mtk.tokenizers.text;

import dev.mtk.tokenizers.text.formats.Encodings;
import dev.mtk.tokenizers.text.formats.TiktokenFile;
import dev.mtk.tokenizers.text.formats.TokenizerFormatException;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** Ids that OpenAI's tiktoken gives, from its documentation and its own test suite. */
class PublishedVectorsTest {

  static final Tokenizer CL100K = Encodings.cl100kBase();
  static final Tokenizer O200K = Encodings.o200kBase();

  @Test
  void cl100kVectors() {
    assertArrayEquals(new int[] {15339, 1917}, CL100K.encode("hello world"));
    assertArrayEquals(new int[] {15339, 220, 100257},
        CL100K.encode("hello <|endoftext|>", Set.of("<|endoftext|>")));
    assertArrayEquals(new int[] {9468, 239, 235}, CL100K.encode("👍"));
    assertEquals("hello world", CL100K.decode(new int[] {15339, 1917}));
    assertEquals(100277, CL100K.vocabSize());
  }

  @Test
  void o200kVectors() {
    // tiktoken's test_simple for o200k_base
    assertArrayEquals(new int[] {24912, 2375}, O200K.encode("hello world"));
    assertArrayEquals(new int[] {24912, 220, 199999},
        O200K.encode("hello <|endoftext|>", Set.of("<|endoftext|>")));
    assertEquals(200019, O200K.vocabSize());
  }

  @Test
  void disallowedSpecialIsRefusedAndOrdinaryEncodesItAsText() {
    SpecialTokenException e = assertThrows(SpecialTokenException.class,
        () -> CL100K.encode("hello <|endoftext|>"));
    assertEquals("<|endoftext|>", e.token());
    assertEquals(6, e.position());
    int[] ordinary = CL100K.encodeOrdinary("hello <|endoftext|>");
    assertEquals("hello <|endoftext|>", CL100K.decode(ordinary));
    assertEquals(-1, indexOf(ordinary, 100257));
  }

  @Test
  void specialTokensInNeitherSetAreText() {
    // tiktoken: encode(text, allowed_special={"<|fim_prefix|>"}, disallowed_special=set())
    String text = "a<|fim_prefix|>b<|endoftext|>";
    int[] ids = CL100K.encode(text, Set.of("<|fim_prefix|>"), Set.of());
    assertEquals(100258, ids[1]);
    assertEquals(-1, indexOf(ids, 100257));
    assertEquals(text, CL100K.decode(ids));
    assertThrows(SpecialTokenException.class,
        () -> CL100K.encode(text, Set.of("<|fim_prefix|>"), Set.of("<|endoftext|>")));
  }

  @Test
  void malformedRankFilesNameTheLine() {
    for (String[] bad : new String[][] {
        {"IQ== 0\nIg== x\n", ":2", "not a number"},
        {"IQ== 0\n!!!! 1\n", ":2", "base64"},
        {"IQ== 0\nIg== 0\n", ":2", "twice"},
        {"IQ== 0\nIg==\n", ":2", "expected"},
        {"IQ== 99999999\n", ":1", "outside"}}) {
      TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> TiktokenFile.read(
          new java.io.ByteArrayInputStream(bad[0].getBytes(java.nio.charset.StandardCharsets.US_ASCII)), "x.tiktoken"));
      org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().startsWith("x.tiktoken" + bad[1])
          && e.getMessage().contains(bad[2]), e.getMessage());
    }
  }

  static int indexOf(int[] a, int v) {
    for (int i = 0; i < a.length; i++) {
      if (a[i] == v) {
        return i;
      }
    }
    return -1;
  }
}
