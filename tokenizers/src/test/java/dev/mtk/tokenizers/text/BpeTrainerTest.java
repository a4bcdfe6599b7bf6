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

  /**
   * The textbook algorithm, written for clarity: every step recounts every pair of every word,
   * takes the best (count, then merged bytes, then left id; too-long merges skipped) and rewrites
   * the words left to right. The trainer must make exactly its merges.
   */
  static List<int[]> naiveMerges(List<String> docs, int merges, int minFreq, int maxLen, String pattern) {
    java.util.Map<String, Long> words = new java.util.TreeMap<>();
    for (String d : docs) {
      PreTokenizer.named(pattern).split(d, 0, d.length(), (a, b) -> words.merge(d.substring(a, b), 1L, Long::sum));
    }
    List<byte[]> tokens = new ArrayList<>();
    for (int b = 0; b < 256; b++) {
      tokens.add(new byte[] {(byte) b});
    }
    List<int[]> seqs = new ArrayList<>();
    List<Long> freq = new ArrayList<>();
    words.forEach((w, f) -> {
      byte[] b = w.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      int[] s = new int[b.length];
      for (int i = 0; i < b.length; i++) {
        s[i] = b[i] & 0xFF;
      }
      seqs.add(s);
      freq.add(f);
    });
    List<int[]> out = new ArrayList<>();
    while (out.size() < merges) {
      java.util.Map<Long, Long> count = new java.util.HashMap<>();
      for (int w = 0; w < seqs.size(); w++) {
        int[] s = seqs.get(w);
        for (int i = 0; i + 1 < s.length; i++) {
          count.merge(((long) s[i] << 32) | s[i + 1], freq.get(w), Long::sum);
        }
      }
      long bestKey = -1, bestCount = 0;
      byte[] bestBytes = null;
      for (var e : count.entrySet()) {
        int l = (int) (e.getKey() >>> 32), r = (int) (long) e.getKey();
        byte[] m = concat(tokens.get(l), tokens.get(r));
        if (maxLen > 0 && m.length > maxLen) {
          continue;
        }
        int c = bestBytes == null ? -1 : Long.compare(e.getValue(), bestCount);
        if (c == 0) {
          c = -Arrays.compareUnsigned(m, bestBytes);
          if (c == 0) {
            c = -Integer.compare(l, (int) (bestKey >>> 32));
          }
        }
        if (bestBytes == null || c > 0) {
          bestKey = e.getKey();
          bestCount = e.getValue();
          bestBytes = m;
        }
      }
      if (bestBytes == null || bestCount < minFreq) {
        break;
      }
      int a = (int) (bestKey >>> 32), b = (int) bestKey, id = tokens.size();
      tokens.add(bestBytes);
      out.add(new int[] {a, b});
      for (int w = 0; w < seqs.size(); w++) {
        int[] s = seqs.get(w);
        IntListLike t = new IntListLike(s.length);
        for (int i = 0; i < s.length; i++) {
          if (i + 1 < s.length && s[i] == a && s[i + 1] == b) {
            t.add(id);
            i++;
          } else {
            t.add(s[i]);
          }
        }
        seqs.set(w, t.toArray());
      }
    }
    return out;
  }

  private static byte[] concat(byte[] x, byte[] y) {
    byte[] m = Arrays.copyOf(x, x.length + y.length);
    System.arraycopy(y, 0, m, x.length, y.length);
    return m;
  }

  private static final class IntListLike {
    final int[] a;
    int n;

    IntListLike(int cap) {
      a = new int[cap];
    }

    void add(int v) {
      a[n++] = v;
    }

    int[] toArray() {
      return Arrays.copyOf(a, n);
    }
  }

  @Property(tries = 40)
  void mergesAreTheTextbookAlgorithms(@ForAll @IntRange(min = 0, max = 100_000) int seed,
      @ForAll @IntRange(min = 0, max = 4) int maxLen, @ForAll @IntRange(min = 1, max = 3) int minFreq) {
    // few letters, long runs: overlapping pairs ("aaaa"), ties, and merges that meet at both ends
    java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
    List<String> docs = new ArrayList<>();
    for (int d = 0; d < 30; d++) {
      StringBuilder sb = new StringBuilder();
      int len = r.nextInt(1, 60);
      for (int i = 0; i < len; i++) {
        sb.append(r.nextInt(8) == 0 ? ' ' : "aab€c".charAt(r.nextInt(5)));
      }
      docs.add(sb.toString());
    }
    Tokenizer t = train(docs, 256 + 60, 1, "gpt2", maxLen, minFreq, List.of());
    List<int[]> expected = naiveMerges(docs, 60, minFreq, maxLen, "gpt2");
    int[][] got = t.model().merges();
    assertEquals(expected.size(), got.length, "seed " + seed);
    for (int i = 0; i < got.length; i++) {
      assertArrayEquals(expected.get(i), got[i], "merge " + i + ", seed " + seed);
    }
  }

  @Test
  void aMegabyteInOnePreTokenTrainsInTimeNearLinearInItsLength() {
    // DNA: letters only, so every pre-tokenizer keeps 1 MB as one piece. The old trainer rewrote
    // the whole piece for every merge (200 KB took 102 s); now a merge costs what it changes.
    java.util.SplittableRandom r = new java.util.SplittableRandom(7);
    StringBuilder dna = new StringBuilder();
    for (int i = 0; i < 1 << 20; i++) {
      dna.append("ACGT".charAt(r.nextInt(4)));
    }
    String oneMb = dna.toString(), quarter = oneMb.substring(0, 1 << 18);
    long t0 = System.nanoTime();
    Tokenizer small = train(List.of(quarter), 256 + 2000, 1, "o200k", 0, 2, List.of());
    long t1 = System.nanoTime();
    Tokenizer big = train(List.of(oneMb), 256 + 2000, 1, "o200k", 0, 2, List.of());
    long t2 = System.nanoTime();
    assertEquals(2000, small.model().merges().length);
    assertEquals(2000, big.model().merges().length);
    double seconds = (t2 - t1) / 1e9;
    // near-linear: 4× the input takes well under 16× (quadratic) the time, and seconds, not minutes
    assertTrue(seconds < 30, "1 MB in " + seconds + " s");
    assertTrue(seconds < 8 * Math.max(0.25, (t1 - t0) / 1e9), "1 MB " + seconds + " s, 256 KB "
        + (t1 - t0) / 1e9 + " s");
    // the same merges as the same bytes cut into 80-character lines would not be: but a cut
    // corpus of the same text must tokenize it back exactly
    assertEquals(oneMb, big.decode(big.encodeOrdinary(oneMb)));
  }
}
