package dev.mtk.tokenizers.text.bpe;

import dev.mtk.tokenizers.text.Tokenizer;
import dev.mtk.tokenizers.text.normalize.Normalizer;
import dev.mtk.tokenizers.text.pretokenize.PreTokenizer;
import dev.mtk.core.parallel.WorkerPool;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Trains a byte-level BPE tokenizer: counts the corpus's distinct pieces once (in parallel), then
 * merges pairs of tokens inside those counted words — never rescanning the corpus, never
 * recounting all pairs. A pair's count is kept up to date at the positions a merge changes; a
 * max-heap finds the next merge, with stale entries rechecked when they surface.
 *
 * <p>Ids: 0–255 are the bytes, 256… the merges in the order they were made, then the special
 * tokens. So vocab size = 256 + merges + specials.
 *
 * <p>Deterministic: the same corpus and settings give the same merges for any number of threads.
 * Ties between pairs of equal count go to the pair whose merged bytes sort first (unsigned,
 * lexicographic), then the lower left id.
 */
public final class BpeTrainer {

  /**
   * Settings. {@code maxTokenLength} bounds a token's bytes (0: no bound); {@code minFrequency}
   * stops training when the best pair occurs fewer times.
   */
  public record Config(int vocabSize, int minFrequency, List<String> specials,
      PreTokenizer preTokenizer, int maxTokenLength, Normalizer normalizer) {

    public Config {
      specials = List.copyOf(specials);
      if (vocabSize < 256 + specials.size()) {
        throw new IllegalArgumentException("vocab size " + vocabSize + " is too small: the 256 "
            + "byte tokens and " + specials.size() + " special tokens need at least "
            + (256 + specials.size()));
      }
      if (minFrequency < 1) {
        throw new IllegalArgumentException("min frequency must be at least 1, got " + minFrequency);
      }
      if (maxTokenLength < 0) {
        throw new IllegalArgumentException("max token length must be >= 0 (0: no limit)");
      }
      if (specials.stream().distinct().count() != specials.size()
          || specials.stream().anyMatch(String::isEmpty)) {
        throw new IllegalArgumentException("special tokens must be distinct and non-empty");
      }
    }
  }

  /** Told how far training got: a phase name, work done and total (total 0 if unknown). */
  @FunctionalInterface
  public interface Progress {
    void update(String phase, long done, long total);

    Progress NONE = (phase, done, total) -> {};
  }

  private BpeTrainer() {}

  /** Documents per parallel counting batch. */
  private static final int BATCH = 4096;

  public static Tokenizer train(Iterator<String> documents, Config config, WorkerPool pool,
      Progress progress) {
    Map<String, long[]> counts = countPieces(documents, config, pool, progress);
    // Words in a fixed order (by their bytes) so that everything after is independent of how
    // the counting was split.
    List<byte[]> words = new ArrayList<>(counts.size());
    List<Long> freq = new ArrayList<>(counts.size());
    counts.entrySet().stream()
        .map(e -> Map.entry(e.getKey().getBytes(StandardCharsets.UTF_8), e.getValue()[0]))
        .sorted((x, y) -> Arrays.compareUnsigned(x.getKey(), y.getKey()))
        .forEach(e -> {
          words.add(e.getKey());
          freq.add(e.getValue());
        });
    counts.clear();
    int merges = config.vocabSize() - 256 - config.specials().size();
    Merger m = new Merger(words, freq, config.maxTokenLength());
    m.run(merges, config.minFrequency(), progress);

    int vocab = 256 + m.mergeList.size() + config.specials().size();
    byte[][] tokens = new byte[vocab][];
    for (int i = 0; i < 256 + m.mergeList.size(); i++) {
      tokens[i] = m.tokens.get(i);
    }
    Map<String, Integer> specials = new LinkedHashMap<>();
    BitSet specialIds = new BitSet();
    int id = 256 + m.mergeList.size();
    for (String s : config.specials()) {
      tokens[id] = s.getBytes(StandardCharsets.UTF_8);
      specials.put(s, id);
      specialIds.set(id);
      id++;
    }
    BytePairModel model = BytePairModel.fromMerges(tokens, m.mergeList.toArray(new int[0][]),
        false, specialIds);
    return new Tokenizer(config.normalizer(), config.preTokenizer(), model, specials, null);
  }

  /** Distinct pieces → count, counted in parallel batches and added up (exact, order-free). */
  private static Map<String, long[]> countPieces(Iterator<String> documents, Config config,
      WorkerPool pool, Progress progress) {
    Map<String, long[]> total = new HashMap<>();
    List<String> batch = new ArrayList<>(BATCH * pool.threads());
    long docs = 0;
    while (true) {
      batch.clear();
      while (batch.size() < BATCH * pool.threads() && documents.hasNext()) {
        batch.add(documents.next());
      }
      if (batch.isEmpty()) {
        break;
      }
      int tasks = (batch.size() + BATCH - 1) / BATCH;
      @SuppressWarnings("unchecked")
      Map<String, long[]>[] local = new Map[tasks];
      pool.forEach(tasks, t -> {
        Map<String, long[]> map = new HashMap<>();
        int end = Math.min(batch.size(), (t + 1) * BATCH);
        for (int i = t * BATCH; i < end; i++) {
          String text = batch.get(i);
          if (config.normalizer() != null) {
            text = config.normalizer().apply(text);
          }
          String doc = text;
          config.preTokenizer().split(doc, 0, doc.length(),
              (s, e) -> map.computeIfAbsent(doc.substring(s, e), k -> new long[1])[0]++);
        }
        local[t] = map;
      });
      for (Map<String, long[]> map : local) {
        for (Map.Entry<String, long[]> e : map.entrySet()) {
          total.computeIfAbsent(e.getKey(), k -> new long[1])[0] += e.getValue()[0];
        }
      }
      docs += batch.size();
      progress.update("counting", docs, 0);
    }
    return total;
  }

  /**
   * The merge loop over counted words. All words' symbols sit in one array, each linked to its
   * neighbours (prev/next, -1 at a word's ends), and every pair keeps the positions where it
   * occurs. A merge visits only its own occurrences, left to right, and changes only the two pairs
   * beside each — so a merge costs what it changes, not the length of the words it touches (a
   * 1 MB pre-token trains as fast as the same bytes cut into lines).
   */
  private static final class Merger {
    final int[] sym, prev, next; // per position; sym -1 once merged into its left neighbour
    final long[] freqAt;         // the count of the word a position belongs to
    final int maxLen;
    final List<byte[]> tokens = new ArrayList<>();
    final List<int[]> mergeList = new ArrayList<>();
    final Map<Long, PairStat> pairs = new HashMap<>();
    final PriorityQueue<Entry> heap;
    final java.util.Set<Long> banned = new java.util.HashSet<>();

    static final class PairStat {
      long count;
      IntList where = new IntList(4); // left positions; some stale, checked when visited
    }

    record Entry(long count, int left, int right) {}

    Merger(List<byte[]> wordBytes, List<Long> counts, int maxLen) {
      this.maxLen = maxLen;
      for (int b = 0; b < 256; b++) {
        tokens.add(new byte[] {(byte) b});
      }
      int total = 0;
      for (byte[] w : wordBytes) {
        total = Math.addExact(total, w.length);
      }
      sym = new int[total];
      prev = new int[total];
      next = new int[total];
      freqAt = new long[total];
      int pos = 0;
      for (int w = 0; w < wordBytes.size(); w++) {
        byte[] b = wordBytes.get(w);
        long f = counts.get(w);
        for (int i = 0; i < b.length; i++, pos++) {
          sym[pos] = b[i] & 0xFF;
          prev[pos] = i == 0 ? -1 : pos - 1;
          next[pos] = i == b.length - 1 ? -1 : pos + 1;
          freqAt[pos] = f;
          if (i > 0) {
            PairStat p = pairs.computeIfAbsent(PairTable.key(sym[pos - 1], sym[pos]), k -> new PairStat());
            p.count += f;
            p.where.add(pos - 1);
          }
        }
      }
      heap = new PriorityQueue<>(this::compare);
      for (Map.Entry<Long, PairStat> e : pairs.entrySet()) {
        long k = e.getKey();
        heap.add(new Entry(e.getValue().count, (int) (k >>> 32), (int) k));
      }
    }

    /** Higher count first; then merged bytes in unsigned order; then the lower left id. */
    private int compare(Entry a, Entry b) {
      if (a.count != b.count) {
        return Long.compare(b.count, a.count);
      }
      int c = compareMerged(a.left, a.right, b.left, b.right);
      return c != 0 ? c : Integer.compare(a.left, b.left);
    }

    private int compareMerged(int l1, int r1, int l2, int r2) {
      byte[] a1 = tokens.get(l1), b1 = tokens.get(r1), a2 = tokens.get(l2), b2 = tokens.get(r2);
      int n1 = a1.length + b1.length, n2 = a2.length + b2.length;
      for (int i = 0; i < Math.min(n1, n2); i++) {
        int x = (i < a1.length ? a1[i] : b1[i - a1.length]) & 0xFF;
        int y = (i < a2.length ? a2[i] : b2[i - a2.length]) & 0xFF;
        if (x != y) {
          return Integer.compare(x, y);
        }
      }
      return Integer.compare(n1, n2);
    }

    void run(int wanted, int minFrequency, Progress progress) {
      while (mergeList.size() < wanted && !heap.isEmpty()) {
        Entry top = heap.poll();
        long key = PairTable.key(top.left, top.right);
        PairStat stat = pairs.get(key);
        if (banned.contains(key)) {
          continue;
        }
        if (stat == null || stat.count != top.count) {
          if (stat != null && stat.count > 0) {
            heap.add(new Entry(stat.count, top.left, top.right));
          }
          continue;
        }
        if (stat.count < minFrequency) {
          break;
        }
        byte[] merged = concat(tokens.get(top.left), tokens.get(top.right));
        if (maxLen > 0 && merged.length > maxLen) {
          banned.add(key); // too long ever to merge; its count still changes as words change
          continue;
        }
        int newId = tokens.size();
        tokens.add(merged);
        mergeList.add(new int[] {top.left, top.right});
        apply(top.left, top.right, newId, stat);
        if ((mergeList.size() & 63) == 0 || mergeList.size() == wanted) {
          progress.update("merging", mergeList.size(), wanted);
        }
      }
    }

    /**
     * Replaces every occurrence of (a, b) by newId, left to right within each word (so "aaa"
     * becomes "Xa" for (a, a)), moving the counts of the pairs on either side.
     */
    private void apply(int a, int b, int newId, PairStat stat) {
      int[] where = stat.where.toArray();
      Arrays.sort(where); // positions grow left to right within a word
      java.util.Set<Long> grown = new java.util.HashSet<>();
      for (int p : where) {
        int q = next[p];
        if (sym[p] != a || q < 0 || sym[q] != b) {
          continue; // stale: this occurrence was merged away or rewritten
        }
        long f = freqAt[p];
        int l = prev[p], r = next[q];
        stat.count -= f;
        if (l >= 0) {
          pairs.get(PairTable.key(sym[l], a)).count -= f;
          grown.add(add(sym[l], newId, l, f));
        }
        if (r >= 0) {
          pairs.get(PairTable.key(b, sym[r])).count -= f;
          grown.add(add(newId, sym[r], p, f));
        }
        sym[p] = newId;
        sym[q] = -1;
        next[p] = r;
        if (r >= 0) {
          prev[r] = p;
        }
      }
      pairs.remove(PairTable.key(a, b));
      for (long key : grown) {
        PairStat p = pairs.get(key);
        if (p != null && p.count > 0) {
          heap.add(new Entry(p.count, (int) (key >>> 32), (int) key));
        }
      }
    }

    private long add(int left, int right, int at, long f) {
      long key = PairTable.key(left, right);
      PairStat p = pairs.computeIfAbsent(key, x -> new PairStat());
      p.count += f;
      p.where.add(at);
      return key;
    }

    private static byte[] concat(byte[] x, byte[] y) {
      byte[] m = Arrays.copyOf(x, x.length + y.length);
      System.arraycopy(y, 0, m, x.length, y.length);
      return m;
    }
  }
}
