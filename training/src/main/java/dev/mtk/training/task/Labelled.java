package dev.mtk.training.task;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mtk.training.data.DataFile;
import dev.mtk.training.data.WordNet;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Text classification: each example is one text and its class. Built in: WordNet definitions
 * labelled with their lexicographer file (45 coarse classes such as noun.animal, verb.motion),
 * split by synset like the reverse dictionary. User data: JSON Lines {@code {"text": …, "label":
 * …}} or TSV (text TAB label), split 90/5/5 by a hash of the text. Classes are numbered in sorted
 * order of their names, so the numbering does not depend on the file's order.
 */
public final class Labelled {

  public record Example(String text, int label) {}

  private final List<String> classes;
  private final Map<ReverseDictionary.Split, List<Example>> examples;

  private Labelled(List<String> classes, Map<ReverseDictionary.Split, List<Example>> examples) {
    this.classes = classes;
    this.examples = examples;
  }

  /** WordNet definitions → lexicographer file ("noun.animal" is written n.5 etc.: pos.number). */
  public static Labelled lexFiles(List<WordNet.Synset> synsets) {
    List<String[]> rows = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    for (WordNet.Synset s : synsets) {
      if (!s.definition().isBlank()) {
        rows.add(new String[] {s.definition(), s.pos() + "." + s.lexFile()});
        keys.add(s.id());
      }
    }
    return of(rows, keys);
  }

  /** User labelled text (.jsonl or .tsv); errors name the file and line. */
  public static Labelled read(Path file) throws IOException {
    List<String[]> rows = new ArrayList<>();
    DataFile.read(file, "labelled texts", ".jsonl ({\"text\": …, \"label\": …} per line) or .tsv "
        + "(text TAB label)", line -> {
          String where = line.where(), text, label;
          if (line.columns() != null) {
            String[] cols = line.columns();
            if (cols.length != 2) {
              throw new IllegalArgumentException(where + "expected 2 tab-separated columns (text, label), found " + cols.length);
            }
            if (line.number() == 1 && cols[0].trim().equalsIgnoreCase("text") && cols[1].trim().equalsIgnoreCase("label")) {
              return;
            }
            text = cols[0];
            label = cols[1];
          } else {
            JsonNode o = line.json();
            if (!o.path("text").isTextual() || !(o.path("label").isTextual() || o.path("label").isIntegralNumber())) {
              throw new IllegalArgumentException(where + "expected {\"text\": \"…\", \"label\": \"…\" or an integer}");
            }
            text = o.get("text").asText();
            label = o.get("label").asText();
          }
          if (text.isBlank() || label.isBlank()) {
            throw new IllegalArgumentException(where + "empty text or label");
          }
          rows.add(new String[] {text.strip(), label.strip()});
        });
    Labelled l = of(rows, rows.stream().map(x -> x[0]).toList());
    if (l.classes.size() < 2) {
      throw new IllegalArgumentException(file + ": " + l.classes.size() + " distinct label(s); "
          + "classification needs at least 2");
    }
    return l;
  }

  private static Labelled of(List<String[]> rows, List<String> splitKeys) {
    TreeSet<String> names = new TreeSet<>();
    rows.forEach(r -> names.add(r[1]));
    List<String> classes = List.copyOf(names);
    Map<String, Integer> index = new LinkedHashMap<>();
    for (String c : classes) {
      index.put(c, index.size());
    }
    Map<ReverseDictionary.Split, List<Example>> ex = new EnumMap<>(ReverseDictionary.Split.class);
    for (ReverseDictionary.Split s : ReverseDictionary.Split.values()) {
      ex.put(s, new ArrayList<>());
    }
    for (int i = 0; i < rows.size(); i++) {
      ex.get(ReverseDictionary.split(splitKeys.get(i))).add(new Example(rows.get(i)[0], index.get(rows.get(i)[1])));
    }
    return new Labelled(classes, ex);
  }

  public List<String> classes() {
    return classes;
  }

  public List<Example> examples(ReverseDictionary.Split split) {
    return examples.get(split);
  }
}
