package dev.mtk.training.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * User data for training: (anchor, positive) text pairs — a question and its answer, a query and
 * the passage it should retrieve. JSON Lines ({@code {"anchor": …, "positive": …}}, or
 * {@code "query"}/{@code "document"}) or TSV (anchor TAB positive; a first line
 * {@code anchor<TAB>positive} is taken as a header). Triplets add a hard negative: a
 * {@code "negative"} field, or a third TSV column; then every line must have one. Every problem
 * names the file and line.
 */
public final class TextPairs {

  /** One pair; {@code negative} is null unless the file holds triplets. */
  public record Pair(String anchor, String positive, String negative) {
    public Pair(String anchor, String positive) {
      this(anchor, positive, null);
    }
  }

  private TextPairs() {}

  public static List<Pair> read(Path file) throws IOException {
    List<Pair> out = new ArrayList<>();
    List<Integer> lines = new ArrayList<>();
    DataFile.read(file, "pairs", ".jsonl ({\"anchor\": …, \"positive\": …} per line) or .tsv "
        + "(anchor TAB positive)", line -> {
          String where = line.where();
          if (line.columns() != null) {
            String[] cols = line.columns();
            if (cols.length != 2 && cols.length != 3) {
              throw new IllegalArgumentException(where + "expected 2 tab-separated columns (anchor, "
                  + "positive) or 3 (anchor, positive, negative), found " + cols.length);
            }
            if (line.number() == 1 && cols[0].trim().equalsIgnoreCase("anchor")) {
              return;
            }
            out.add(pair(where, cols[0], cols[1], cols.length == 3 ? cols[2] : null));
          } else {
            JsonNode o = line.json();
            JsonNode a = o.has("anchor") ? o.get("anchor") : o.get("query");
            JsonNode p = o.has("positive") ? o.get("positive") : o.get("document");
            if (a == null || p == null || !a.isTextual() || !p.isTextual()) {
              throw new IllegalArgumentException(where + "expected text fields \"anchor\" and "
                  + "\"positive\" (or \"query\" and \"document\")");
            }
            JsonNode n = o.get("negative");
            if (n != null && !n.isTextual()) {
              throw new IllegalArgumentException(where + "\"negative\" must be text");
            }
            out.add(pair(where, a.asText(), p.asText(), n == null ? null : n.asText()));
          }
          lines.add(line.number());
        });
    for (int i = 1; i < out.size(); i++) {
      if ((out.get(i).negative() == null) != (out.get(0).negative() == null)) {
        throw new IllegalArgumentException(file + ":" + lines.get(i) + ": " + (out.get(0).negative() == null
            ? "a negative, but line " + lines.get(0) + " has none" : "no negative, but line " + lines.get(0) + " has one")
            + ": give every line a negative (triplets) or none (pairs)");
      }
    }
    if (out.size() < 2) {
      throw new IllegalArgumentException(file + ": " + out.size() + " pair(s); training needs "
          + "more (in-batch negatives come from the other pairs)");
    }
    return out;
  }

  private static Pair pair(String where, String anchor, String positive, String negative) {
    if (anchor.isBlank() || positive.isBlank() || (negative != null && negative.isBlank())) {
      throw new IllegalArgumentException(where + "empty anchor, positive or negative");
    }
    return new Pair(anchor.strip(), positive.strip(), negative == null ? null : negative.strip());
  }
}
