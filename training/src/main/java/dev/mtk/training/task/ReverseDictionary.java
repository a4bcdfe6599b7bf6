package dev.mtk.training.task;

import dev.mtk.training.data.WordNet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reverse-dictionary task on WordNet: the query is a synset's definition, the answer its
 * lemmas ("a large natural stream of water" → "river"). Documents are the distinct lemma strings
 * (synsets with the same lemmas share one document), so a query is answered when that string is
 * retrieved. Split by synset, deterministically: a synset's id hashes to train (90%), dev (5%) or
 * test (5%), the same on every machine and run.
 *
 * <p>User data takes the same shape ({@link #fromPairs}): the anchor is the query, the positive
 * its answer, and pairs are split by a hash of the anchor text.
 */
public final class ReverseDictionary {

  public enum Split { TRAIN, DEV, TEST }

  /**
   * One query with the index of its answer in {@link #documents}, and a hard negative (a text that
   * must not be retrieved for it) when the data holds triplets, else null.
   */
  public record Example(String synset, String query, int document, String negative) {
    public Example(String synset, String query, int document) {
      this(synset, query, document, null);
    }
  }

  private final List<String> documents;
  private final Map<Split, List<Example>> examples;

  private ReverseDictionary(List<String> documents, Map<Split, List<Example>> examples) {
    this.documents = documents;
    this.examples = examples;
  }

  public static ReverseDictionary load() {
    return from(WordNet.load());
  }

  public static ReverseDictionary from(List<WordNet.Synset> synsets) {
    Map<String, Integer> docIndex = new LinkedHashMap<>();
    Map<Split, List<Example>> ex = new LinkedHashMap<>();
    for (Split s : Split.values()) {
      ex.put(s, new ArrayList<>());
    }
    for (WordNet.Synset s : synsets) {
      if (s.definition().isBlank() || s.lemmas().isEmpty()) {
        continue;
      }
      String doc = String.join(", ", s.lemmas());
      int d = docIndex.computeIfAbsent(doc, k -> docIndex.size());
      ex.get(split(s.id())).add(new Example(s.id(), s.definition(), d));
    }
    return new ReverseDictionary(List.copyOf(docIndex.keySet()), ex);
  }

  /**
   * WordNet's usage examples matched to their synset's definition: the query is an example
   * sentence ("the river was high"), the answer its definition; synsets without examples are
   * left out. Split by synset, like the reverse dictionary.
   */
  public static ReverseDictionary examplesToDefinitions(List<WordNet.Synset> synsets) {
    Map<String, Integer> docIndex = new LinkedHashMap<>();
    Map<Split, List<Example>> ex = new LinkedHashMap<>();
    for (Split s : Split.values()) {
      ex.put(s, new ArrayList<>());
    }
    for (WordNet.Synset s : synsets) {
      if (s.definition().isBlank() || s.examples().isEmpty()) {
        continue;
      }
      int d = docIndex.computeIfAbsent(s.definition(), k -> docIndex.size());
      for (String e : s.examples()) {
        if (!e.isBlank()) {
          ex.get(split(s.id())).add(new Example(s.id(), e, d));
        }
      }
    }
    return new ReverseDictionary(List.copyOf(docIndex.keySet()), ex);
  }

  /** (anchor, positive) pairs as a retrieval task: distinct positives are the documents. */
  public static ReverseDictionary fromPairs(List<dev.mtk.training.data.TextPairs.Pair> pairs) {
    Map<String, Integer> docIndex = new LinkedHashMap<>();
    Map<Split, List<Example>> ex = new LinkedHashMap<>();
    for (Split s : Split.values()) {
      ex.put(s, new ArrayList<>());
    }
    for (var p : pairs) {
      int d = docIndex.computeIfAbsent(p.positive(), k -> docIndex.size());
      ex.get(split(p.anchor())).add(new Example(p.anchor(), p.anchor(), d, p.negative()));
    }
    return new ReverseDictionary(List.copyOf(docIndex.keySet()), ex);
  }

  /** The split of a synset id (or any key): a fixed hash (FNV-1a), not String.hashCode. */
  public static Split split(String synsetId) {
    int h = 0x811C9DC5;
    for (int i = 0; i < synsetId.length(); i++) {
      h = (h ^ synsetId.charAt(i)) * 0x01000193;
    }
    int bucket = Math.floorMod(h, 100);
    return bucket < 90 ? Split.TRAIN : bucket < 95 ? Split.DEV : Split.TEST;
  }

  /** Every query of every split, then the documents: the text a tokenizer for the task learns from. */
  public List<String> allTexts() {
    List<String> texts = new ArrayList<>();
    for (Split s : Split.values()) {
      examples(s).forEach(e -> texts.add(e.query()));
    }
    texts.addAll(documents);
    return texts;
  }

  public List<String> documents() {
    return documents;
  }

  /** Whether the examples carry hard negatives (user triplets). */
  public boolean hasNegatives() {
    for (List<Example> l : examples.values()) {
      if (!l.isEmpty()) {
        return l.get(0).negative() != null;
      }
    }
    return false;
  }

  public List<Example> examples(Split split) {
    return examples.get(split);
  }
}
