package dev.mtk.tokenizers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The small JSON files beside a model's weights that say how inputs become its tokens (image.json,
 * audio.json): read whole, each error naming the file and the field.
 */
public final class FormatFile {

  private static final ObjectMapper JSON = new ObjectMapper();

  private FormatFile() {}

  /** The object in {@code f}, or null when there is no such file. */
  public static JsonNode read(Path f) throws IOException {
    if (!Files.isRegularFile(f)) {
      return null;
    }
    JsonNode o;
    try {
      o = JSON.readTree(f.toFile());
    } catch (IOException e) {
      throw new IllegalArgumentException(f + ": not valid JSON (" + e.getMessage().split("\n")[0] + ")");
    }
    if (o == null || !o.isObject()) {
      throw new IllegalArgumentException(f + ": expected a JSON object");
    }
    return o;
  }

  /** Refuses (naming the field) unless each key present — and each {@code required} one at all — is a whole number. */
  public static void wholeNumbers(JsonNode o, boolean required, String... keys) {
    for (String k : keys) {
      if ((required || o.has(k)) && !(o.path(k).isIntegralNumber() && o.path(k).canConvertToInt())) {
        throw new IllegalArgumentException("\"" + k + "\" must be a whole number");
      }
    }
  }
}
