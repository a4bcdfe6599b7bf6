package dev.mtk.tokenizers.text.wordpiece;

import dev.mtk.tokenizers.text.bpe.IntList;
import java.util.HashMap;
import java.util.Map;

/**
 * Stage 3 of the WordPiece pipeline: each word becomes the longest vocabulary entry that starts
 * it, then the longest entry (written with the continuation prefix, "##") that starts the rest,
 * and so on — greedy longest match first, as BERT's original code and Hugging Face do. A word
 * with a remainder that no entry starts, or longer than {@code maxInputChars} characters,
 * becomes the single unknown token.
 */
public final class WordPieceModel {

  private final Map<String, Integer> vocab;
  private final String[] tokens;
  private final String prefix;
  private final int unk, maxInputChars, longest;

  public WordPieceModel(Map<String, Integer> vocab, String unkToken, String continuingPrefix,
      int maxInputChars) {
    this.vocab = new HashMap<>(vocab);
    int max = -1, longestToken = 1;
    for (Map.Entry<String, Integer> e : vocab.entrySet()) {
      if (e.getValue() < 0) {
        throw new IllegalArgumentException("token " + e.getKey() + " has a negative id");
      }
      max = Math.max(max, e.getValue());
      longestToken = Math.max(longestToken, e.getKey().length());
    }
    this.tokens = new String[max + 1];
    vocab.forEach((t, id) -> {
      if (tokens[id] != null) {
        throw new IllegalArgumentException("id " + id + " is used by " + tokens[id] + " and " + t);
      }
      tokens[id] = t;
    });
    Integer u = vocab.get(unkToken);
    if (u == null) {
      throw new IllegalArgumentException("the unknown token " + unkToken + " is not in the vocabulary");
    }
    if (maxInputChars < 1) {
      throw new IllegalArgumentException("max_input_chars_per_word must be at least 1");
    }
    this.unk = u;
    this.prefix = continuingPrefix;
    this.maxInputChars = maxInputChars;
    this.longest = longestToken;
  }

  public int vocabSize() {
    return tokens.length;
  }

  /** The token of an id ("##" included for continuations), or null. */
  public String token(int id) {
    return id >= 0 && id < tokens.length ? tokens[id] : null;
  }

  public Integer id(String token) {
    return vocab.get(token);
  }

  public String continuingPrefix() {
    return prefix;
  }

  public int unknownId() {
    return unk;
  }

  public int maxInputChars() {
    return maxInputChars;
  }

  /** Appends the pieces of word text[start, end) to out. */
  public void encode(String text, int start, int end, IntList out) {
    if (text.codePointCount(start, end) > maxInputChars) {
      out.add(unk);
      return;
    }
    int mark = out.size();
    StringBuilder key = new StringBuilder(prefix.length() + Math.min(longest, end - start));
    int at = start;
    while (at < end) {
      int stop = Math.min(end, at + longest);
      if (stop < end && Character.isLowSurrogate(text.charAt(stop))) {
        stop--;
      }
      Integer found = null;
      while (stop > at) {
        key.setLength(0);
        if (at > start) {
          key.append(prefix);
        }
        key.append(text, at, stop);
        found = vocab.get(key.toString());
        if (found != null) {
          break;
        }
        stop--;
        if (stop > at && Character.isLowSurrogate(text.charAt(stop))) {
          stop--; // never cut a character in two
        }
      }
      if (found == null) {
        out.truncate(mark);
        out.add(unk);
        return;
      }
      out.add(found);
      at = stop;
    }
  }
}
