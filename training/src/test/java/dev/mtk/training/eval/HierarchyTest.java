package dev.mtk.training.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.mtk.training.data.WordNet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HierarchyTest {

  static WordNet.Synset s(String id, String... hypernyms) {
    return new WordNet.Synset(id, 'n', 3, List.of(id), "def " + id, List.of(), List.of(hypernyms));
  }

  @Test
  void ancestorsCountFromTheRootAlongFirstHypernyms() {
    // entity ← object ← whole ← living thing ← organism ← animal ← dog
    Map<String, WordNet.Synset> byId = new java.util.HashMap<>();
    String[] chain = {"entity", "object", "whole", "living", "organism", "animal", "dog"};
    for (int i = 0; i < chain.length; i++) {
      byId.put(chain[i], i == 0 ? s(chain[i]) : s(chain[i], chain[i - 1], "other"));
    }
    assertEquals("entity", Hierarchy.ancestorAt(byId.get("dog"), byId, 0));
    assertEquals("whole", Hierarchy.ancestorAt(byId.get("dog"), byId, 2));
    assertEquals("animal", Hierarchy.ancestorAt(byId.get("dog"), byId, 5));
    assertEquals("object", Hierarchy.ancestorAt(byId.get("object"), byId, 5), "shallower: itself");
    String[][] labels = Hierarchy.labels(List.of(byId.get("dog")), byId);
    assertEquals("n.3", labels[0][0]);
    assertEquals("animal", labels[1][0]);
  }

  @Test
  void votesAreMajoritiesWithTiesToTheNearer() {
    int[] labels = {0, 1, 0, 2, 1};
    assertEquals(0, Classification.vote(new int[] {0, 1, 2}, 3, labels));
    assertEquals(1, Classification.vote(new int[] {1, 0, 3}, 3, labels), "one each: the nearest");
    assertEquals(1, Classification.vote(new int[] {3, 1, 4, 0}, 4, labels));
    assertEquals(0, Classification.vote(new int[] {0, 1, 4, 2, 3}, 2, labels), "only the first n count");
  }

  @Test
  void referenceSetsAreSpreadOverTheWholeList() {
    List<Integer> items = java.util.stream.IntStream.range(0, 10).boxed().toList();
    assertEquals(List.of(0, 4, 8), Classification.spread(items, 3));
    assertEquals(items, Classification.spread(items, 10));
    // WordNet's training split starts with thousands of nouns: the reference set must not
    var lv = Hierarchy.levels(WordNet.load(), 2000);
    assertEquals(2000, lv.referenceTexts().size(), 50);
    long distinct = java.util.Arrays.stream(lv.referenceLabels()[0]).distinct().count();
    assertEquals(true, distinct > 40, distinct + " lexicographer files among the references");
  }
}
