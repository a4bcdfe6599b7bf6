package dev.mtk.training.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WordNetTest {

  @Test
  void parsesTheFourDataFiles() {
    List<WordNet.Synset> all = WordNet.load();
    // WordNet 3.1 has 117,791 synsets (wnstats(7)); the parse must keep every one
    assertEquals(117_791, all.size());
    Map<String, WordNet.Synset> byId = new HashMap<>();
    all.forEach(s -> byId.put(s.id(), s));
    WordNet.Synset entity = byId.get("n00001740");
    assertEquals(List.of("entity"), entity.lemmas());
    assertEquals(3, entity.lexFile());
    assertTrue(entity.hypernyms().isEmpty());
    WordNet.Synset physical = byId.get("n00001930");
    assertEquals(List.of("n00001740"), physical.hypernyms());
    assertEquals("an entity that has physical existence", physical.definition());
    // every hypernym pointer lands on a synset
    for (WordNet.Synset s : all) {
      for (String h : s.hypernyms()) {
        assertTrue(byId.containsKey(h), s.id() + " → " + h);
      }
    }
  }

  @Test
  void splitsDefinitionFromExamples() {
    WordNet.Synset s = WordNet.parse("00003828 00 s 01 parturient 0 002 & 00003356 a 0000 "
        + "+ 14071923 n 0101 | giving birth; \"a parturient heifer\"  ", 'a');
    assertEquals("giving birth", s.definition());
    assertEquals(List.of("a parturient heifer"), s.examples());
    assertEquals("a00003828", s.id());
    WordNet.Synset adj = WordNet.parse("01234567 00 s 01 galore(ip) 0 000 | in great numbers", 'a');
    assertEquals(List.of("galore"), adj.lemmas());
  }
}
