package dev.mtk.training.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Spearman against hand-worked values and the textbook no-ties formula; the three file formats. */
class SimilarityTest {

  @Test
  void spearmanWithTiesByHand() {
    // ranks x: 1, 2.5, 2.5, 4; y: 1, 3, 2, 4 → cov 4.5, var 4.5 and 5 → 4.5 / √22.5
    assertEquals(4.5 / Math.sqrt(22.5), Similarity.spearman(new double[] {1, 2, 2, 3},
        new double[] {1, 3, 2, 4}), 1e-12);
    assertEquals(-1.0, Similarity.spearman(new double[] {1, 2, 3}, new double[] {9, 5, 1}), 1e-12);
  }

  @Test
  void spearmanWithoutTiesIsTheTextbookFormula() {
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(3);
    int n = 50;
    double[] x = new double[n], y = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = rnd.nextDouble();
      y[i] = x[i] + rnd.nextDouble();
    }
    double[] rx = Similarity.ranks(x), ry = Similarity.ranks(y);
    double d2 = 0;
    for (int i = 0; i < n; i++) {
      d2 += (rx[i] - ry[i]) * (rx[i] - ry[i]);
    }
    assertEquals(1 - 6 * d2 / (n * ((double) n * n - 1)), Similarity.spearman(x, y), 1e-12);
  }

  @Test
  void readsJsonlTsvWithHeaderAndCsvWithQuotes(@TempDir Path dir) throws Exception {
    Path j = Files.writeString(dir.resolve("s.jsonl"), """
        {"sentence1": "a cat", "sentence2": "a dog", "score": 1.5}
        {"sentence1": "x", "sentence2": "y", "label": 4}
        {"sentence1": "p", "sentence2": "q", "score": 0}
        """);
    assertEquals(List.of(new Similarity.Pair("a cat", "a dog", 1.5), new Similarity.Pair("x", "y", 4),
        new Similarity.Pair("p", "q", 0)), Similarity.read(j));
    Path t = Files.writeString(dir.resolve("s.tsv"), "genre\tscore\tsentence1\tsentence2\nnews\t5.0\tA b.\tC d.\n"
        + "news\t1\te\tf\nnews\t2\tg\th\n");
    assertEquals(new Similarity.Pair("A b.", "C d.", 5.0), Similarity.read(t).get(0));
    Path c = Files.writeString(dir.resolve("s.csv"), "\"one, two\",\"say \"\"hi\"\"\",3\na,b,1\nc,d,2\n");
    assertEquals(new Similarity.Pair("one, two", "say \"hi\"", 3), Similarity.read(c).get(0));
    Path bad = Files.writeString(dir.resolve("b.tsv"), "a\tb\t1\nc\td\tlots\ne\tf\t2\n");
    var e = assertThrows(IllegalArgumentException.class, () -> Similarity.read(bad));
    assertTrue(e.getMessage().contains("b.tsv:2") && e.getMessage().contains("lots"), e.getMessage());
  }

  /**
   * The built-in WordNet set: every pair's sentences come from synsets of the asked split only (a
   * model trained on the training split saw neither), each grade is what WordNet says of the two
   * synsets, and the same split gives the same pairs.
   */
  @Test
  void wordNetPairsStayInTheirSplitAndAreGradedByTheGraph() {
    var synsets = dev.mtk.training.data.WordNet.load();
    var split = dev.mtk.training.task.ReverseDictionary.Split.TEST;
    java.util.Map<String, dev.mtk.training.data.WordNet.Synset> byDefinition = new java.util.HashMap<>();
    java.util.Set<String> elsewhere = new java.util.HashSet<>();
    for (var s : synsets) {
      if (dev.mtk.training.task.ReverseDictionary.split(s.id()) == split) {
        byDefinition.putIfAbsent(s.definition(), s);
      } else {
        elsewhere.add(s.definition());
        elsewhere.addAll(s.examples());
      }
    }
    List<Similarity.Pair> pairs = WordNetSimilarity.pairs(synsets, split, 1);
    assertEquals(pairs, WordNetSimilarity.pairs(synsets, split, 1));
    int[] perGrade = new int[5];
    for (Similarity.Pair p : pairs) {
      assertFalse(elsewhere.contains(p.first()) || elsewhere.contains(p.second()), "seen in training: " + p);
      var a = byDefinition.get(p.first());
      perGrade[(int) p.score()]++;
      if (p.score() == 4) {
        assertTrue(a.examples().contains(p.second()), p.toString());
        continue;
      }
      var b = byDefinition.get(p.second());
      if (p.score() == 3) {
        assertTrue(a.hypernyms().contains(b.id()), p.toString());
      } else if (p.score() == 2) {
        assertTrue(a.hypernyms().stream().anyMatch(b.hypernyms()::contains), p.toString());
      } else {
        assertEquals(p.score() == 1, a.lexFile() == b.lexFile(), p.toString());
      }
    }
    for (int g = 0; g < 5; g++) {
      assertTrue(perGrade[g] >= 150, "grade " + g + ": " + perGrade[g]);
    }
  }
}
