package dev.mtk.cli;

import dev.mtk.tokenizers.text.formats.Encodings;
import dev.mtk.tokenizers.text.formats.HuggingFaceJson;
import dev.mtk.tokenizers.text.formats.TextSources;
import dev.mtk.tokenizers.text.Tokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Shared checks for command inputs, so every command fails the same clear way. */
final class Inputs {

  /**
   * JSON for output lines: UTF-8 as is, emoji included (not as \\uD83D\\uDC4D escapes). A method,
   * not a constant, so that a command that prints no JSON does not wait for Jackson to start.
   */
  static com.fasterxml.jackson.databind.ObjectMapper json() {
    return TextSources.JSON;
  }

  private Inputs() {}

  /** Prints one JSON object of key, value pairs, keys in the order given. */
  static void printJson(Object... keyValues) throws IOException {
    var o = new java.util.LinkedHashMap<String, Object>();
    for (int i = 0; i < keyValues.length; i += 2) {
      o.put((String) keyValues[i], keyValues[i + 1]);
    }
    System.out.println(json().writeValueAsString(o));
  }

  static void mustExist(List<Path> files) {
    for (Path p : files) {
      if (!Files.isRegularFile(p)) {
        throw new IllegalArgumentException(p + ": no such file");
      }
    }
  }

  /** Every text of a JSON Lines ({"text": …}) or plain text file, in order. */
  /**
   * Whether {@code input} is texts for model {@code m}: always for a text model; for a dual
   * encoder (an audio tower with a text tower) when it is JSON Lines {"text": …} — a folder, a
   * clip or a list of paths is clips.
   */
  static boolean isTexts(dev.mtk.models.inference.EmbeddingModel m, Path input) throws IOException {
    return m.imageFormat() == null
        || (m.textTower() != null && Files.isRegularFile(input) && dev.mtk.tokenizers.text.formats.TextSources.isJsonLines(input));
  }

  static List<String> texts(Path file) throws IOException {
    return dev.mtk.tokenizers.text.formats.TextSources.readAll(List.of(file));
  }

  /** An optional option that must be at least 1 when given; 0 stands for "not given". */
  static int positive(Integer value, String option) {
    if (value == null) {
      return 0;
    }
    if (value < 1) {
      throw new IllegalArgumentException(option + " must be at least 1, got " + value);
    }
    return value;
  }

  /** The tokenizer named by --encoding or --tokenizer (exactly one of them). */
  static Tokenizer tokenizer(String encoding, Path file) {
    if ((encoding == null) == (file == null)) {
      throw new IllegalArgumentException("give exactly one of --encoding (cl100k_base, o200k_base) "
          + "or --tokenizer FILE");
    }
    if (encoding != null) {
      return Encodings.get(encoding);
    }
    mustExist(List.of(file));
    try {
      return HuggingFaceJson.load(file);
    } catch (IOException e) {
      throw new UncheckedIOException(file + ": " + e.getMessage(), e);
    }
  }
}
