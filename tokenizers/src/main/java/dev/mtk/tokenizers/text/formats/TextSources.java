package dev.mtk.tokenizers.text.formats;

import dev.mtk.tokenizers.text.Utf8;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Documents from files, streamed line by line: plain text (one document per line) or JSON Lines
 * with a "text" field (files ending in .jsonl or .json). Invalid UTF-8 is decoded with U+FFFD and
 * counted, so the caller can warn; a line that is not valid JSON, or has no text, stops the read
 * with an {@link InputException} naming the file and line.
 */
public final class TextSources {

  private static final ObjectMapper JSON = new ObjectMapper();

  private TextSources() {}

  /** A bad line in an input file. */
  public static final class InputException extends IllegalArgumentException {
    public InputException(Path file, long line, String problem) {
      super(file + ":" + line + ": " + problem);
    }
  }

  /** Whether a file is read as JSON Lines. */
  public static boolean isJsonLines(Path file) {
    String n = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
    return n.endsWith(".jsonl") || n.endsWith(".json");
  }

  /** The "text" of a JSON line, or an error naming file and line. */
  public static String textOf(String line, Path file, long lineNo) {
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (IOException e) {
      throw new InputException(file, lineNo, "not valid JSON: " + firstLine(e.getMessage()));
    }
    if (node == null || !node.isObject() || !node.path("text").isTextual()) {
      throw new InputException(file, lineNo, "expected an object with a string field \"text\"");
    }
    return node.get("text").asText();
  }

  private static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /**
   * Every text of the files, in order, exactly one per line — a blank line of a JSON Lines file
   * is an empty text here (a row of its own for whoever embeds them), not skipped as
   * {@link #open} skips it.
   */
  public static List<String> readAll(List<Path> files) throws java.io.IOException {
    for (Path f : files) {
      if (java.nio.file.Files.isDirectory(f)) {
        throw new IllegalArgumentException(f + " is a directory, not a text or JSON Lines file");
      }
      if (!java.nio.file.Files.isRegularFile(f)) {
        throw new IllegalArgumentException(f + ": no such file");
      }
    }
    List<String> out = new java.util.ArrayList<>();
    try (Reader r = new Reader(files, true)) {
      while (r.hasNext()) {
        out.add(r.next());
      }
    }
    return out;
  }

  /**
   * Documents of several files in order, blank JSON Lines skipped (a corpus);
   * {@link Reader#invalidUtf8()} counts replacements.
   */
  public static Reader open(List<Path> files) {
    return new Reader(files, false);
  }

  /** Streams the documents; close it to release the current file. */
  public static final class Reader implements Iterator<String>, AutoCloseable {
    private final List<Path> files;
    private int fileIndex = -1;
    private InputStream in;
    private Path file;
    private long lineNo;
    private long invalid;
    private long bytes;
    private String next;
    private byte[] buf = new byte[1 << 12];

    private final boolean blankLinesAreTexts;

    private Reader(List<Path> files, boolean blankLinesAreTexts) {
      this.files = List.copyOf(files);
      this.blankLinesAreTexts = blankLinesAreTexts;
    }

    /** Invalid UTF-8 sequences replaced so far. */
    public long invalidUtf8() {
      return invalid;
    }

    /** Bytes read so far. */
    public long bytesRead() {
      return bytes;
    }

    @Override
    public boolean hasNext() {
      if (next != null) {
        return true;
      }
      try {
        while (true) {
          if (in == null) {
            if (++fileIndex >= files.size()) {
              return false;
            }
            file = files.get(fileIndex);
            in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
            lineNo = 0;
          }
          int len = readLine();
          if (len < 0) {
            in.close();
            in = null;
            continue;
          }
          lineNo++;
          String line = decode(len);
          if (lineNo == 1 && line.startsWith("\uFEFF")) {
            line = line.substring(1); // a UTF-8 byte order mark is not text
          }
          if (isJsonLines(file)) {
            if (line.isBlank()) {
              if (!blankLinesAreTexts) {
                continue;
              }
              next = "";
              return true;
            }
            next = textOf(line, file, lineNo);
          } else {
            next = line;
          }
          return true;
        }
      } catch (IOException e) {
        throw new UncheckedIOException(file + ": " + e.getMessage(), e);
      }
    }

    @Override
    public String next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      String s = next;
      next = null;
      return s;
    }

    /** Reads one line (without \n, and without a \r before it) into buf; -1 at end of file. */
    private int readLine() throws IOException {
      int n = 0;
      int c;
      boolean any = false;
      while ((c = in.read()) >= 0) {
        any = true;
        bytes++;
        if (c == '\n') {
          break;
        }
        if (n == buf.length) {
          buf = java.util.Arrays.copyOf(buf, buf.length * 2);
        }
        buf[n++] = (byte) c;
      }
      if (!any) {
        return -1;
      }
      if (n > 0 && buf[n - 1] == '\r') {
        n--;
      }
      return n;
    }

    private String decode(int len) {
      int i = 0;
      while (i < len) {
        int k = Utf8.validSequenceLength(buf, i);
        if (k <= 0 || i + k > len) {
          invalid++;
          i++;
        } else {
          i += k;
        }
      }
      return new String(buf, 0, len, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
      if (in != null) {
        try {
          in.close();
        } catch (IOException ignored) {
          // closing a file we only read
        }
        in = null;
      }
    }
  }
}
