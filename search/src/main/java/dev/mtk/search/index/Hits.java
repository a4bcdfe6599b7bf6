package dev.mtk.search.index;

/**
 * The results of a batch of queries: for query q, {@code found(q)} hits best first at
 * {@code ids[q·k + i]} and {@code scores[q·k + i]}.
 */
public record Hits(int queries, int k, long[] ids, float[] scores, int[] found) {

  public int found(int q) {
    return found[q];
  }

  public long id(int q, int i) {
    return ids[q * k + i];
  }

  public float score(int q, int i) {
    return scores[q * k + i];
  }
}
