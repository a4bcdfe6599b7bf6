package dev.mtk.training.eval;

import dev.mtk.training.data.WordNet;
import dev.mtk.training.task.ReverseDictionary;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A sentence-similarity set built from WordNet's structure, for when no human-rated one is at
 * hand (none can be installed here): pairs of sentences about synsets of one split (every synset
 * of a pair in it, and no sentence that another split's synsets also hold, so a model trained on
 * the training split has seen neither side), graded by how
 * close WordNet puts their meanings.
 *
 * <pre>
 * 4  a definition and a usage example of the same synset
 * 3  a definition and the definition of its hypernym
 * 2  the definitions of two co-hyponyms (siblings under one hypernym)
 * 1  two definitions from one lexicographer file (noun.animal, verb.motion …), not kin as above
 * 0  two definitions from different lexicographer files
 * </pre>
 *
 * The grades are a lexicographer's graph, not people's judgements: Spearman against them measures
 * whether a model ranks related meanings above unrelated ones, coarser than STS-B's 0–5 ratings.
 * The pairs drawn are the same for a given split and seed.
 */
public final class WordNetSimilarity {

  /** Pairs per grade, at most (fewer when a split has fewer: parent and child both held out). */
  public static final int PER_GRADE = 300;

  private WordNetSimilarity() {}

  /** The set of a split: up to {@link #PER_GRADE} pairs of each grade, shuffled together. */
  public static List<Similarity.Pair> pairs(List<WordNet.Synset> synsets, ReverseDictionary.Split split,
      long seed) {
    // a text that other splits also hold (one gloss shared by two synsets) is left out with its
    // synset: held out means the sentence itself was never trained on
    Set<String> elsewhere = new HashSet<>();
    for (WordNet.Synset s : synsets) {
      if (ReverseDictionary.split(s.id()) != split) {
        elsewhere.add(s.definition());
        elsewhere.addAll(s.examples());
      }
    }
    List<WordNet.Synset> in = new ArrayList<>();
    Map<String, WordNet.Synset> byId = new HashMap<>();
    for (WordNet.Synset s : synsets) {
      if (ReverseDictionary.split(s.id()) == split && !elsewhere.contains(s.definition())
          && s.examples().stream().noneMatch(elsewhere::contains)) {
        in.add(s);
        byId.put(s.id(), s);
      }
    }
    SplittableRandom rnd = new SplittableRandom(seed ^ 0x57_5357L);
    List<Similarity.Pair> out = new ArrayList<>();

    List<Similarity.Pair> own = new ArrayList<>();
    for (WordNet.Synset s : in) {
      if (!s.examples().isEmpty()) {
        own.add(new Similarity.Pair(s.definition(), s.examples().get(0), 4));
      }
    }
    out.addAll(sample(own, rnd));

    List<Similarity.Pair> parent = new ArrayList<>();
    Map<String, List<WordNet.Synset>> children = new java.util.TreeMap<>();
    for (WordNet.Synset s : in) {
      for (String h : s.hypernyms()) {
        WordNet.Synset p = byId.get(h);
        if (p != null) {
          parent.add(new Similarity.Pair(s.definition(), p.definition(), 3));
        }
        children.computeIfAbsent(h, k -> new ArrayList<>()).add(s);
      }
    }
    out.addAll(sample(parent, rnd));

    List<Similarity.Pair> siblings = new ArrayList<>();
    for (List<WordNet.Synset> kids : children.values()) {
      for (int i = 0; i + 1 < kids.size(); i += 2) {
        siblings.add(new Similarity.Pair(kids.get(i).definition(), kids.get(i + 1).definition(), 2));
      }
    }
    out.addAll(sample(siblings, rnd));

    List<Similarity.Pair> sameFile = new ArrayList<>(), otherFile = new ArrayList<>();
    for (int tries = 0; tries < 100 * PER_GRADE && (sameFile.size() < PER_GRADE
        || otherFile.size() < PER_GRADE); tries++) {
      WordNet.Synset a = in.get(rnd.nextInt(in.size())), b = in.get(rnd.nextInt(in.size()));
      if (a == b || kin(a, b)) {
        continue;
      }
      List<Similarity.Pair> into = a.lexFile() == b.lexFile() ? sameFile : otherFile;
      if (into.size() < PER_GRADE) {
        into.add(new Similarity.Pair(a.definition(), b.definition(), a.lexFile() == b.lexFile() ? 1 : 0));
      }
    }
    out.addAll(sameFile);
    out.addAll(otherFile);
    Collections.shuffle(out, new java.util.Random(rnd.nextLong()));
    return out;
  }

  /** Parent and child, or two children of one hypernym. */
  private static boolean kin(WordNet.Synset a, WordNet.Synset b) {
    if (a.hypernyms().contains(b.id()) || b.hypernyms().contains(a.id())) {
      return true;
    }
    Set<String> ha = new HashSet<>(a.hypernyms());
    return b.hypernyms().stream().anyMatch(ha::contains);
  }

  private static List<Similarity.Pair> sample(List<Similarity.Pair> all, SplittableRandom rnd) {
    List<Similarity.Pair> copy = new ArrayList<>(all);
    for (int i = copy.size() - 1; i > 0; i--) {
      Collections.swap(copy, i, rnd.nextInt(i + 1));
    }
    return copy.subList(0, Math.min(PER_GRADE, copy.size()));
  }
}
