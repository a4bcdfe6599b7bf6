package dev.mtk.training.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * User data for training: (anchor, positive) text pairs — a question and its answer, a query and
 * the passage it should retrieve. JSON Lines ({@code {"anchor": …, "positive": …}}, or
 * {@code "query"}/{@code "document"}) or TSV (anchor TAB positive; a first line
 * {@code anchor<TAB>positive} is taken as a header). Every problem names the file and line.
 * Triplets with a {@code "negative"} are refused for now: the loss uses in-batch negatives only.
 */
public final class TextPairs {

  public record Pair(String anchor, String positive) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private TextPairs() {}

  public static List<Pair> read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "no such pairs file");
    }
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    boolean tsv = name.endsWith(".tsv");
    if (!tsv && !name.endsWith(".jsonl") && !name.endsWith(".json")) {
      throw new IllegalArgumentException(file + ": pairs come as .jsonl ({\"anchor\": …, "
          + "\"positive\": …} per line) or .tsv (anchor TAB positive)");
    }
    List<Pair> out = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int no = 0;
      while ((line = r.readLine()) != null) {
        no++;
        if (line.isBlank()) {
          continue;
        }
        String where = file + ":" + no + ": ";
        if (tsv) {
          String[] cols = line.split("\t", -1);
          if (cols.length != 2) {
            throw new IllegalArgumentException(where + "expected 2 tab-separated columns (anchor, "
                + "positive), found " + cols.length);
          }
          if (no == 1 && cols[0].trim().equalsIgnoreCase("anchor")) {
            continue;
          }
          out.add(pair(where, cols[0], cols[1]));
        } else {
          JsonNode o;
          try {
            o = JSON.readTree(line);
          } catch (IOException e) {
            throw new IllegalArgumentException(where + "not valid JSON");
          }
          if (o == null || !o.isObject()) {
            throw new IllegalArgumentException(where + "expected a JSON object");
          }
          if (o.has("negative")) {
            throw new IllegalArgumentException(where + "triplets (\"negative\") are not supported "
                + "yet: training uses in-batch negatives; drop the field");
          }
          JsonNode a = o.has("anchor") ? o.get("anchor") : o.get("query");
          JsonNode p = o.has("positive") ? o.get("positive") : o.get("document");
          if (a == null || p == null || !a.isTextual() || !p.isTextual()) {
            throw new IllegalArgumentException(where + "expected text fields \"anchor\" and "
                + "\"positive\" (or \"query\" and \"document\")");
          }
          out.add(pair(where, a.asText(), p.asText()));
        }
      }
    }
    if (out.size() < 2) {
      throw new IllegalArgumentException(file + ": " + out.size() + " pair(s); training needs "
          + "more (in-batch negatives come from the other pairs)");
    }
    return out;
  }

  private static Pair pair(String where, String anchor, String positive) {
    if (anchor.isBlank() || positive.isBlank()) {
      throw new IllegalArgumentException(where + "empty anchor or positive");
    }
    return new Pair(anchor.strip(), positive.strip());
  }
}
