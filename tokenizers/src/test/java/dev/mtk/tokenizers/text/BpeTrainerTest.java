package dev.mtk.tokenizers.text;

import dev.mtk.tokenizers.text.bpe.BpeTrainer;
import dev.mtk.tokenizers.text.bpe.BytePairModel;
import dev.mtk.tokenizers.text.formats.HuggingFaceJson;
import dev.mtk.tokenizers.text.pretokenize.PreTokenizer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mtk.core.parallel.WorkerPool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeTrainerTest {

  static List<String> corpus(long seed, int n) {
    List<String> docs = new ArrayList<>(TextSamples.randomList(seed, n, 25));
    for (int i = 0; i < 20; i++) {
      docs.addAll(TextSamples.REAL);
    }
    return docs;
  }

  static Tokenizer train(List<String> docs, int vocab, int threads, String pattern, int maxLen,
      int minFreq, List<String> specials) {
    BpeTrainer.Config c = new BpeTrainer.Config(vocab, minFreq, specials,
        PreTokenizer.named(pattern), maxLen, null);
    try (WorkerPool pool = new WorkerPool(threads)) {
      return BpeTrainer.train(docs.iterator(), c, pool, BpeTrainer.Progress.NONE);
    }
  }

  @Property(tries = 15)
  void vocabularyIsBytesMergesAndSpecials(@ForAll @IntRange(min = 256 + 2, max = 900) int vocab,
      @ForAll @IntRange(min = 0, max = 2) int p) {
    String pattern = new String[] {"gpt2", "cl100k", "o200k"}[p];
    List<String> specials = List.of("[CLS]", "[SEP]");
    Tokenizer t = train(corpus(vocab, 300), vocab, 2, pattern, 0, 1, specials);
    BytePairModel m = t.model();
    assertEquals(256 + m.merges().length + specials.size(), t.vocabSize());
    assertTrue(t.vocabSize() <= vocab);
    for (int b = 0; b < 256; b++) {
      assertArrayEquals(new byte[] {(byte) b}, m.tokenBytes(b));
    }
    for (int r = 0; r < m.merges().length; r++) {
      byte[] left = m.tokenBytes(m.merges()[r][0]), right = m.tokenBytes(m.merges()[r][1]);
      byte[] merged = Arrays.copyOf(left, left.length + right.length);
      System.arraycopy(right, 0, merged, left.length, right.length);
      assertEquals(256 + r, m.tokenId(merged), "merge " + r + " makes token 256 + r");
    }
    assertEquals(256 + m.merges().length, t.specialTokens().get("[CLS]"));
  }

  @Test
  void sameMergesForAnyThreadCountAndEveryRun(@TempDir Path dir) throws Exception {
    List<String> docs = corpus(7, 3000);
    byte[] first = null;
    for (int threads : new int[] {1, 2, 3, 1}) {
      Tokenizer t = train(docs, 800, threads, "cl100k", 0, 1, List.of("<|endoftext|>"));
      Path f = dir.resolve("t" + threads + ".json");
      HuggingFaceJson.save(t, f);
      byte[] bytes = Files.readAllBytes(f);
      if (first == null) {
        first = bytes;
      } else {
        assertArrayEquals(first, bytes, threads + " threads");
      }
    }
  }

  @Test
  void trainedTokenizerRoundTripsAndCompresses() {
    List<String> docs = corpus(8, 2000);
    Tokenizer t = train(docs, 1000, 2, "o200k", 0, 1, List.of());
    int bytes = 0, tokens = 0;
    for (String s : docs) {
      int[] ids = t.encodeOrdinary(s);
      assertEquals(s, t.decode(ids));
      bytes += s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
      tokens += ids.length;
    }
    assertTrue(tokens < bytes * 0.6, "merges must shorten the text: " + tokens + " tokens for " + bytes + " bytes");
  }

  @Test
  void maxTokenLengthAndMinFrequencyAreHonoured() {
    List<String> docs = corpus(9, 1000);
    Tokenizer t = train(docs, 2000, 2, "gpt2", 3, 1, List.of());
    for (int id = 0; id < t.vocabSize(); id++) {
      assertTrue(t.model().tokenBytes(id).length <= 3, "token " + id);
    }
    Tokenizer rare = train(List.of("ab ab ab cd"), 300, 1, "gpt2", 0, 3, List.of());
    // " ab" pairs occur twice, "ab" three times: only merges seen at least 3 times happen
    assertEquals(1, rare.model().merges().length);
    assertArrayEquals("ab".getBytes(), rare.model().tokenBytes(256));
  }

  @Test
  void badSettingsSayWhatToDo() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new BpeTrainer.Config(100, 1, List.of(), PreTokenizer.named("gpt2"), 0, null));
    assertTrue(e.getMessage().contains("256"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> PreTokenizer.named("bert"));
  }
}
