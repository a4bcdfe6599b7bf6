package dev.mtk.tokenizers.text.formats;

import dev.mtk.tokenizers.text.Tokenizer;
import dev.mtk.tokenizers.text.SpecialTokenException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtk.core.io.AtomicFile;
import dev.mtk.core.parallel.WorkerPool;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * JSON Lines of texts to JSON Lines of token ids and back, one output line per input line, in
 * order, written atomically; errors name the file and line ({@code mtk tokenizer encode|decode}).
 */
public final class IdsFiles {

  /** What a special-token string in the text becomes. */
  public enum Special {
    /** An error (tiktoken's default). */
    NONE,
    /** Its id. */
    ALL,
    /** Its characters, as ordinary text. */
    ORDINARY;

    public static Special parse(String s) {
      return switch (s) {
        case "none" -> NONE;
        case "all" -> ALL;
        case "ordinary" -> ORDINARY;
        default -> throw new IllegalArgumentException("special must be none, all or ordinary, got '" + s + "'");
      };
    }
  }

  public record Counts(long lines, long tokens) {}

  private static final ObjectMapper JSON = TextSources.JSON;

  private IdsFiles() {}

  /** {"text": …} (or plain text) lines in, {"ids": […]} lines out, one per line (blank: no ids). */
  public static Counts encode(Tokenizer t, Path input, Path output, Special special, WorkerPool pool)
      throws IOException {
    Set<String> allowed = special == Special.ALL ? Set.copyOf(t.specialTokens().keySet()) : Set.of();
    long[] counts = new long[2];
    // one text per line (a blank JSON line is an empty text), so text i of a batch is line firstLine + i
    try (TextSources.Reader in = TextSources.openEveryLine(input)) {
      AtomicFile.write(output, out -> {
        List<String> texts = new ArrayList<>();
        long lineNo = 0;
        while (true) {
          texts.clear();
          long firstLine = lineNo + 1;
          while (texts.size() < 8192 && in.hasNext()) {
            lineNo++;
            texts.add(in.next());
          }
          if (texts.isEmpty()) {
            break;
          }
          List<int[]> ids;
          try {
            ids = special == Special.ORDINARY ? t.encodeOrdinaryBatch(texts, Integer.MAX_VALUE, pool)
                : t.encodeBatch(texts, allowed, pool);
          } catch (SpecialTokenException e) {
            long at = firstLine + texts.indexOf(texts.stream().filter(s -> s.contains(e.token())).findFirst().orElse(""));
            throw new TextSources.InputException(input, at, "contains the special token "
                + e.token() + "; allow special tokens (all) or encode them as text (ordinary)");
          }
          StringBuilder sb = new StringBuilder();
          for (int[] a : ids) {
            sb.setLength(0);
            sb.append("{\"ids\": [");
            for (int i = 0; i < a.length; i++) {
              sb.append(i > 0 ? ", " : "").append(a[i]);
            }
            sb.append("]}\n");
            out.write(sb.toString().getBytes(StandardCharsets.US_ASCII));
            counts[1] += a.length;
          }
          counts[0] += texts.size();
        }
      });
    }
    return new Counts(counts[0], counts[1]);
  }

  /** {"ids": […]} lines in, {"text": …} lines out; returns the lines decoded. */
  public static long decode(Tokenizer t, Path input, Path output) throws IOException {
    long[] lines = {0};
    try (TextSources.Lines in = TextSources.lines(input)) {
      AtomicFile.write(output, out -> {
        String line;
        while ((line = in.next()) != null) {
          lines[0]++;
          JsonNode node;
          try {
            node = JSON.readTree(line);
          } catch (IOException e) {
            throw new TextSources.InputException(input, lines[0], "not valid JSON");
          }
          JsonNode ids = node == null ? null : node.get("ids");
          if (ids == null || !ids.isArray()) {
            throw new TextSources.InputException(input, lines[0], "expected {\"ids\": [...]}");
          }
          int[] a = new int[ids.size()];
          for (int i = 0; i < a.length; i++) {
            if (!ids.get(i).isIntegralNumber() || !ids.get(i).canConvertToInt()) {
              throw new TextSources.InputException(input, lines[0], "ids[" + i + "] is "
                  + ids.get(i) + ", not a whole number");
            }
            a[i] = ids.get(i).asInt();
          }
          String text;
          try {
            text = t.decode(a);
          } catch (IllegalArgumentException e) {
            throw new TextSources.InputException(input, lines[0], e.getMessage());
          }
          out.write(JSON.writeValueAsBytes(Map.of("text", text)));
          out.write('\n');
        }
      });
    }
    return lines[0];
  }
}
