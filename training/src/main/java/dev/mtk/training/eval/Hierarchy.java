package dev.mtk.training.eval;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.inference.EmbedOptions;
import dev.mtk.models.inference.EmbeddingModel;
import dev.mtk.models.inference.Embeddings;
import dev.mtk.training.data.WordNet;
import dev.mtk.training.task.ReverseDictionary;
import dev.mtk.training.train.Trainer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Does coarse information survive in short prefixes? Each WordNet synset has a label at two
 * levels: its lexicographer file (coarse: 45 classes such as noun.animal or verb.motion) and its
 * hypernym at depth 5 below its root (mid: hundreds of classes). A test-split
 * definition is classified by a majority vote of its k nearest training-split definitions at a
 * prefix of m dimensions (cosine, the prefix renormalised), and by a linear probe at the coarse
 * level; the accuracy is reported per level and per m, beside the majority-class rate.
 */
public final class Hierarchy {

  public static final int MID_DEPTH = 5;
  /** Reference definitions from the training split, at most this many, spread over it. */
  public static final int MAX_REFERENCE = 20_000;

  private Hierarchy() {}

  /** The two levels' names, as keys of the result maps. */
  public static final String LEXFILE = "lexfile", HYPERNYM = "hypernym" + MID_DEPTH;

  /**
   * Definitions to classify: reference ones (training split, at most {@link #MAX_REFERENCE}
   * spread evenly over it)
   * and test ones, with each level's label as a class number.
   */
  public record Levels(List<String> referenceTexts, List<String> testTexts, int[][] referenceLabels,
      int[][] testLabels, int[] classes) {}

  public static Levels levels(List<WordNet.Synset> synsets) {
    return levels(synsets, MAX_REFERENCE);
  }

  /** With at most {@code maxReference} reference definitions (fewer: faster, less accurate kNN). */
  public static Levels levels(List<WordNet.Synset> synsets, int maxReference) {
    Map<String, WordNet.Synset> byId = new HashMap<>();
    for (WordNet.Synset s : synsets) {
      byId.put(s.id(), s);
    }
    List<WordNet.Synset> ref = new ArrayList<>(), test = new ArrayList<>();
    for (WordNet.Synset s : synsets) {
      if (s.definition().isBlank()) {
        continue;
      }
      ReverseDictionary.Split split = ReverseDictionary.split(s.id());
      if (split == ReverseDictionary.Split.TRAIN) {
        ref.add(s);
      } else if (split == ReverseDictionary.Split.TEST) {
        test.add(s);
      }
    }
    ref = Classification.spread(ref, maxReference);
    String[][] refNames = labels(ref, byId), testNames = labels(test, byId);
    int[][] refLabels = new int[2][], testLabels = new int[2][];
    int[] classes = new int[2];
    for (int lv = 0; lv < 2; lv++) {
      // class numbers in sorted order of the names: the same on every run
      java.util.TreeSet<String> names = new java.util.TreeSet<>(List.of(refNames[lv]));
      names.addAll(List.of(testNames[lv]));
      Map<String, Integer> index = new HashMap<>();
      for (String n : names) {
        index.put(n, index.size());
      }
      refLabels[lv] = java.util.Arrays.stream(refNames[lv]).mapToInt(index::get).toArray();
      testLabels[lv] = java.util.Arrays.stream(testNames[lv]).mapToInt(index::get).toArray();
      classes[lv] = names.size();
    }
    return new Levels(ref.stream().map(WordNet.Synset::definition).toList(),
        test.stream().map(WordNet.Synset::definition).toList(), refLabels, testLabels, classes);
  }

  /** An encoder's embeddings of the reference and test definitions, at full width. */
  public static float[][] embed(EmbeddingModel model, Levels lv) {
    return new float[][] {
        model.embedTexts(lv.referenceTexts(), EmbedOptions.EVALUATION).vectors(),
        model.embedTexts(lv.testTexts(), EmbedOptions.EVALUATION).vectors()};
  }

  /**
   * metric → dim → accuracy: "knn_lexfile" and "knn_hypernym5" (kNN@k at each level) and, with
   * {@code probe}, "probe_lexfile" (a linear probe on the coarse level).
   */
  public static Map<String, Map<String, Double>> evaluate(WorkerPool pool, Levels lv, float[] ref,
      float[] test, int width, int[] dims, int k, boolean probe, long seed) {
    String[] names = {LEXFILE, HYPERNYM};
    Map<String, Map<String, Double>> out = new LinkedHashMap<>();
    for (String n : names) {
      out.put("knn_" + n, new LinkedHashMap<>());
    }
    if (probe) {
      out.put("probe_" + LEXFILE, new LinkedHashMap<>());
    }
    int nRef = lv.referenceTexts().size(), nTest = lv.testTexts().size();
    for (int m : dims) {
      float[] rp = Embeddings.normalizedPrefix(ref, nRef, width, m);
      float[] qp = Embeddings.normalizedPrefix(test, nTest, width, m);
      for (int l = 0; l < names.length; l++) {
        out.get("knn_" + names[l]).put(String.valueOf(m),
            Classification.knn(pool, rp, lv.referenceLabels()[l], qp, lv.testLabels()[l], m, k));
      }
      if (probe) {
        out.get("probe_" + LEXFILE).put(String.valueOf(m), Classification.linearProbe(pool, rp,
            lv.referenceLabels()[0], qp, lv.testLabels()[0], m, lv.classes()[0], seed));
      }
    }
    return out;
  }

  /** The accuracy of always answering the most frequent reference label, per level. */
  public static Map<String, Double> majority(Levels lv) {
    Map<String, Double> out = new LinkedHashMap<>();
    String[] names = {LEXFILE, HYPERNYM};
    for (int l = 0; l < names.length; l++) {
      int[] freq = new int[lv.classes()[l]];
      for (int c : lv.referenceLabels()[l]) {
        freq[c]++;
      }
      int top = 0;
      for (int c = 1; c < freq.length; c++) {
        top = freq[c] > freq[top] ? c : top;
      }
      int hit = 0;
      for (int c : lv.testLabels()[l]) {
        hit += c == top ? 1 : 0;
      }
      out.put(names[l], hit / (double) lv.testLabels()[l].length);
    }
    return out;
  }

  /** [level][synset]: the lexicographer file, and the hypernym at MID_DEPTH below the root. */
  static String[][] labels(List<WordNet.Synset> list, Map<String, WordNet.Synset> byId) {
    String[][] out = new String[2][list.size()];
    for (int i = 0; i < list.size(); i++) {
      WordNet.Synset s = list.get(i);
      out[0][i] = s.pos() + "." + s.lexFile();
      out[1][i] = ancestorAt(s, byId, MID_DEPTH);
    }
    return out;
  }

  /** Following first hypernyms up to the root; the synset on that chain at depth d (root = 0). */
  static String ancestorAt(WordNet.Synset s, Map<String, WordNet.Synset> byId, int d) {
    List<String> chain = new ArrayList<>();
    WordNet.Synset cur = s;
    while (cur != null && chain.size() < 64) { // WordNet's hypernym graph is acyclic; 64 guards anyway
      chain.add(cur.id());
      cur = cur.hypernyms().isEmpty() ? null : byId.get(cur.hypernyms().get(0));
    }
    return chain.size() > d ? chain.get(chain.size() - 1 - d) : s.id();
  }
}
