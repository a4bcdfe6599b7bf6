package dev.mtk.training.eval;

import dev.mtk.core.kernel.Gemm;
import dev.mtk.core.kernel.TopK;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.inference.Embeddings;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Retrieval quality at one Matryoshka prefix size: queries and documents are cut to their first m
 * dimensions and renormalised, every document is scored by dot product (exact search, blocked
 * through GEMM), and each query's single relevant document is looked up in the top 10. Recall@1,
 * recall@10, MRR@10 and nDCG@10 (one relevant document: 1 / log2(rank + 1)) are averaged over
 * queries. Ties go to the lower document index.
 */
public final class RetrievalMetrics {

  private RetrievalMetrics() {}

  /**
   * @param queries [q, width] embeddings, @param docs [n, width], @param relevant the document of
   * each query; returns metric → value.
   */
  public static Map<String, Double> evaluate(WorkerPool pool, float[] queries, int q, float[] docs,
      int n, int width, int m, int[] relevant) {
    float[] qs = Embeddings.normalizedPrefix(queries, q, width, m);
    float[] ds = Embeddings.normalizedPrefix(docs, n, width, m);
    int block = 256;
    double r1 = 0, r10 = 0, mrr = 0, ndcg = 0;
    float[] scores = new float[block * n];
    int[] ids = new int[10];
    float[] top = new float[10];
    TopK heap = new TopK(10);
    for (int q0 = 0; q0 < q; q0 += block) {
      int rows = Math.min(block, q - q0);
      Gemm.sgemm(pool, false, true, rows, n, m, 1f, qs, q0 * m, m, ds, 0, m, 0f, scores, 0, n);
      for (int r = 0; r < rows; r++) {
        heap.clear();
        for (int j = 0; j < n; j++) {
          float s = scores[r * n + j];
          if (s >= heap.threshold()) {
            heap.offer(j, s);
          }
        }
        int k = heap.drainSorted(ids, top);
        for (int rank = 0; rank < k; rank++) {
          if (ids[rank] == relevant[q0 + r]) {
            if (rank == 0) {
              r1++;
            }
            r10++;
            mrr += 1.0 / (rank + 1);
            ndcg += 1.0 / (Math.log(rank + 2) / Math.log(2));
            break;
          }
        }
      }
    }
    Map<String, Double> out = new LinkedHashMap<>();
    out.put("recall@1", r1 / q);
    out.put("recall@10", r10 / q);
    out.put("mrr@10", mrr / q);
    out.put("ndcg@10", ndcg / q);
    return out;
  }

  /** metric → (dim → value) over several prefix sizes. */
  public static Map<String, Map<String, Double>> byDim(WorkerPool pool, float[] queries, int q,
      float[] docs, int n, int width, int[] dims, int[] relevant) {
    Map<String, Map<String, Double>> out = new LinkedHashMap<>();
    for (int m : dims) {
      evaluate(pool, queries, q, docs, n, width, m, relevant)
          .forEach((metric, v) -> out.computeIfAbsent(metric, k -> new LinkedHashMap<>()).put(String.valueOf(m), v));
    }
    return out;
  }
}
