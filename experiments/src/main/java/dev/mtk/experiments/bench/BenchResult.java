package dev.mtk.experiments.bench;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One benchmark's measurements, in the order they were put: printed as one JSON line (numbers
 * to three decimals) or as one line for people.
 */
public final class BenchResult {

  private final Map<String, Object> values = new LinkedHashMap<>();

  public BenchResult(String bench) {
    values.put("bench", bench);
  }

  public BenchResult put(String key, Object value) {
    values.put(key, value);
    return this;
  }

  public String json() {
    StringBuilder sb = new StringBuilder("{");
    values.forEach((k, v) -> {
      if (sb.length() > 1) {
        sb.append(", ");
      }
      sb.append('"').append(k).append("\": ");
      if (v instanceof String s) {
        sb.append('"').append(s.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
      } else if (v instanceof Double d) {
        sb.append(String.format(Locale.ROOT, "%.3f", d));
      } else {
        sb.append(v);
      }
    });
    return sb.append('}').toString();
  }

  /** {@code bench gemm: n 1024, threads 2, gflops 230.1, …}. */
  public String line() {
    StringBuilder sb = new StringBuilder("bench ").append(values.get("bench")).append(':');
    String[] sep = {" "};
    values.forEach((k, v) -> {
      if (!k.equals("bench")) {
        sb.append(sep[0]).append(k.replace('_', ' ')).append(' ')
            .append(v instanceof Double d ? String.format(Locale.ROOT, d >= 100 ? "%,.0f" : "%.3f", d) : v);
        sep[0] = ", ";
      }
    });
    return sb.toString();
  }
}
