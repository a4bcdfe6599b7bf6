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
 * with a "text" field (files ending in .jsonl or .json), read as strict UTF-8 ({@link #lines}); a
 * line that is not UTF-8 or not valid JSON, or has no text, stops the read with an
 * {@link InputException} naming the file and line.
 */
public final class TextSources {

  /**
   * Strings as long as a line: the line is in memory already (and {@link Lines} bounds it), so
   * Jackson's default 20 MB string cap would only refuse a long text with a parser's message.
   */
  public static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder(
      com.fasterxml.jackson.core.JsonFactory.builder().streamReadConstraints(
          com.fasterxml.jackson.core.StreamReadConstraints.builder()
              .maxStringLength(Integer.MAX_VALUE).build()).build())
      .enable(com.fasterxml.jackson.core.json.JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
      .build();

  /** The longest line read: longer ones are refused before their bytes are held. */
  static final int MAX_LINE_BYTES = 1 << 30;

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
    List<String> out = new java.util.ArrayList<>();
    try (Reader r = openEveryLine(files.toArray(Path[]::new))) {
      while (r.hasNext()) {
        out.add(r.next());
      }
    }
    return out;
  }

  /** As {@link #readAll}, streamed: one text for every line, a blank JSON line an empty one. */
  public static Reader openEveryLine(Path... files) {
    for (Path f : files) {
      if (java.nio.file.Files.isDirectory(f)) {
        throw new IllegalArgumentException(f + " is a directory, not a text or JSON Lines file");
      }
      if (!java.nio.file.Files.isRegularFile(f)) {
        throw new IllegalArgumentException(f + ": no such file");
      }
    }
    return new Reader(List.of(files), true);
  }

  /**
   * Writes texts one per line, as {"text": …} JSON Lines when {@link #isJsonLines} says so (else
   * plain text, a newline inside a text turned into a space), atomically; returns the bytes written.
   */
  public static long writeAll(Path file, List<String> texts) throws IOException {
    boolean jsonl = isJsonLines(file);
    long[] bytes = {0};
    dev.mtk.core.io.AtomicFile.write(file, out -> {
      for (String t : texts) {
        byte[] line = (jsonl ? JSON.writeValueAsString(java.util.Map.of("text", t)) : t.replace('\n', ' '))
            .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        out.write(line);
        out.write('\n');
        bytes[0] += line.length + 1;
      }
    });
    return bytes[0];
  }

  /**
   * Documents of several files in order, blank JSON Lines skipped (a corpus).
   */
  public static Reader open(List<Path> files) {
    return new Reader(files, false);
  }

  /**
   * The lines of one UTF-8 file, read strictly: bytes that are not UTF-8 stop the read with an
   * {@link InputException} naming the line and column (every command reads text this one way,
   * so no command guesses at a broken encoding); a byte order mark before the first line is dropped.
   */
  public static Lines lines(Path file) throws IOException {
    if (Files.isDirectory(file)) {
      throw new IllegalArgumentException(file + " is a directory, not a text or JSON Lines file");
    }
    return new Lines(file);
  }

  /** One file's lines, see {@link #lines}. */
  public static final class Lines implements AutoCloseable {
    private final Path file;
    private final InputStream in;
    private long lineNo;
    private long bytes;
    private byte[] buf = new byte[1 << 12];

    private Lines(Path file) throws IOException {
      this.file = file;
      this.in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
    }

    /** The next line without its \n (or \r\n), or null at the end of the file. */
    public String next() throws IOException {
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
          if (n >= MAX_LINE_BYTES) {
            throw new InputException(file, lineNo + 1, "a line of more than 1 GiB; mtk reads one "
                + "text per line and holds it in memory");
          }
          buf = java.util.Arrays.copyOf(buf, Math.min(MAX_LINE_BYTES, buf.length * 2));
        }
        buf[n++] = (byte) c;
      }
      if (!any) {
        return null;
      }
      lineNo++;
      if (n > 0 && buf[n - 1] == '\r') {
        n--;
      }
      for (int i = 0; i < n; ) {
        int k = Utf8.validSequenceLength(buf, i);
        if (k <= 0 || i + k > n) {
          throw new InputException(file, lineNo, String.format(java.util.Locale.ROOT, "not valid "
              + "UTF-8 (byte 0x%02X at byte %d of the line); mtk reads UTF-8 text only: convert the "
              + "file, e.g. iconv -f latin1 -t utf-8", buf[i] & 0xFF, i + 1));
        }
        i += k;
      }
      String line = new String(buf, 0, n, StandardCharsets.UTF_8);
      return lineNo == 1 && line.startsWith("\uFEFF") ? line.substring(1) : line;
    }

    /** The number of the line {@link #next} returned last (1 for the first). */
    public long lineNumber() {
      return lineNo;
    }

    /** Bytes read so far. */
    public long bytesRead() {
      return bytes;
    }

    public Path file() {
      return file;
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  /** Streams the documents; close it to release the current file. */
  public static final class Reader implements Iterator<String>, AutoCloseable {
    private final List<Path> files;
    private int fileIndex = -1;
    private Lines lines;
    private long bytesBefore;
    private String next;
    private final boolean blankLinesAreTexts;

    private Reader(List<Path> files, boolean blankLinesAreTexts) {
      this.files = List.copyOf(files);
      this.blankLinesAreTexts = blankLinesAreTexts;
    }

    /** Bytes read so far. */
    public long bytesRead() {
      return bytesBefore + (lines == null ? 0 : lines.bytesRead());
    }

    @Override
    public boolean hasNext() {
      if (next != null) {
        return true;
      }
      Path file = null;
      try {
        while (true) {
          if (lines == null) {
            if (++fileIndex >= files.size()) {
              return false;
            }
            file = files.get(fileIndex);
            lines = TextSources.lines(file);
          }
          file = lines.file();
          String line = lines.next();
          if (line == null) {
            bytesBefore += lines.bytesRead();
            lines.close();
            lines = null;
            continue;
          }
          if (isJsonLines(file)) {
            if (line.isBlank()) {
              if (!blankLinesAreTexts) {
                continue;
              }
              next = "";
              return true;
            }
            next = textOf(line, file, lines.lineNumber());
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

    @Override
    public void close() {
      if (lines != null) {
        try {
          lines.close();
        } catch (IOException ignored) {
          // closing a file we only read
        }
        lines = null;
      }
    }
  }
}
