package dev.mtk.tokenizers.text;

import dev.mtk.tokenizers.text.bpe.BytePairModel;
import dev.mtk.tokenizers.text.bpe.IntList;
import dev.mtk.tokenizers.text.formats.Encodings;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** The fast BPE against the textbook algorithm: merge the lowest-ranked adjacent pair, repeat. */
class BytePairModelTest {

  /** A random vocabulary over a small alphabet, so that words merge a lot. */
  record Vocab(byte[][] tokens, int[][] merges) {}

  static Vocab randomVocab(SplittableRandom rnd, int extra) {
    List<byte[]> tokens = new ArrayList<>();
    for (int b = 0; b < 256; b++) {
      tokens.add(new byte[] {(byte) b});
    }
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < tokens.size(); i++) {
      seen.put(Arrays.toString(tokens.get(i)), i);
    }
    List<int[]> merges = new ArrayList<>();
    byte[] alphabet = "abcde ".getBytes();
    int tries = 0;
    while (merges.size() < extra && tries++ < extra * 50) {
      int left = pick(rnd, tokens, alphabet);
      int right = pick(rnd, tokens, alphabet);
      byte[] m = concat(tokens.get(left), tokens.get(right));
      if (seen.containsKey(Arrays.toString(m))) {
        continue;
      }
      seen.put(Arrays.toString(m), tokens.size());
      tokens.add(m);
      merges.add(new int[] {left, right});
    }
    return new Vocab(tokens.toArray(new byte[0][]), merges.toArray(new int[0][]));
  }

  static int pick(SplittableRandom rnd, List<byte[]> tokens, byte[] alphabet) {
    if (tokens.size() == 256 || rnd.nextInt(3) == 0) {
      return alphabet[rnd.nextInt(alphabet.length)] & 0xFF;
    }
    return 256 + rnd.nextInt(tokens.size() - 256);
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] m = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, m, a.length, b.length);
    return m;
  }

  /** tiktoken's algorithm, literally: whole piece first, then the rank of each concatenation. */
  static int[] naiveTiktoken(byte[][] tokens, byte[] piece) {
    Map<String, Integer> rank = new HashMap<>();
    for (int i = 0; i < tokens.length; i++) {
      rank.put(Arrays.toString(tokens[i]), i);
    }
    Integer whole = rank.get(Arrays.toString(piece));
    if (whole != null) {
      return new int[] {whole};
    }
    List<byte[]> parts = new ArrayList<>();
    for (byte b : piece) {
      parts.add(new byte[] {b});
    }
    while (true) {
      int best = -1, bestRank = Integer.MAX_VALUE;
      for (int i = 0; i + 1 < parts.size(); i++) {
        Integer r = rank.get(Arrays.toString(concat(parts.get(i), parts.get(i + 1))));
        if (r != null && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) {
        break;
      }
      parts.set(best, concat(parts.get(best), parts.remove(best + 1)));
    }
    return parts.stream().mapToInt(p -> rank.get(Arrays.toString(p))).toArray();
  }

  /** Hugging Face's BPE, literally: only listed merges, ranked by their line. */
  static int[] naiveMerges(byte[][] tokens, int[][] merges, byte[] piece) {
    Map<String, Integer> pairRank = new HashMap<>();
    for (int r = 0; r < merges.length; r++) {
      pairRank.putIfAbsent(merges[r][0] + "," + merges[r][1], r);
    }
    Map<String, Integer> id = new HashMap<>();
    for (int i = 0; i < tokens.length; i++) {
      id.put(Arrays.toString(tokens[i]), i);
    }
    List<Integer> parts = new ArrayList<>();
    for (byte b : piece) {
      parts.add(b & 0xFF);
    }
    while (true) {
      int best = -1, bestRank = Integer.MAX_VALUE;
      for (int i = 0; i + 1 < parts.size(); i++) {
        Integer r = pairRank.get(parts.get(i) + "," + parts.get(i + 1));
        if (r != null && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) {
        break;
      }
      byte[] m = concat(tokens[parts.get(best)], tokens[parts.get(best + 1)]);
      parts.set(best, id.get(Arrays.toString(m)));
      parts.remove(best + 1);
    }
    return parts.stream().mapToInt(Integer::intValue).toArray();
  }

  static byte[] randomPiece(SplittableRandom rnd, int maxLen) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int n = 1 + rnd.nextInt(maxLen);
    byte[] alphabet = "abcde ".getBytes();
    for (int i = 0; i < n; i++) {
      out.write(rnd.nextInt(20) == 0 ? rnd.nextInt(256) : alphabet[rnd.nextInt(alphabet.length)]);
    }
    return out.toByteArray();
  }

  // One scratch for all tries and models, so the piece cache is hit (repeats are common with a
  // five-letter alphabet) and switching models is exercised too.
  static final BytePairModel.Scratch SCRATCH = new BytePairModel.Scratch();

  static int[] fast(BytePairModel model, byte[] piece) {
    IntList out = new IntList();
    model.encode(piece, 0, piece.length, out, SCRATCH);
    int[] first = out.toArray();
    out.clear();
    model.encode(piece, 0, piece.length, out, SCRATCH); // now from the cache when short
    assertArrayEquals(first, out.toArray(), "cached result differs");
    return first;
  }

  @Property(tries = 200)
  void tiktokenSemanticsMatchTheNaiveAlgorithm(@ForAll long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    Vocab v = randomVocab(rnd, 1 + rnd.nextInt(300));
    BytePairModel model = BytePairModel.fromRanks(v.tokens(), new BitSet());
    for (int i = 0; i < 20; i++) {
      // lengths on both sides of the short/long switch (128 bytes)
      byte[] piece = randomPiece(rnd, rnd.nextInt(4) == 0 ? 400 : rnd.nextInt(2) == 0 ? 6 : 60);
      assertArrayEquals(naiveTiktoken(v.tokens(), piece), fast(model, piece));
    }
  }

  @Property(tries = 200)
  void mergesSemanticsMatchTheNaiveAlgorithm(@ForAll long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    Vocab v = randomVocab(rnd, 1 + rnd.nextInt(300));
    BytePairModel model = BytePairModel.fromMerges(v.tokens(), v.merges(), false, new BitSet());
    for (int i = 0; i < 20; i++) {
      byte[] piece = randomPiece(rnd, rnd.nextInt(4) == 0 ? 400 : rnd.nextInt(2) == 0 ? 6 : 60);
      assertArrayEquals(naiveMerges(v.tokens(), v.merges(), piece), fast(model, piece));
    }
  }

  @Test
  void noQuadraticBlowUp() {
    Tokenizer cl100k = Encodings.cl100kBase();
    Tokenizer o200k = Encodings.o200kBase();
    String letters = "a".repeat(1_000_000), carets = "^".repeat(1_000_000);
    for (Tokenizer t : List.of(cl100k, o200k)) {
      for (String s : List.of(letters, carets)) {
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
          int[] ids = t.encode(s);
          assertArrayEquals(s.getBytes(), t.decodeBytes(ids));
        });
      }
    }
  }
}
