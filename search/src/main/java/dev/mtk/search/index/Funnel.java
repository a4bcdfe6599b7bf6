package dev.mtk.search.index;

import java.util.ArrayList;
import java.util.List;

/**
 * Adaptive retrieval over Matryoshka prefixes: a ladder of (dim, shortlist) stages. The first
 * stage scores every vector at its prefix, on the index's compact codes; each later stage rescores
 * the previous shortlist with exact floats at its own prefix; the final top-k is rescored with
 * exact floats at the query's dimension. Written {@code 16:1000,64:200}.
 *
 * <p>The first stage may be adaptive, {@code 32:1000~0.05}: of its best 1,000 it passes on only
 * those whose score is within 0.05 of its k-th best (at least k), so a query whose prefix scores
 * fall away quickly rescores fewer candidates. {@link FunnelCalibration} picks the bound and the
 * margin for a recall target ({@code --funnel auto:0.99}).
 */
public record Funnel(List<Stage> stages) {

  /** {@code margin} NaN: a fixed shortlist; else at most {@code shortlist}, cut by the margin. */
  public record Stage(int dim, int shortlist, float margin) {
    public Stage(int dim, int shortlist) {
      this(dim, shortlist, Float.NaN);
    }

    public boolean adaptive() {
      return !Float.isNaN(margin);
    }
  }

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
      String[] sm = dk[1].split("~", -1);
      try {
        float margin = sm.length == 2 ? Float.parseFloat(sm[1].trim()) : Float.NaN;
        if (sm.length > 2 || (sm.length == 2 && !(margin >= 0 && margin < Float.POSITIVE_INFINITY))) {
          throw new NumberFormatException();
        }
        stages.add(new Stage(Integer.parseInt(dk[0].trim()), Integer.parseInt(sm[0].trim()), margin));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("funnel stage '" + part.trim()
            + "' is not dim:shortlist (whole numbers) or dim:shortlist~margin (a margin ≥ 0)");
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
      if (s.adaptive() && s != stages.get(0)) {
        throw new IllegalArgumentException("only the first funnel stage may have a margin, got " + this);
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
      if (s.adaptive()) {
        b.append('~').append(s.margin);
      }
    }
    return b.toString();
  }
}
