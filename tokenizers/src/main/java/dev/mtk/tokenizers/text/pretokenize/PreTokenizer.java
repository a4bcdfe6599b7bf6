package dev.mtk.tokenizers.text.pretokenize;

import dev.mtk.tokenizers.text.bpe.ByteLevel;

/**
 * Stage 2 of the pipeline: cuts text into pieces that BPE encodes independently. Pieces are
 * consecutive, cover the text and are reported as char offsets, so token offsets can point back
 * into the caller's string.
 *
 * <p>The three GPT patterns have hand-written splitters that give exactly the matches of the
 * regular expression (java.util.regex with UNICODE_CHARACTER_CLASS); any other pattern runs
 * through {@link RegexSplit}.
 */
public sealed interface PreTokenizer permits GptSplit, RegexSplit {

  /** Receives one piece: text[start, end). */
  @FunctionalInterface
  interface PieceSink {
    void piece(int start, int end);
  }

  /** Reports the pieces of text[from, to) in order. */
  void split(CharSequence text, int from, int to, PieceSink sink);

  /** The regular expression this splitter is equivalent to, as saved in tokenizer.json. */
  String pattern();

  /** The GPT-2 pattern (r50k, p50k; Hugging Face ByteLevel's default). */
  String GPT2_PATTERN =
      "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

  /** The cl100k_base pattern (GPT-3.5, GPT-4). */
  String CL100K_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
      + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

  /** The o200k_base pattern (GPT-4o). */
  String O200K_PATTERN = String.join("|",
      "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+"
          + "(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
      "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*"
          + "(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
      "\\p{N}{1,3}",
      " ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*",
      "\\s*[\\r\\n]+",
      "\\s+(?!\\S)",
      "\\s+");

  /** The splitter for a pattern: hand-written for the three GPT patterns, a regex otherwise. */
  static PreTokenizer forPattern(String pattern) {
    if (pattern.equals(CL100K_PATTERN)) {
      return Cl100kSplit.INSTANCE;
    }
    if (pattern.equals(O200K_PATTERN)) {
      return O200kSplit.INSTANCE;
    }
    if (pattern.equals(GPT2_PATTERN)) {
      return Gpt2Split.INSTANCE;
    }
    return new RegexSplit(pattern);
  }

  /** By name as the CLI spells it: gpt2, cl100k or o200k. */
  static PreTokenizer named(String name) {
    return switch (name) {
      case "gpt2" -> Gpt2Split.INSTANCE;
      case "cl100k" -> Cl100kSplit.INSTANCE;
      case "o200k" -> O200kSplit.INSTANCE;
      default -> throw new IllegalArgumentException(
          "unknown pattern '" + name + "': use gpt2, cl100k or o200k");
    };
  }
}
