package dev.mtk.search.index;

import java.util.Locale;

/**
 * How a query is compared with a stored vector, at a prefix of m dimensions. Scores are reported
 * as FAISS reports them: inner product and cosine higher is better, L2 the squared distance,
 * lower is better.
 */
public enum Metric {
  /** q_m · x_m */
  IP("ip"),
  /** q_m · x_m / (|q_m| |x_m|): both prefixes renormalised, as a Matryoshka prefix is used */
  COSINE("cosine"),
  /** |q_m − x_m|² */
  L2("l2");

  private final String id;

  Metric(String id) {
    this.id = id;
  }

  public String id() {
    return id;
  }

  public static Metric parse(String s) {
    for (Metric m : values()) {
      if (m.id.equals(s.trim().toLowerCase(Locale.ROOT))) {
        return m;
      }
    }
    throw new IllegalArgumentException("unknown metric '" + s + "': use ip, cosine or l2");
  }
}
