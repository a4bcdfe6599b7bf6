package dev.mtk.search.index;

import java.util.Locale;

/**
 * The compact copy of the vectors that a scan reads. The float32 vectors are always stored as
 * well: they give exact scores to a funnel's later stages and to prefix queries.
 */
public enum Precision {
  /** the floats themselves: 4 bytes per dimension */
  F32("f32"),
  /** one signed byte per dimension, per-dimension ranges calibrated on the data */
  INT8("int8"),
  /** one sign bit per dimension, compared by Hamming distance */
  BINARY("binary");

  private final String id;

  Precision(String id) {
    this.id = id;
  }

  public String id() {
    return id;
  }

  /** Bytes a scan reads per vector at a prefix of m dimensions. */
  public long bytesPerVector(int m) {
    return switch (this) {
      case F32 -> 4L * m;
      case INT8 -> m;
      case BINARY -> 8L * ((m + 63) / 64);
    };
  }

  public static Precision parse(String s) {
    for (Precision p : values()) {
      if (p.id.equals(s.trim().toLowerCase(Locale.ROOT))) {
        return p;
      }
    }
    throw new IllegalArgumentException("unknown precision '" + s + "': use f32, int8 or binary");
  }
}
