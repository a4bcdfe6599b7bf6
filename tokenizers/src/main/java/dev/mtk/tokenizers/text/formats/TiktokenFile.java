package dev.mtk.tokenizers.text.formats;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Reads tiktoken rank files: one token per line, "base64-of-bytes rank". Ranks must be unique and
 * tokens distinct; a bad line is reported with its number. The largest rank is bounded so that a
 * corrupt file cannot make it allocate without limit.
 */
public final class TiktokenFile {

  /** No real vocabulary comes near this; it bounds the table a file can make us allocate. */
  public static final int MAX_RANK = 10_000_000;

  private TiktokenFile() {}

  /** Tokens by rank (null where a rank is unused). */
  public static byte[][] read(InputStream in, String name) throws IOException {
    List<byte[]> byRank = new ArrayList<>();
    BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII), 1 << 16);
    Base64.Decoder base64 = Base64.getDecoder();
    String line;
    int lineNo = 0;
    while ((line = r.readLine()) != null) {
      lineNo++;
      if (line.isEmpty()) {
        continue;
      }
      int space = line.indexOf(' ');
      if (space <= 0 || space == line.length() - 1) {
        throw new TokenizerFormatException(name, lineNo, "expected 'base64 rank', got '" + clip(line) + "'");
      }
      byte[] token;
      try {
        token = base64.decode(line.substring(0, space));
      } catch (IllegalArgumentException e) {
        throw new TokenizerFormatException(name, lineNo, "invalid base64: " + e.getMessage());
      }
      int rank;
      try {
        rank = Integer.parseInt(line.substring(space + 1).trim());
      } catch (NumberFormatException e) {
        throw new TokenizerFormatException(name, lineNo, "rank is not a number: '" + clip(line.substring(space + 1)) + "'");
      }
      if (rank < 0 || rank > MAX_RANK) {
        throw new TokenizerFormatException(name, lineNo, "rank " + rank + " is outside 0.." + MAX_RANK);
      }
      if (token.length == 0) {
        throw new TokenizerFormatException(name, lineNo, "empty token");
      }
      while (byRank.size() <= rank) {
        byRank.add(null);
      }
      if (byRank.get(rank) != null) {
        throw new TokenizerFormatException(name, lineNo, "rank " + rank + " appears twice");
      }
      byRank.set(rank, token);
    }
    if (byRank.isEmpty()) {
      throw new TokenizerFormatException(name, 0, "no tokens");
    }
    return byRank.toArray(new byte[0][]);
  }

  static String clip(String s) {
    return s.length() > 60 ? s.substring(0, 60) + "…" : s;
  }
}
