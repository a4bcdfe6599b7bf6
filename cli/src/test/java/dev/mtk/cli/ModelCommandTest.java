package dev.mtk.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** mtk model init and mtk embed end to end, and the training/inference bench contracts. */
class ModelCommandTest {

  static float[] readNpy(Path f, int[] shapeOut) throws Exception {
    byte[] b = Files.readAllBytes(f);
    assertEquals((byte) 0x93, b[0]);
    assertEquals("NUMPY", new String(b, 1, 5, StandardCharsets.US_ASCII));
    int hl = (b[8] & 0xFF) | ((b[9] & 0xFF) << 8);
    String header = new String(b, 10, hl, StandardCharsets.US_ASCII);
    assertEquals(0, (10 + hl) % 64, "data aligned to 64 bytes");
    assertTrue(header.contains("'descr': '<f4'") && header.contains("'fortran_order': False"), header);
    String shape = header.substring(header.indexOf("(") + 1, header.indexOf(")"));
    String[] parts = shape.split(",\\s*");
    shapeOut[0] = Integer.parseInt(parts[0].trim());
    shapeOut[1] = Integer.parseInt(parts[1].trim());
    ByteBuffer buf = ByteBuffer.wrap(b, 10 + hl, b.length - 10 - hl).order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[buf.remaining() / 4];
    buf.asFloatBuffer().get(out);
    return out;
  }

  @Test
  void initThenEmbedWritesNormalisedPrefixes(@TempDir Path dir) throws Exception {
    Path cfg = TokenizerCommandTest.write(dir, "model.json",
        "{\"vocab_size\": 300, \"d_model\": 32, \"heads\": 4, \"ffn\": 64, \"layers\": 2, "
            + "\"max_seq_len\": 16, \"nesting\": [8, 16, 32]}");
    Path corpus = TokenizerCommandTest.write(dir, "c.txt", "the cat sat on the mat\n".repeat(50));
    Path tok = dir.resolve("tok.json");
    assertEquals(0, MainTest.run("tokenizer", "train", "--input", corpus.toString(), "--vocab-size",
        "280", "--output", tok.toString()).code());
    Path model = dir.resolve("model");
    MainTest.Result r = MainTest.run("model", "init", "--config", cfg.toString(), "--seed", "7",
        "--tokenizer", tok.toString(), "--output", model.toString());
    assertEquals(0, r.code(), r.err());
    Path model2 = dir.resolve("model2");
    MainTest.run("model", "init", "--config", cfg.toString(), "--seed", "7", "--output", model2.toString());
    assertArrayEquals(Files.readAllBytes(model.resolve("model.safetensors")),
        Files.readAllBytes(model2.resolve("model.safetensors")), "same seed, same bytes");

    Path docs = TokenizerCommandTest.write(dir, "d.jsonl",
        "{\"text\": \"the cat\"}\n{\"text\": \"sat on the mat, the cat sat on the mat again and again and again\"}\n{\"text\": \"\"}\n");
    Path emb = dir.resolve("e.npy"), emb8 = dir.resolve("e8.npy");
    r = MainTest.run("embed", "--model", model.toString(), "--input", docs.toString(), "--output",
        emb.toString(), "--batch", "2");
    assertEquals(0, r.code(), r.err());
    r = MainTest.run("embed", "--model", model.toString(), "--input", docs.toString(), "--output",
        emb8.toString(), "--dim", "8", "--layer", "1");
    assertEquals(0, r.code(), r.err());
    int[] shape = new int[2];
    float[] full = readNpy(emb, shape);
    assertEquals(3, shape[0]);
    assertEquals(32, shape[1]);
    double n0 = 0;
    for (int i = 0; i < 32; i++) {
      n0 += full[i] * full[i];
    }
    assertEquals(1.0, n0, 1e-5, "rows are unit vectors");
    for (int i = 64; i < 96; i++) {
      assertEquals(0f, full[i], "an empty text gives a zero row");
    }
    // a blank line of JSON Lines is an empty text: one row per input line, always
    Path gaps = TokenizerCommandTest.write(dir, "gaps.jsonl", "{\"text\": \"the cat\"}\n\n{\"text\": \"the mat\"}\n");
    Path embGaps = dir.resolve("gaps.npy");
    assertEquals(0, MainTest.run("embed", "--model", model.toString(), "--input", gaps.toString(),
        "--output", embGaps.toString()).code());
    float[] g = readNpy(embGaps, shape);
    assertEquals(3, shape[0], "three lines, three rows");
    for (int i = 32; i < 64; i++) {
      assertEquals(0f, g[i], "the blank line's row is zero");
    }
    float[] small = readNpy(emb8, shape);
    assertEquals(8, shape[1]);
    assertEquals(24, small.length);
    r = MainTest.run("embed", "--model", model.toString(), "--input", docs.toString(), "--output",
        emb.toString(), "--dim", "33");
    assertEquals(1, r.code());
    assertTrue(r.err().contains("dim must be in 1..32, got 33"), r.err());

    r = MainTest.run("query", "--model", model.toString(), "--top", "3", "--dim", "8", "a", "small", "cat");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("top 3 at 8 dimensions"), r.out());
    assertEquals(4, r.out().strip().split("\\R").length, r.out());
  }

  @Test
  void modelConfigsRefuseUnknownKeysAndWrongTypes(@TempDir Path dir) throws Exception {
    String base = "\"vocab_size\": 300, \"d_model\": 32, \"heads\": 4, \"ffn\": 64, \"max_seq_len\": 16";
    Path cfg = TokenizerCommandTest.write(dir, "m.json", "{" + base + ", \"layers\": 1, \"poling\": \"cls\"}");
    MainTest.Result r = MainTest.run("model", "init", "--config", cfg.toString(), "--output",
        dir.resolve("m").toString());
    IndexCommandTest.assertOneLine(r, "unknown model setting \"poling\"");
    assertTrue(r.err().contains("pooling") && r.err().contains("patch_dim"), "lists the known keys: " + r.err());
    assertTrue(!Files.exists(dir.resolve("m")), "nothing written");
    // an existing model is replaced only with --force; a tokenizer too large for the vocabulary is refused
    Path ok = TokenizerCommandTest.write(dir, "ok.json", "{" + base + ", \"layers\": 1}");
    assertEquals(0, MainTest.run("model", "init", "--config", ok.toString(), "--output", dir.resolve("m").toString()).code());
    IndexCommandTest.assertOneLine(MainTest.run("model", "init", "--config", ok.toString(), "--seed", "2",
        "--output", dir.resolve("m").toString()), "already holds a model");
    assertEquals(0, MainTest.run("model", "init", "--config", ok.toString(), "--seed", "2", "--force",
        "--output", dir.resolve("m").toString()).code());
    Path corpus = TokenizerCommandTest.write(dir, "c.txt", "the cat sat on the mat\n".repeat(50));
    Path big = dir.resolve("big.json");
    assertEquals(0, MainTest.run("tokenizer", "train", "--input", corpus.toString(), "--vocab-size",
        "320", "--output", big.toString()).code());
    Path small = TokenizerCommandTest.write(dir, "small.json", "{" + base.replace("300", "257") + ", \"layers\": 1}");
    IndexCommandTest.assertOneLine(MainTest.run("model", "init", "--config", small.toString(), "--tokenizer",
        big.toString(), "--output", dir.resolve("m3").toString()), "vocab_size is 257");
    cfg = TokenizerCommandTest.write(dir, "m2.json", "{" + base + ", \"layers\": 1.7}");
    IndexCommandTest.assertOneLine(MainTest.run("model", "init", "--config", cfg.toString(), "--output",
        dir.resolve("m").toString()), "\"layers\" must be a whole number, not 1.7");
  }

  @Test
  void textsIndexedByAModelAreSearchedByText(@TempDir Path dir) throws Exception {
    Path cfg = TokenizerCommandTest.write(dir, "model.json",
        "{\"vocab_size\": 300, \"d_model\": 32, \"heads\": 4, \"ffn\": 64, \"layers\": 1, "
            + "\"max_seq_len\": 16, \"nesting\": [8, 16, 32]}");
    Path corpus = TokenizerCommandTest.write(dir, "c.txt", "a river of water\nthe cat sat on the mat\nstars at night\n".repeat(30));
    Path tok = dir.resolve("tok.json");
    assertEquals(0, MainTest.run("tokenizer", "train", "--input", corpus.toString(), "--vocab-size",
        "280", "--output", tok.toString()).code());
    Path model = dir.resolve("model");
    assertEquals(0, MainTest.run("model", "init", "--config", cfg.toString(), "--seed", "3",
        "--tokenizer", tok.toString(), "--output", model.toString()).code());
    Path docs = TokenizerCommandTest.write(dir, "d.jsonl",
        "{\"text\": \"a river of water\"}\n{\"text\": \"the cat sat on the mat\"}\n{\"text\": \"stars at night\"}\n");
    Path ix = dir.resolve("ix");
    MainTest.Result r = MainTest.run("index", "build", "--model", model.toString(), "--input",
        docs.toString(), "--output", ix.toString());
    assertEquals(0, r.code(), r.err());
    // a text's own row is its nearest neighbour (cosine 1), printed with its text
    r = MainTest.run("query", "--model", model.toString(), "--index", ix.toString(), "--k", "2",
        "the cat sat on the mat");
    assertEquals(0, r.code(), r.err());
    String[] lines = r.out().strip().split("\n");
    assertEquals(3, lines.length, r.out());
    assertTrue(lines[1].matches(" 1\\. 1\\.0000  the cat sat on the mat"), lines[1]);
    // the same through index search on mtk embed's rows: ids, scores and texts
    Path q = dir.resolve("q.npy"), hits = dir.resolve("hits.jsonl");
    assertEquals(0, MainTest.run("embed", "--model", model.toString(), "--input", docs.toString(),
        "--output", q.toString()).code());
    r = MainTest.run("index", "search", "--warmup", "0", "--index", ix.toString(), "--queries",
        q.toString(), "--k", "1", "--output", hits.toString());
    assertEquals(0, r.code(), r.err());
    List<String> rows = Files.readAllLines(hits);
    assertTrue(rows.get(2).startsWith("{\"ids\": [2], \"scores\": [") && rows.get(2).endsWith("\"texts\": [\"stars at night\"]}"),
        rows.get(2));
    // more texts, then the new one is found by its text
    Path more = TokenizerCommandTest.write(dir, "more.txt", "a mat for the cat\n");
    r = MainTest.run("index", "add", "--index", ix.toString(), "--model", model.toString(), "--input", more.toString());
    assertEquals(0, r.code(), r.err());
    r = MainTest.run("query", "--model", model.toString(), "--index", ix.toString(), "--k", "1", "--json",
        "a mat for the cat");
    assertEquals(0, r.code(), r.err());
    var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out().strip());
    assertEquals(3, node.get("hits").get(0).get("id").asLong());
    assertEquals("a mat for the cat", node.get("hits").get(0).get("text").asText());
    // an empty query is refused, and bare vectors cannot join an index of texts
    IndexCommandTest.assertOneLine(MainTest.run("query", "--model", model.toString(), "--index",
        ix.toString(), ""), "empty");
    IndexCommandTest.assertOneLine(MainTest.run("index", "add", "--index", ix.toString(), "--vectors",
        q.toString()), "keeps a text per row");
  }
}
