package dev.mtk.training.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A user data file, one example per line: JSON Lines ({@code .jsonl}, {@code .json}) or
 * tab-separated ({@code .tsv}), chosen by the extension. Blank lines are skipped; every line
 * reaches the handler with its "file:line: " prefix for error messages, parsed as a JSON object
 * or split into columns.
 */
public final class DataFile {

  /** One non-blank line: exactly one of {@code json} and {@code columns} is set. */
  public record Line(String where, int number, JsonNode json, String[] columns) {}

  @FunctionalInterface
  public interface Handler {
    void line(Line line);
  }

  private static final ObjectMapper JSON = dev.mtk.tokenizers.text.formats.TextSources.JSON;

  private DataFile() {}

  /**
   * Reads {@code file}; {@code what} names its content in errors ("pairs"), {@code formats}
   * describes the two layouts for the message that refuses other extensions.
   */
  public static void read(Path file, String what, String formats, Handler handler) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "no such " + what + " file");
    }
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    boolean tsv = name.endsWith(".tsv");
    if (!tsv && !name.endsWith(".jsonl") && !name.endsWith(".json")) {
      throw new IllegalArgumentException(file + ": " + what + " come as " + formats);
    }
    try (var r = dev.mtk.tokenizers.text.formats.TextSources.lines(file)) {
      String text;
      int no = 0;
      while ((text = r.next()) != null) {
        no++;
        if (text.isBlank()) {
          continue;
        }
        String where = file + ":" + no + ": ";
        if (tsv) {
          handler.line(new Line(where, no, null, text.split("\t", -1)));
          continue;
        }
        JsonNode o;
        try {
          o = JSON.readTree(text);
        } catch (IOException e) {
          throw new IllegalArgumentException(where + "not valid JSON");
        }
        if (o == null || !o.isObject()) {
          throw new IllegalArgumentException(where + "expected a JSON object");
        }
        handler.line(new Line(where, no, o, null));
      }
    }
  }
}
