package dev.mtk.tokenizers.text.formats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading texts: one per line for embedding, blank JSON lines skipped for corpora, BOMs dropped. */
class TextSourcesTest {

  @Test
  void everyLineIsATextAndAByteOrderMarkIsNot(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("d.jsonl");
    Files.write(f, ("\uFEFF{\"text\": \"a\"}\n\n{\"text\": \"b\"}\n").getBytes(StandardCharsets.UTF_8));
    assertEquals(List.of("a", "", "b"), TextSources.readAll(List.of(f)), "one text per line");
    List<String> corpus = new ArrayList<>();
    try (TextSources.Reader r = TextSources.open(List.of(f))) {
      r.forEachRemaining(corpus::add);
    }
    assertEquals(List.of("a", "b"), corpus, "a corpus skips blank lines");
    Path t = dir.resolve("d.txt");
    Files.write(t, "\uFEFFfirst\nsecond\n".getBytes(StandardCharsets.UTF_8));
    assertEquals(List.of("first", "second"), TextSources.readAll(List.of(t)));
    var e = assertThrows(IllegalArgumentException.class, () -> TextSources.readAll(List.of(dir)));
    assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
  }

  @Test
  void bytesThatAreNotUtf8AreRefusedWithTheirLineAndPlace(@TempDir Path dir) throws Exception {
    // Latin-1 "café", a lone continuation byte, a cut-off 3-byte sequence, an overlong '/', a surrogate
    byte[][] bad = {{'c', 'a', 'f', (byte) 0xE9}, {'x', (byte) 0x80}, {(byte) 0xE2, (byte) 0x82},
        {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}};
    int[] at = {4, 2, 1, 1, 1};
    for (int i = 0; i < bad.length; i++) {
      Path f = dir.resolve("d" + i + ".txt");
      byte[] good = "fine\n".getBytes(StandardCharsets.UTF_8);
      byte[] all = new byte[good.length + bad[i].length + 1];
      System.arraycopy(good, 0, all, 0, good.length);
      System.arraycopy(bad[i], 0, all, good.length, bad[i].length);
      all[all.length - 1] = '\n';
      Files.write(f, all);
      var e = assertThrows(IllegalArgumentException.class, () -> TextSources.readAll(List.of(f)));
      assertTrue(e.getMessage().startsWith(f + ":2: not valid UTF-8")
          && e.getMessage().contains("at byte " + at[i] + " of the line"), e.getMessage());
      // a corpus reader refuses it the same way (no silent U+FFFD)
      try (TextSources.Reader r = TextSources.open(List.of(f))) {
        assertEquals("fine", r.next());
        assertThrows(TextSources.InputException.class, r::hasNext);
      }
    }
    // four-byte emoji and every other valid sequence pass
    Path ok = dir.resolve("ok.txt");
    Files.writeString(ok, "naïve café 👍 日本\n");
    assertEquals(List.of("naïve café 👍 日本"), TextSources.readAll(List.of(ok)));
  }

  @Test
  void aTextLongerThanJacksonsDefault20MbCapIsRead(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("big.jsonl");
    String big = "a".repeat(21_000_000);
    Files.writeString(f, "{\"text\": \"" + big + "\"}\n");
    assertEquals(big.length(), TextSources.readAll(List.of(f)).get(0).length());
  }

  @Test
  void writeAllIsReadBackByReadAll(@TempDir Path dir) throws Exception {
    List<String> texts = List.of("one", "", "tab\tand \"quotes\" 👍", "last");
    Path j = dir.resolve("t.jsonl");
    long bytes = TextSources.writeAll(j, texts);
    assertEquals(Files.size(j), bytes);
    assertEquals(texts, TextSources.readAll(List.of(j)));
    Path t = dir.resolve("t.txt");
    TextSources.writeAll(t, List.of("line one\nstill one", "two"));
    assertEquals(List.of("line one still one", "two"), TextSources.readAll(List.of(t)));
  }
}
