package dev.mtk.search.index;

/**
 * The results of a batch of queries: for query q, {@code found(q)} hits best first at
 * {@code ids[q·k + i]} and {@code scores[q·k + i]}; through a funnel, {@code reranked[q]}
 * candidates of its first stage were rescored by the next (0 without a funnel).
 */
public record Hits(int queries, int k, long[] ids, float[] scores, int[] found, int[] reranked) {

  public Hits(int queries, int k, long[] ids, float[] scores, int[] found) {
    this(queries, k, ids, scores, found, new int[queries]);
  }

  /** The mean number of first-stage candidates rescored per query. */
  public double meanReranked() {
    long s = 0;
    for (int r : reranked) {
      s += r;
    }
    return queries == 0 ? 0 : (double) s / queries;
  }

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
