package dev.mtk.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** mtk tokenizer train / encode / decode and mtk bench tokenizer, end to end through the CLI. */
class TokenizerCommandTest {

  static final String DOCS = String.join("\n",
      "{\"text\": \"The quick brown fox jumps over the lazy dog.\"}",
      "{\"text\": \"Le cœur a ses raisons que la raison ne connaît point.\"}",
      "{\"text\": \"日本語のテキスト 👍 and <|endoftext|> inside\"}",
      "{\"text\": \"\"}") + "\n";

  @Test
  void encodeDecodeRoundTripsWithBuiltInEncodings(@TempDir Path dir) throws Exception {
    Path docs = dir.resolve("docs.jsonl");
    Files.writeString(docs, DOCS);
    for (String enc : List.of("cl100k_base", "o200k_base")) {
      Path ids = dir.resolve(enc + ".ids.jsonl"), back = dir.resolve(enc + ".back.jsonl");
      MainTest.Result r = MainTest.run("tokenizer", "encode", "--encoding", enc, "--input",
          docs.toString(), "--output", ids.toString(), "--allow-special", "all", "--threads", "2");
      assertEquals(0, r.code(), r.err());
      List<String> lines = Files.readAllLines(ids);
      assertEquals(4, lines.size());
      assertTrue(lines.get(0).startsWith("{\"ids\": ["), lines.get(0));
      assertEquals("{\"ids\": []}", lines.get(3));
      r = MainTest.run("tokenizer", "decode", "--encoding", enc, "--input", ids.toString(),
          "--output", back.toString());
      assertEquals(0, r.code(), r.err());
      assertEquals(Files.readAllLines(docs).stream().map(l -> l.replace("\": \"", "\":\"")).toList(),
          Files.readAllLines(back));
    }
    MainTest.Result hello = MainTest.run("tokenizer", "encode", "--encoding", "cl100k_base",
        "--input", write(dir, "h.jsonl", "{\"text\": \"hello world\"}\n").toString(), "--output",
        dir.resolve("h.ids").toString());
    assertEquals(0, hello.code(), hello.err());
    assertEquals("{\"ids\": [15339, 1917]}", Files.readString(dir.resolve("h.ids")).strip());
  }

  @Test
  void specialTokensAreRefusedUnlessAllowed(@TempDir Path dir) throws Exception {
    Path docs = write(dir, "docs.jsonl", DOCS);
    Path out = dir.resolve("ids.jsonl");
    MainTest.Result r = MainTest.run("tokenizer", "encode", "--encoding", "cl100k_base", "--input",
        docs.toString(), "--output", out.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("docs.jsonl:3") && r.err().contains("<|endoftext|>"), r.err());
    assertFalse(Files.exists(out), "nothing half-written");
  }

  @Test
  void badJsonLineNamesFileAndLineAndWritesNothing(@TempDir Path dir) throws Exception {
    Path docs = write(dir, "bad.jsonl", "{\"text\": \"ok\"}\n{\"text\": \"ok\"}\n{not json}\n");
    Path out = dir.resolve("ids.jsonl");
    Files.writeString(out, "previous content\n");
    MainTest.Result r = MainTest.run("tokenizer", "encode", "--encoding", "o200k_base", "--input",
        docs.toString(), "--output", out.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("bad.jsonl:3"), r.err());
    assertEquals("previous content\n", Files.readString(out), "the old file stays whole");
    try (var files = Files.list(dir)) {
      assertEquals(2, files.count(), "no temporary file left behind");
    }
  }

  @Test
  void trainSavesATokenizerThatEncodesAndLoadsBack(@TempDir Path dir) throws Exception {
    StringBuilder corpus = new StringBuilder();
    for (int i = 0; i < 300; i++) {
      corpus.append("the cat sat on the mat number ").append(i).append(", said the hatter\n");
    }
    // one invalid UTF-8 byte: every command that reads text refuses it the same way, naming the line
    byte[] bytes = corpus.toString().getBytes(StandardCharsets.UTF_8);
    byte[] withBad = java.util.Arrays.copyOf(bytes, bytes.length + 2);
    withBad[bytes.length] = (byte) 0xFF;
    withBad[bytes.length + 1] = '\n';
    Path bad = dir.resolve("bad.txt");
    Files.write(bad, withBad);
    Path tok = dir.resolve("tok.json");
    String refused = "mtk: error: " + bad + ":301: not valid UTF-8 (byte 0xFF at byte 1 of the line)";
    MainTest.Result r = MainTest.run("tokenizer", "train", "--input", bad.toString(),
        "--vocab-size", "300", "--output", tok.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().startsWith(refused), r.err());
    r = MainTest.run("tokenizer", "encode", "--encoding", "cl100k_base", "--input", bad.toString(),
        "--output", dir.resolve("x.jsonl").toString());
    assertTrue(r.code() == 1 && r.err().startsWith(refused), r.err());
    assertTrue(!Files.exists(tok) && !Files.exists(dir.resolve("x.jsonl")), "nothing written");
    Path text = dir.resolve("corpus.txt");
    Files.write(text, bytes);
    r = MainTest.run("tokenizer", "train", "--input", text.toString(),
        "--vocab-size", "300", "--special", "[CLS]", "--special", "[SEP]", "--pattern", "gpt2",
        "--output", tok.toString(), "--json");
    assertEquals(0, r.code(), r.err());
    assertEquals(300, MainTest.number(r.lastLine(), "vocab_size"));
    Path docs = write(dir, "d.jsonl", "{\"text\": \"the cat sat\"}\n");
    Path ids = dir.resolve("ids.jsonl");
    r = MainTest.run("tokenizer", "encode", "--tokenizer", tok.toString(), "--input",
        docs.toString(), "--output", ids.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(Files.readString(ids).startsWith("{\"ids\": ["));
  }

  @Test
  void malformedTokenizerFileIsOneClearLine(@TempDir Path dir) throws Exception {
    Path tok = write(dir, "tok.json", "{\"model\": {\"type\": \"Unigram\"}}");
    Path docs = write(dir, "d.jsonl", "{\"text\": \"x\"}\n");
    MainTest.Result r = MainTest.run("tokenizer", "encode", "--tokenizer", tok.toString(),
        "--input", docs.toString(), "--output", dir.resolve("o").toString());
    assertEquals(1, r.code());
    assertTrue(r.err().startsWith("mtk: error: ") && r.err().contains("model.type"), r.err());
    r = MainTest.run("tokenizer", "encode", "--encoding", "p50k", "--input", docs.toString(),
        "--output", dir.resolve("o").toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("cl100k_base"), r.err());
  }

  @Test
  void benchTokenizerPrintsJson(@TempDir Path dir) throws Exception {
    Path docs = write(dir, "docs.jsonl", DOCS.repeat(50));
    MainTest.Result r = MainTest.run("bench", "tokenizer", "--encoding", "cl100k_base", "--input",
        docs.toString(), "--threads", "2", "--runs", "2", "--warmup", "0.2", "--json");
    assertEquals(0, r.code(), r.err());
    assertTrue(MainTest.number(r.lastLine(), "mb_per_s") > 0, r.lastLine());
    assertTrue(MainTest.number(r.lastLine(), "tokens_per_s") > 0, r.lastLine());
  }

  static Path write(Path dir, String name, String content) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, content);
    return p;
  }
}
