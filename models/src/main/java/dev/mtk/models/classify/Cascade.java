package dev.mtk.models.classify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * When a classifier may stop at a prefix: the confidence it reads off the head's softmax and a
 * threshold per prefix (NaN: never stop there; the last prefix always answers). {@link
 * #calibrate} picks the thresholds on labelled rows (the dev split) for a stated goal — lose at
 * most {@code maxLossPoints} points of the full prefix's top-1 — at the least expected dims.
 *
 * @param dev what calibration measured on its rows (null for a cascade written by hand)
 */
public record Cascade(Confidence confidence, float[] thresholds, double maxLossPoints, Outcome dev) {

  /** How sure a head is: its top probability, or the gap between its top two. */
  public enum Confidence {
    MAX_PROB("max_prob"), MARGIN("margin");

    public final String id;

    Confidence(String id) {
      this.id = id;
    }

    float of(float top, float second) {
      return this == MAX_PROB ? top : top - second;
    }

    public static Confidence parse(String s) {
      for (Confidence c : values()) {
        if (c.id.equals(s) || c.id.replace('_', '-').equals(s)) {
          return c;
        }
      }
      throw new IllegalArgumentException("confidence must be max_prob or margin, got '" + s + "'");
    }
  }

  /** Top-1 and the mean prefix size spent, over labelled rows; {@code stops[k]}: rows stopped at k. */
  public record Outcome(int rows, double top1Full, double top1, double expectedDims, int[] stops) {}

  /** Candidate thresholds per prefix: this many quantiles of its confidences on the rows. */
  static final int CANDIDATES = 200;
  static final int ROUNDS = 3;

  public Cascade {
    thresholds = thresholds.clone();
    if (!(maxLossPoints >= 0)) {
      throw new IllegalArgumentException("the allowed loss must be 0 or more points, got " + maxLossPoints);
    }
  }

  boolean stops(int k, float conf) {
    return conf >= thresholds[k]; // NaN: never
  }

  /** Top-1 and expected dims of this cascade on a table of every prefix's predictions. */
  public Outcome evaluate(Classifier.Table t, int[] truth) {
    return evaluate(t, truth, confidence, thresholds);
  }

  static Outcome evaluate(Classifier.Table t, int[] truth, Confidence kind, float[] thr) {
    float[][] conf = t.confidence(kind);
    int[] dims = t.dims();
    int last = dims.length - 1, n = truth.length, hit = 0;
    long spent = 0;
    int[] stops = new int[dims.length];
    for (int i = 0; i < n; i++) {
      int k = 0;
      while (k < last && !(conf[k][i] >= thr[k])) {
        k++;
      }
      stops[k]++;
      spent += dims[k];
      hit += t.label()[k][i] == truth[i] ? 1 : 0;
    }
    return new Outcome(n, t.top1(last, truth), (double) hit / n, (double) spent / n, stops);
  }

  /**
   * The thresholds with the least expected dims whose top-1 on these rows is within {@code
   * maxLossPoints} (percentage points) of the full prefix's: first one threshold shared by all
   * prefixes, then each prefix's in turn (a few rounds of coordinate descent over quantiles of
   * its confidences). Deterministic: candidates are sorted, ties keep the earlier choice.
   */
  public static Cascade calibrate(Classifier.Table t, int[] truth, Confidence kind, double maxLossPoints) {
    if (truth.length != t.rows() || truth.length == 0) {
      throw new IllegalArgumentException("calibration needs a label per row: " + truth.length
          + " labels for " + t.rows() + " rows");
    }
    int k = t.dims().length;
    float[][] conf = t.confidence(kind);
    double goal = t.top1(k - 1, truth) - maxLossPoints / 100 - 1e-9;
    float[] best = new float[k];
    Arrays.fill(best, Float.NaN);
    Outcome bestOut = evaluate(t, truth, kind, best);
    float[][] cands = new float[k - 1][];
    float[] all = new float[(k - 1) * truth.length];
    for (int j = 0; j < k - 1; j++) {
      cands[j] = quantiles(conf[j], CANDIDATES);
      System.arraycopy(conf[j], 0, all, j * truth.length, truth.length);
    }
    float[] trial = best.clone();
    for (float c : quantiles(all, CANDIDATES)) {
      Arrays.fill(trial, 0, k - 1, c);
      Outcome o = evaluate(t, truth, kind, trial);
      if (o.top1 >= goal && better(o, bestOut)) {
        bestOut = o;
        best = trial.clone();
      }
    }
    for (int round = 0; round < ROUNDS; round++) {
      for (int j = 0; j < k - 1; j++) {
        trial = best.clone();
        for (int q = -1; q < cands[j].length; q++) {
          trial[j] = q < 0 ? Float.NaN : cands[j][q];
          Outcome o = evaluate(t, truth, kind, trial);
          if (o.top1 >= goal && better(o, bestOut)) {
            bestOut = o;
            best = trial.clone();
          }
        }
      }
    }
    return new Cascade(kind, best, maxLossPoints, bestOut);
  }

  private static boolean better(Outcome o, Outcome than) {
    return o.expectedDims < than.expectedDims - 1e-12
        || (Math.abs(o.expectedDims - than.expectedDims) <= 1e-12 && o.top1 > than.top1);
  }

  /** Up to {@code count} distinct values at evenly spaced ranks of the sorted values. */
  static float[] quantiles(float[] values, int count) {
    float[] s = values.clone();
    Arrays.sort(s);
    float[] out = new float[Math.min(count, s.length)];
    int n = 0;
    for (int q = 0; q < out.length; q++) {
      float v = s[(int) ((long) q * (s.length - 1) / Math.max(1, out.length - 1))];
      if (n == 0 || v != out[n - 1]) {
        out[n++] = v;
      }
    }
    return Arrays.copyOf(out, n);
  }

  /** As classifier.json holds it: confidence, thresholds (null: never stop), the goal, dev's outcome. */
  public ObjectNode toJson() {
    return toJson("expected_dims");
  }

  /**
   * As above, naming what the stages cost: "expected_dims" for prefixes, "expected_layers" for
   * an early exit over layers.
   */
  public ObjectNode toJson(String expectedKey) {
    ObjectMapper json = new ObjectMapper();
    ObjectNode o = json.createObjectNode();
    o.put("confidence", confidence.id);
    var t = o.putArray("thresholds");
    for (float v : thresholds) {
      if (Float.isNaN(v)) {
        t.addNull();
      } else {
        t.add(v);
      }
    }
    o.put("max_loss_points", maxLossPoints);
    if (dev != null) {
      ObjectNode d = o.putObject("dev");
      d.put("rows", dev.rows);
      d.put("top1_full", dev.top1Full);
      d.put("top1", dev.top1);
      d.put(expectedKey, dev.expectedDims);
      var s = d.putArray("stops");
      for (int v : dev.stops) {
        s.add(v);
      }
    }
    return o;
  }

  static Cascade fromJson(JsonNode o, int prefixes, Path file) {
    JsonNode t = o.path("thresholds");
    if (!t.isArray() || t.size() != prefixes) {
      throw new IllegalArgumentException(file + ": field cascade.thresholds must hold " + prefixes
          + " values (null: never stop there)");
    }
    float[] thr = new float[prefixes];
    for (int i = 0; i < prefixes; i++) {
      JsonNode v = t.get(i);
      if (!v.isNull() && !v.isNumber()) {
        throw new IllegalArgumentException(file + ": cascade.thresholds[" + i + "] must be a number or null, got " + v);
      }
      thr[i] = v.isNull() ? Float.NaN : (float) v.asDouble();
    }
    Outcome dev = null;
    JsonNode d = o.path("dev");
    if (d.isObject() && d.path("stops").isArray() && d.path("stops").size() == prefixes) {
      int[] stops = new int[prefixes];
      for (int i = 0; i < prefixes; i++) {
        stops[i] = d.path("stops").get(i).asInt();
      }
      dev = new Outcome(d.path("rows").asInt(), d.path("top1_full").asDouble(), d.path("top1").asDouble(),
          d.path(d.has("expected_dims") ? "expected_dims" : "expected_layers").asDouble(), stops);
    }
    return new Cascade(Confidence.parse(o.path("confidence").asText("max_prob")), thr,
        o.path("max_loss_points").asDouble(0), dev);
  }
}
