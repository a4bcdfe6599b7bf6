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
}
