package dev.mtk.training.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtk.models.inference.EmbedOptions;
import dev.mtk.models.inference.EmbeddingModel;
import dev.mtk.models.inference.Embeddings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Semantic textual similarity, as STS benchmarks score it: the Spearman correlation between the
 * cosine of two sentences' embeddings and a human similarity score, at each Matryoshka prefix.
 */
public final class Similarity {

  private Similarity() {}

  /** Two sentences and how similar people judged them. */
  public record Pair(String first, String second, double score) {}

  /**
   * Reads (sentence1, sentence2, score) from JSONL ({"sentence1", "sentence2", "score"} per line;
   * "label" is taken for "score"), or TSV/CSV: a header naming the columns sentence1, sentence2
   * and score (other columns ignored, in any order), or no header and exactly those three columns.
   * Errors name the file and line.
   */
  public static List<Pair> read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(file + ": no such file");
    }
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    List<String> lines = Files.readAllLines(file);
    List<Pair> out = new ArrayList<>();
    if (name.endsWith(".jsonl") || name.endsWith(".json")) {
      ObjectMapper json = new ObjectMapper();
      for (int i = 0; i < lines.size(); i++) {
        if (lines.get(i).isBlank()) {
          continue;
        }
        JsonNode o;
        try {
          o = json.readTree(lines.get(i));
        } catch (IOException e) {
          throw new IllegalArgumentException(file + ":" + (i + 1) + ": not valid JSON");
        }
        JsonNode score = o == null || !o.isObject() ? null : o.has("score") ? o.get("score") : o.get("label");
        if (score == null || !o.path("sentence1").isTextual() || !o.path("sentence2").isTextual()
            || !score.isNumber()) {
          throw new IllegalArgumentException(file + ":" + (i + 1)
              + ": expected {\"sentence1\": …, \"sentence2\": …, \"score\": number}");
        }
        out.add(new Pair(o.get("sentence1").asText(), o.get("sentence2").asText(), score.asDouble()));
      }
    } else {
      char sep = name.endsWith(".csv") ? ',' : '\t';
      int[] cols = {0, 1, 2};
      int first = 0;
      if (!lines.isEmpty()) {
        List<String> head = split(lines.get(0), sep);
        int a = head.indexOf("sentence1"), b = head.indexOf("sentence2"), c = head.indexOf("score");
        if (a >= 0 && b >= 0 && c >= 0) {
          cols = new int[] {a, b, c};
          first = 1;
        }
      }
      for (int i = first; i < lines.size(); i++) {
        if (lines.get(i).isBlank()) {
          continue;
        }
        List<String> f = split(lines.get(i), sep);
        int need = Math.max(cols[0], Math.max(cols[1], cols[2]));
        if (f.size() <= need || (first == 0 && f.size() != 3)) {
          throw new IllegalArgumentException(file + ":" + (i + 1) + ": expected " + (first == 0
              ? "3 columns (sentence1, sentence2, score)" : "the header's columns") + ", got " + f.size());
        }
        double score;
        try {
          score = Double.parseDouble(f.get(cols[2]).trim());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(file + ":" + (i + 1) + ": score '" + f.get(cols[2]) + "' is not a number");
        }
        out.add(new Pair(f.get(cols[0]), f.get(cols[1]), score));
      }
    }
    if (out.size() < 3) {
      throw new IllegalArgumentException(file + ": " + out.size() + " pairs; a correlation needs at least 3");
    }
    return out;
  }

  /** One line of CSV (double-quoted fields, "" inside quotes) or TSV (no quoting). */
  static List<String> split(String line, char sep) {
    List<String> out = new ArrayList<>();
    if (sep == '\t') {
      out.addAll(Arrays.asList(line.split("\t", -1)));
      return out;
    }
    StringBuilder b = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          b.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          b.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == sep) {
        out.add(b.toString());
        b.setLength(0);
      } else {
        b.append(c);
      }
    }
    out.add(b.toString());
    return out;
  }

  /** Spearman's rank correlation: the Pearson correlation of the ranks, ties given their mean rank. */
  public static double spearman(double[] x, double[] y) {
    if (x.length != y.length || x.length < 2) {
      throw new IllegalArgumentException("two series of the same length ≥ 2 are needed");
    }
    double[] rx = ranks(x), ry = ranks(y);
    double mx = 0, my = 0;
    for (int i = 0; i < rx.length; i++) {
      mx += rx[i];
      my += ry[i];
    }
    mx /= rx.length;
    my /= ry.length;
    double sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < rx.length; i++) {
      sxy += (rx[i] - mx) * (ry[i] - my);
      sxx += (rx[i] - mx) * (rx[i] - mx);
      syy += (ry[i] - my) * (ry[i] - my);
    }
    return sxx == 0 || syy == 0 ? Double.NaN : sxy / Math.sqrt(sxx * syy);
  }

  static double[] ranks(double[] v) {
    Integer[] order = new Integer[v.length];
    for (int i = 0; i < v.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(v[a], v[b]));
    double[] r = new double[v.length];
    for (int i = 0; i < v.length; ) {
      int j = i;
      while (j + 1 < v.length && v[order[j + 1]] == v[order[i]]) {
        j++;
      }
      double mean = (i + j) / 2.0 + 1; // ranks count from 1
      for (int k = i; k <= j; k++) {
        r[order[k]] = mean;
      }
      i = j + 1;
    }
    return r;
  }

  /** Spearman of cosine against the scores at each prefix: "spearman" → (dim → ρ). */
  public static Map<String, Double> evaluate(EmbeddingModel model, List<Pair> pairs, int[] dims) {
    List<String> a = new ArrayList<>(), b = new ArrayList<>();
    double[] gold = new double[pairs.size()];
    for (int i = 0; i < pairs.size(); i++) {
      a.add(pairs.get(i).first());
      b.add(pairs.get(i).second());
      gold[i] = pairs.get(i).score();
    }
    Embeddings ea = model.embedTexts(a, EmbedOptions.EVALUATION);
    Embeddings eb = model.embedTexts(b, EmbedOptions.EVALUATION);
    int width = ea.dim();
    Map<String, Double> out = new LinkedHashMap<>();
    for (int m : dims) {
      float[] pa = Embeddings.normalizedPrefix(ea.vectors(), pairs.size(), width, m);
      float[] pb = Embeddings.normalizedPrefix(eb.vectors(), pairs.size(), width, m);
      double[] cos = new double[pairs.size()];
      for (int i = 0; i < cos.length; i++) {
        double s = 0;
        for (int j = 0; j < m; j++) {
          s += (double) pa[i * m + j] * pb[i * m + j];
        }
        cos[i] = s;
      }
      out.put(String.valueOf(m), spearman(cos, gold));
    }
    return out;
  }
}
