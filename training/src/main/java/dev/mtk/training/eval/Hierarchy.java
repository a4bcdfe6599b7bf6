package dev.mtk.training.eval;

import dev.mtk.core.kernel.TopK;
import dev.mtk.core.kernel.Vectors;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.encoder.Encoder;
import dev.mtk.tokenizers.text.Tokenizer;
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
 * prefix of m dimensions (cosine, the prefix renormalised); the accuracy is reported per level
 * and per m, beside the majority-class rate.
 */
public final class Hierarchy {

  public static final int MID_DEPTH = 5;
  /** Reference definitions from the training split, the first this many in WordNet order. */
  static final int MAX_REFERENCE = 20_000;

  private Hierarchy() {}

  /** level → dim → accuracy, plus "majority class" rows. */
  public static Map<String, Map<String, Double>> knn(Encoder enc, Tokenizer tok,
      List<WordNet.Synset> synsets, int[] dims, int k, WorkerPool pool) {
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
      if (split == ReverseDictionary.Split.TRAIN && ref.size() < MAX_REFERENCE) {
        ref.add(s);
      } else if (split == ReverseDictionary.Split.TEST) {
        test.add(s);
      }
    }
    String[][] refLabels = labels(ref, byId), testLabels = labels(test, byId);
    int seq = enc.config().maxSeqLen(), width = enc.config().embeddingSize();
    float[] r = Embedder.embed(enc, pool, Trainer.tokenize(tok, ref.stream().map(WordNet.Synset::definition).toList(), seq, pool), 256);
    float[] q = Embedder.embed(enc, pool, Trainer.tokenize(tok, test.stream().map(WordNet.Synset::definition).toList(), seq, pool), 256);
    String[] levels = {"lexicographer file", "hypernym at depth " + MID_DEPTH};
    Map<String, Map<String, Double>> out = new LinkedHashMap<>();
    for (int lv = 0; lv < levels.length; lv++) {
      out.put("kNN@" + k + " " + levels[lv], new LinkedHashMap<>());
    }
    for (int m : dims) {
      float[] rp = RetrievalMetrics.prefix(r, ref.size(), width, m);
      float[] qp = RetrievalMetrics.prefix(q, test.size(), width, m);
      int[][] hits = new int[levels.length][test.size()];
      pool.forEach((test.size() + 255) / 256, t -> {
        TopK top = new TopK(k);
        int[] ids = new int[k];
        float[] sc = new float[k];
        for (int i = t * 256; i < Math.min(test.size(), (t + 1) * 256); i++) {
          for (int j = 0; j < ref.size(); j++) {
            top.offer(j, Vectors.dot(qp, i * m, rp, j * m, m));
          }
          int n = top.drainSorted(ids, sc);
          for (int lv = 0; lv < levels.length; lv++) {
            hits[lv][i] = vote(ids, n, refLabels[lv]).equals(testLabels[lv][i]) ? 1 : 0;
          }
        }
      });
      for (int lv = 0; lv < levels.length; lv++) {
        int c = 0;
        for (int h : hits[lv]) {
          c += h;
        }
        out.get("kNN@" + k + " " + levels[lv]).put(String.valueOf(m), c / (double) test.size());
      }
    }
    for (int lv = 0; lv < levels.length; lv++) {
      // the rate of always answering the most frequent training label
      Map<String, Integer> freq = new HashMap<>();
      for (String l : refLabels[lv]) {
        freq.merge(l, 1, Integer::sum);
      }
      String top = freq.entrySet().stream().max(Map.Entry.<String, Integer>comparingByValue()
          .thenComparing(Map.Entry.comparingByKey())).orElseThrow().getKey();
      int c = 0;
      for (String l : testLabels[lv]) {
        c += l.equals(top) ? 1 : 0;
      }
      Map<String, Double> row = new LinkedHashMap<>();
      for (int m : dims) {
        row.put(String.valueOf(m), c / (double) test.size());
      }
      out.put("majority class, " + levels[lv], row);
    }
    return out;
  }

  /** The most frequent label among the neighbours; ties go to the label of the nearer one. */
  static String vote(int[] ids, int n, String[] labels) {
    Map<String, Integer> count = new LinkedHashMap<>(); // insertion order = nearness
    for (int i = 0; i < n; i++) {
      count.merge(labels[ids[i]], 1, Integer::sum);
    }
    String best = null;
    int bestC = 0;
    for (var e : count.entrySet()) {
      if (e.getValue() > bestC) {
        best = e.getKey();
        bestC = e.getValue();
      }
    }
    return best == null ? "" : best;
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
