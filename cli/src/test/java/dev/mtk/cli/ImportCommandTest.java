package dev.mtk.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * mtk model import end to end: the built-in MiniLM into a directory that embed takes, the same
 * model from its ONNX file, and the mistakes a user makes, each one line without a stack trace.
 */
class ImportCommandTest {

  @Test
  void importedMiniLmEmbedsAndTheFileImportIsTheSameBytes(@TempDir Path dir) throws Exception {
    Path model = dir.resolve("minilm");
    MainTest.Result r = MainTest.run("model", "import", "--builtin", "all-minilm-l6-v2", "--output", model.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("6 layers, d 384"), r.err());
    for (String f : new String[] {"config.json", "model.safetensors", "tokenizer.json", "source.json"}) {
      assertTrue(Files.isRegularFile(model.resolve(f)), f);
    }
    assertTrue(Files.readString(model.resolve("source.json")).contains("\"sha256\""));

    Path docs = TokenizerCommandTest.write(dir, "d.txt", "A man is playing a guitar.\nThe cat sits outside.\n");
    Path emb = dir.resolve("e.npy");
    r = MainTest.run("embed", "--model", model.toString(), "--input", docs.toString(), "--output",
        emb.toString(), "--dim", "64");
    assertEquals(0, r.code(), r.err());
    int[] shape = new int[2];
    float[] v = ModelCommandTest.readNpy(emb, shape);
    assertEquals(2, shape[0]);
    assertEquals(64, shape[1]);
    double norm = 0;
    for (int j = 0; j < 64; j++) {
      norm += v[j] * v[j];
    }
    assertEquals(1.0, norm, 1e-5);

    // eval --task sts: Spearman of cosine against the scores, per prefix, and for a baseline
    Path sts = TokenizerCommandTest.write(dir, "sts.tsv", "sentence1\tsentence2\tscore\n"
        + "A man is playing a guitar.\tA man plays the guitar.\t5\n"
        + "A man is playing a guitar.\tA woman is slicing an onion.\t0\n"
        + "The cat sits outside.\tA cat is sitting outdoors.\t4.6\n"
        + "The cat sits outside.\tStocks fell sharply on Monday.\t0.2\n");
    r = MainTest.run("eval", "--model", model.toString(), "--task", "sts", "--data", sts.toString(),
        "--dims", "32,384", "--baseline", model.toString(), "--json");
    assertEquals(0, r.code(), r.err());
    var scores = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out().strip().lines().reduce((a, b) -> b).orElseThrow());
    // the model ranks the four pairs as people did: Spearman 1 at full width, and the baseline (itself) the same
    assertEquals(1.0, scores.path("spearman").path("384").asDouble(), 1e-9, r.out());
    assertEquals(scores.path("spearman").path("32").asDouble(), scores.path("spearman_baseline").path("32").asDouble(), 1e-12);

    // the same file and tokenizer, given as files: the same weights, byte for byte
    Path onnx = dir.resolve("m.onnx"), tok = dir.resolve("tokenizer.json");
    try (var in = ImportCommandTest.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2.onnx")) {
      Files.copy(in, onnx);
    }
    Files.copy(model.resolve("tokenizer.json"), tok);
    Path again = dir.resolve("again");
    r = MainTest.run("model", "import", "--onnx", onnx.toString(), "--tokenizer", tok.toString(),
        "--max-len", "256", "--output", again.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals(-1L, Files.mismatch(model.resolve("model.safetensors"), again.resolve("model.safetensors")));

    // out to the sentence-transformers layout and back: the same embeddings, byte for byte
    Path st = dir.resolve("st"), back = dir.resolve("back");
    r = MainTest.run("model", "export", "--model", model.toString(), "--output", st.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("modules.json") && r.err().contains("1_Pooling/config.json"), r.err());
    r = MainTest.run("model", "import", "--sentence-transformers", st.toString(), "--output", back.toString());
    assertEquals(0, r.code(), r.err());
    Path emb2 = dir.resolve("e2.npy");
    r = MainTest.run("embed", "--model", back.toString(), "--input", docs.toString(), "--output",
        emb2.toString(), "--dim", "64");
    assertEquals(0, r.code(), r.err());
    assertEquals(-1L, Files.mismatch(emb, emb2));
    r = MainTest.run("model", "export", "--model", model.toString(), "--output", st.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("not empty (--force replaces it)"), r.err());
    r = MainTest.run("model", "export", "--model", model.toString(), "--output", st.toString(), "--format", "onnx");
    assertEquals(1, r.code());
    assertTrue(r.err().contains("--format onnx is not known"), r.err());

    // refused: an existing model without --force, a truncated file, a name that is not built in
    r = MainTest.run("model", "import", "--builtin", "all-minilm-l6-v2", "--output", model.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("already holds a model"), r.err());
    Path cut = dir.resolve("cut.onnx");
    byte[] head = new byte[5_000_000];
    try (var in = Files.newInputStream(onnx)) {
      in.readNBytes(head, 0, head.length);
    }
    Files.write(cut, head);
    r = MainTest.run("model", "import", "--onnx", cut.toString(), "--tokenizer", tok.toString(),
        "--output", dir.resolve("x").toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("cut.onnx") && r.err().contains("truncated"), r.err());
    assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
    assertFalse(Files.exists(dir.resolve("x").resolve("config.json")), "nothing half-written");
    r = MainTest.run("model", "import", "--builtin", "bert-huge", "--output", dir.resolve("y").toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("no built-in model named 'bert-huge'") && r.err().contains("all-minilm-l6-v2"), r.err());
    r = MainTest.run("model", "import", "--onnx", onnx.toString(), "--output", dir.resolve("z").toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("--tokenizer"), r.err());
  }
}
