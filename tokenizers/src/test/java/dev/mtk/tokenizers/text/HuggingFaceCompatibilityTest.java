package dev.mtk.tokenizers.text;

import dev.mtk.tokenizers.text.bpe.ByteLevel;
import dev.mtk.tokenizers.text.formats.HuggingFaceJson;
import dev.mtk.tokenizers.text.formats.TokenizerFormatException;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * tokenizer.json both ways with the Hugging Face tokenizers library itself (its Rust core,
 * through DJL's bindings): what we write, it reads and encodes to the same ids; what it writes,
 * we read and encode to the same ids.
 */
class HuggingFaceCompatibilityTest {

  static List<String> texts() {
    List<String> t = new ArrayList<>(TextSamples.REAL);
    // generated text without the rare White_Space characters on which the regex engines
    // (Java's and Oniguruma's) define \s differently
    for (String s : TextSamples.randomList(42, 800, 30)) {
      t.add(s.replace("\u0085", " ").replace("\u00A0", " ").replace("\u2003", " ").replace("\u3000", " "));
    }
    return t;
  }

  static long[] ours(Tokenizer t, String s) {
    int[] ids = t.encode(s, Set.copyOf(t.specialTokens().keySet()));
    long[] out = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = ids[i];
    }
    return out;
  }

  @Test
  void whatWeWriteHuggingFaceReadsWithIdenticalIds(@TempDir Path dir) throws Exception {
    for (String pattern : List.of("gpt2", "cl100k", "o200k")) {
      List<String> docs = new ArrayList<>(texts());
      Tokenizer t = BpeTrainerTest.train(docs, 1200, 2, pattern, 0, 1, List.of("[CLS]", "[SEP]"));
      Path file = dir.resolve(pattern + ".json");
      HuggingFaceJson.save(t, file);
      try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(file, Map.of())) {
        for (String s : texts()) {
          assertArrayEquals(ours(t, s), hf.encode(s, false, false).getIds(), pattern + ": " + SplitterTest.escape(s));
        }
        String withSpecial = "[CLS] hello there [SEP]";
        assertArrayEquals(ours(t, withSpecial), hf.encode(withSpecial, false, false).getIds());
      }
      Tokenizer back = HuggingFaceJson.load(file);
      for (String s : texts()) {
        assertArrayEquals(t.encodeOrdinary(s), back.encodeOrdinary(s));
      }
    }
  }

  @Test
  void whatHuggingFaceWritesWeReadWithIdenticalIds(@TempDir Path dir) throws Exception {
    // cl100k_base as Hugging Face tokenizers serialized it (see src/test/resources/hf/README.md)
    Path file = dir.resolve("tokenizer.json");
    try (var in = new java.util.zip.GZIPInputStream(
        HuggingFaceCompatibilityTest.class.getResourceAsStream("/hf/gpt35turbo-tokenizer.json.gz"))) {
      Files.copy(in, file);
    }
    Tokenizer loaded = HuggingFaceJson.load(file);
    assertEquals(100277, loaded.vocabSize());
    assertEquals(100257, loaded.specialTokens().get("<|endoftext|>"));
    try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(file, Map.of())) {
      for (String s : texts()) {
        assertArrayEquals(hf.encode(s, false, false).getIds(), ours(loaded, s), SplitterTest.escape(s));
      }
    }
  }

  @Test
  void malformedFilesSayWhatAndWhere(@TempDir Path dir) throws Exception {
    Path broken = dir.resolve("broken.json");
    Files.writeString(broken, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \n \"merges\": [\"a b\"");
    TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> HuggingFaceJson.load(broken));
    assertTrue(e.getMessage().contains("broken.json") && e.getMessage().contains("line"), e.getMessage());
    Files.writeString(broken, "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}}");
    e = assertThrows(TokenizerFormatException.class, () -> HuggingFaceJson.load(broken));
    assertTrue(e.getMessage().contains("model.type"), e.getMessage());
    Files.writeString(broken, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}, \"merges\": [\"a c\"]},"
        + "\"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false}}");
    e = assertThrows(TokenizerFormatException.class, () -> HuggingFaceJson.load(broken));
    assertTrue(e.getMessage().contains("model.merges[0]") && e.getMessage().contains("c"), e.getMessage());
    assertEquals(TokenizerFormatException.class, e.getClass());
  }
}
