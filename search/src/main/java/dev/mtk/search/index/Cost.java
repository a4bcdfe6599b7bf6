package dev.mtk.search.index;

/**
 * What one query costs, counted from the plan rather than measured: vectors scored, bytes of
 * vectors and codes read (norms included), and arithmetic operations (a multiply-add is two,
 * int8 or float alike).
 */
public record Cost(long vectorsScored, long bytesRead, long flops) {

  /** The cost of one query over an index of n vectors at prefix m, with or without a funnel. */
  public static Cost of(int n, int m, Metric metric, Precision precision, Funnel funnel) {
    long norm = metric == Metric.IP ? 0 : 4;
    if (funnel == null) {
      return new Cost(n, n * (precision.bytesPerVector(m) + norm), 2L * n * m);
    }
    Funnel.Stage first = funnel.stages().get(0);
    long vectors = n, bytes = n * (precision.bytesPerVector(first.dim()) + norm);
    long flops = 2L * n * first.dim();
    long kept = Math.min(n, first.shortlist());
    for (int s = 1; s <= funnel.stages().size(); s++) {
      int dim = s < funnel.stages().size() ? funnel.stages().get(s).dim() : m;
      vectors += kept;
      bytes += kept * (4L * dim + norm);
      flops += 2L * kept * dim;
      if (s < funnel.stages().size()) {
        kept = Math.min(kept, funnel.stages().get(s).shortlist());
      }
    }
    return new Cost(vectors, bytes, flops);
  }
}
