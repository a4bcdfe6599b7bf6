package dev.mtk.tokenizers.text;

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

  static int indexOf(int[] a, int v) {
    for (int i = 0; i < a.length; i++) {
      if (a[i] == v) {
        return i;
      }
    }
    return -1;
  }
}
