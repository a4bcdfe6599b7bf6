package dev.mtk.search.index;

import java.util.ArrayList;
import java.util.List;

/**
 * Adaptive retrieval over Matryoshka prefixes: a ladder of (dim, shortlist) stages. The first
 * stage scores every vector at its prefix, on the index's compact codes; each later stage rescores
 * the previous shortlist with exact floats at its own prefix; the final top-k is rescored with
 * exact floats at the query's dimension. Written {@code 16:1000,64:200}.
 */
public record Funnel(List<Stage> stages) {

  public record Stage(int dim, int shortlist) {}

  public Funnel {
    stages = List.copyOf(stages);
    if (stages.isEmpty()) {
      throw new IllegalArgumentException("a funnel needs at least one dim:shortlist stage");
    }
  }

  /** Parses {@code 16:1000,64:200}. */
  public static Funnel parse(String text) {
    List<Stage> stages = new ArrayList<>();
    for (String part : text.split(",")) {
      String[] dk = part.trim().split(":");
      if (dk.length != 2) {
        throw new IllegalArgumentException("funnel stage '" + part.trim()
            + "' is not dim:shortlist (for example 16:1000,64:200)");
      }
      try {
        stages.add(new Stage(Integer.parseInt(dk[0].trim()), Integer.parseInt(dk[1].trim())));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("funnel stage '" + part.trim()
            + "' is not two whole numbers dim:shortlist");
      }
    }
    return new Funnel(stages);
  }

  /** Checks the ladder against an index of dimension d, a query prefix m and k results. */
  public void check(int d, int m, int k) {
    int prevDim = 0;
    int prevShort = Integer.MAX_VALUE;
    for (Stage s : stages) {
      if (s.dim < 1 || s.dim > m) {
        throw new IllegalArgumentException("funnel stage " + s.dim + ":" + s.shortlist
            + ": its dim must be in 1.." + m + " (the query dimension" + (m < d ? ", the search prefix" : "") + ")");
      }
      if (s.dim <= prevDim) {
        throw new IllegalArgumentException("funnel dims must grow from stage to stage, got "
            + this);
      }
      if (s.shortlist < k) {
        throw new IllegalArgumentException("funnel stage " + s.dim + ":" + s.shortlist
            + " keeps fewer than the k = " + k + " results asked for");
      }
      if (s.shortlist > prevShort) {
        throw new IllegalArgumentException("funnel shortlists must not grow from stage to stage, got "
            + this);
      }
      prevDim = s.dim;
      prevShort = s.shortlist;
    }
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder();
    for (Stage s : stages) {
      b.append(b.isEmpty() ? "" : ",").append(s.dim).append(':').append(s.shortlist);
    }
    return b.toString();
  }
}
