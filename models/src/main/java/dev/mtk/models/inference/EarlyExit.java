package dev.mtk.models.inference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mtk.core.io.AtomicFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Early exit for embeddings without a task head, as calibrated on a dev split and saved beside
 * the model (early_exit.json): an input stops after layer l ≥ 2 once the cosine between its
 * embeddings after layers l − 1 and l reaches one threshold shared by every layer
 * ({@link ExitRule#stable}). The file keeps the whole curve of operating points measured on dev,
 * so that a caller picks its own quality loss without recalibrating.
 *
 * @param metric what the points score (e.g. "recall@10" of the task)
 * @param full that metric at full depth on the same rows
 * @param points from the most to the least conservative threshold
 */
public record EarlyExit(String task, String split, String metric, double full, int layers, List<Point> points) {

  public static final String FILE = "early_exit.json";
  /** Points kept at most (a file with more is refused before anything is allocated for them). */
  static final int MAX_POINTS = 10_000;

  /**
   * One threshold: the metric with early exit, its loss relative to full depth (0.01 = 1%), and
   * the mean layer the inputs stopped at.
   */
  public record Point(float threshold, double value, double relativeLoss, double expectedLayers) {}

  public EarlyExit {
    points = List.copyOf(points);
  }

  /**
   * The threshold with the fewest expected layers whose relative loss on dev is at most
   * {@code maxLoss} (a fraction: 0.01 is 1%); null when none is (then nothing may exit).
   */
  public Point choose(double maxLoss) {
    if (!(maxLoss >= 0)) {
      throw new IllegalArgumentException("the allowed loss must be 0 or more, got " + maxLoss);
    }
    Point best = null;
    for (Point p : points) {
      if (p.relativeLoss <= maxLoss + 1e-12 && (best == null || p.expectedLayers < best.expectedLayers)) {
        best = p;
      }
    }
    return best;
  }

  /** The rule of the chosen point (one that never exits when no point is within the loss). */
  public ExitRule rule(double maxLoss) {
    Point p = choose(maxLoss);
    float[] t = new float[layers];
    java.util.Arrays.fill(t, p == null ? Float.NaN : p.threshold);
    return ExitRule.stable(t);
  }

  public void save(Path modelDir) throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode o = json.createObjectNode();
    o.put("rule", "stable: stop after layer l >= 2 when cos(embedding after l - 1, after l) >= threshold");
    o.put("task", task);
    o.put("split", split);
    o.put("metric", metric);
    o.put("full", full);
    o.put("layers", layers);
    var arr = o.putArray("points");
    for (Point p : points) {
      ObjectNode n = arr.addObject();
      n.put("threshold", p.threshold);
      n.put(metric, p.value);
      n.put("relative_loss", p.relativeLoss);
      n.put("expected_layers", p.expectedLayers);
    }
    AtomicFile.write(modelDir.resolve(FILE), json.writerWithDefaultPrettyPrinter().writeValueAsBytes(o));
  }

  /** The early exit saved in a model directory, or null when it has none. */
  public static EarlyExit load(Path modelDir) throws IOException {
    Path f = modelDir.resolve(FILE);
    if (!Files.isRegularFile(f)) {
      return null;
    }
    JsonNode o;
    try {
      o = new ObjectMapper().readTree(f.toFile());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(f + ": not valid JSON (" + e.getOriginalMessage() + ")");
    }
    String metric = o.path("metric").asText("");
    int layers = o.path("layers").asInt(-1);
    JsonNode ps = o.path("points");
    if (metric.isEmpty() || layers < 2 || layers > 1024 || !ps.isArray() || ps.size() > MAX_POINTS) {
      throw new IllegalArgumentException(f + ": needs fields metric, layers (2 … 1024) and points (at most "
          + MAX_POINTS + ")");
    }
    List<Point> points = new ArrayList<>();
    for (int i = 0; i < ps.size(); i++) {
      JsonNode p = ps.get(i);
      for (String field : new String[] {"threshold", metric, "relative_loss", "expected_layers"}) {
        if (!p.path(field).isNumber()) {
          throw new IllegalArgumentException(f + ": points[" + i + "]." + field + " must be a number");
        }
      }
      points.add(new Point((float) p.get("threshold").asDouble(), p.get(metric).asDouble(),
          p.get("relative_loss").asDouble(), p.get("expected_layers").asDouble()));
    }
    return new EarlyExit(o.path("task").asText(""), o.path("split").asText(""), metric,
        o.path("full").asDouble(), layers, points);
  }
}
