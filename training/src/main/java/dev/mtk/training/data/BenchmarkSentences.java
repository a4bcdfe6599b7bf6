package dev.mtk.training.data;

import java.util.ArrayList;
import java.util.List;

/**
 * Real English sentences of realistic length for embedding benchmarks, the same on every machine:
 * WordNet 3.1 glosses (a definition, then its examples) taken at an even stride through the
 * synsets; one in twenty is eight consecutive glosses joined, so a benchmark also pays for long
 * inputs (100+ word pieces) as real traffic does.
 */
public final class BenchmarkSentences {

  private BenchmarkSentences() {}

  /** {@code count} sentences (at most one per synset). */
  public static List<String> of(int count) {
    List<WordNet.Synset> all = WordNet.load();
    if (count < 1 || count > all.size() / 8) {
      throw new IllegalArgumentException("count must be in 1.." + all.size() / 8 + ", got " + count);
    }
    int stride = all.size() / count;
    List<String> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int at = i * stride;
      if (i % 20 == 19) {
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < 8; k++) {
          b.append(k == 0 ? "" : " ").append(all.get(at + k).gloss());
        }
        out.add(b.toString());
      } else {
        out.add(all.get(at).gloss());
      }
    }
    return out;
  }
}
