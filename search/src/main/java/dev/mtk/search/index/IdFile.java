package dev.mtk.search.index;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Row ids from a text file: one 64-bit integer per line, each once. */
public final class IdFile {

  private IdFile() {}

  /** The ids of {@code rows} vectors; errors name the file and line. */
  public static long[] read(Path file, long rows) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(file + ": no such file");
    }
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    if (lines.size() != rows) {
      throw new IllegalArgumentException(file + ": " + lines.size() + " ids for " + rows
          + " vectors (one id per line)");
    }
    long[] ids = new long[lines.size()];
    Set<Long> seen = new HashSet<>();
    for (int i = 0; i < ids.length; i++) {
      try {
        ids[i] = Long.parseLong(lines.get(i).trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(file + ":" + (i + 1) + ": '" + lines.get(i)
            + "' is not a whole number (ids are 64-bit integers)");
      }
      if (!seen.add(ids[i])) {
        throw new IllegalArgumentException(file + ":" + (i + 1) + ": id " + ids[i]
            + " appears twice");
      }
    }
    return ids;
  }
}
