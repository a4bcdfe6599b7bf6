package dev.mtk.tokenizers.text.normalize;

import dev.mtk.tokenizers.text.bpe.IntList;
import java.util.List;
import java.util.Locale;

/**
 * Stage 1 of the pipeline: rewrites text before splitting (Unicode NFC or NFKC, lowercase). To
 * keep offsets pointing into the caller's text, text is normalized in segments — each maximal run
 * of non-ASCII characters together with the ASCII character before it (a base that a combining
 * mark may join) — and every character of a rewritten segment maps back to the whole original
 * segment. ASCII outside such runs maps one to one.
 */
public sealed interface Normalizer permits Normalizer.Nfc, Normalizer.Nfkc, Normalizer.Lowercase,
    Normalizer.Sequence, Normalizer.Bert {

  /** none (null), nfc, nfkc or lowercase: the names the command line takes. */
  static Normalizer named(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "none" -> null;
      case "nfc" -> new Nfc();
      case "nfkc" -> new Nfkc();
      case "lowercase" -> new Lowercase();
      default -> throw new IllegalArgumentException("normalization must be none, nfc, nfkc or "
          + "lowercase, got \"" + name + "\"");
    };
  }

  /** Applies the normalization to a string with no alignment to keep. */
  String apply(String s);

  /** The Hugging Face tokenizer.json type name. */
  String type();

  record Nfc() implements Normalizer {
    @Override
    public String apply(String s) {
      return java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFC);
    }

    @Override
    public String type() {
      return "NFC";
    }
  }

  record Nfkc() implements Normalizer {
    @Override
    public String apply(String s) {
      return java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFKC);
    }

    @Override
    public String type() {
      return "NFKC";
    }
  }

  record Lowercase() implements Normalizer {
    @Override
    public String apply(String s) {
      return s.toLowerCase(Locale.ROOT);
    }

    @Override
    public String type() {
      return "Lowercase";
    }
  }

  record Sequence(List<Normalizer> steps) implements Normalizer {
    public Sequence {
      steps = List.copyOf(steps);
    }

    @Override
    public String apply(String s) {
      for (Normalizer n : steps) {
        s = n.apply(s);
      }
      return s;
    }

    @Override
    public String type() {
      return "Sequence";
    }
  }

  /**
   * BERT's normalizer (Hugging Face BertNormalizer), its four steps in its order: clean text
   * (drop NUL, U+FFFD and control, format and private-use characters; every white space
   * becomes a space), put spaces around CJK ideographs, strip accents (NFD, then drop nonspacing
   * marks, category Mn), lowercase (each code point's full lowercase mapping, not Java's
   * context-sensitive String.toLowerCase, which would turn a final Σ into ς).
   */
  record Bert(boolean cleanText, boolean chineseChars, boolean stripAccents, boolean lowercase)
      implements Normalizer {
    @Override
    public String apply(String s) {
      StringBuilder b = new StringBuilder(s.length() + 8);
      for (int i = 0; i < s.length(); ) {
        int c = s.codePointAt(i);
        i += Character.charCount(c);
        if (cleanText) {
          if (c == 0 || c == 0xFFFD || isControl(c)) {
            continue;
          }
          if (isWhitespace(c)) {
            c = ' ';
          }
        }
        if (chineseChars && isChinese(c)) {
          b.append(' ').appendCodePoint(c).append(' ');
        } else {
          b.appendCodePoint(c);
        }
      }
      String t = b.toString();
      if (stripAccents) {
        String nfd = java.text.Normalizer.normalize(t, java.text.Normalizer.Form.NFD);
        b.setLength(0);
        for (int i = 0; i < nfd.length(); ) {
          int c = nfd.codePointAt(i);
          i += Character.charCount(c);
          if (Character.getType(c) != Character.NON_SPACING_MARK) {
            b.appendCodePoint(c);
          }
        }
        t = b.toString();
      }
      if (lowercase) {
        b.setLength(0);
        for (int i = 0; i < t.length(); ) {
          int c = t.codePointAt(i);
          i += Character.charCount(c);
          if (c == 0x130) {
            b.append("i\u0307"); // the one unconditional multi-character lowercase mapping
          } else {
            b.appendCodePoint(Character.toLowerCase(c));
          }
        }
        t = b.toString();
      }
      return t;
    }

    @Override
    public String type() {
      return "BertNormalizer";
    }

    /** BERT's white space: tab, newline, carriage return, and Unicode's White_Space. */
    public static boolean isWhitespace(int c) {
      return c == '\t' || c == '\n' || c == '\r' || whiteSpaceProperty(c);
    }

    /** Unicode's White_Space property (Java's isWhitespace leaves out no-break spaces). */
    public static boolean whiteSpaceProperty(int c) {
      return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680
          || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F
          || c == 0x205F || c == 0x3000;
    }

    /**
     * Control, format, surrogate and private use (Unicode's C* but Cn: Hugging Face keeps
     * unassigned code points), not \t \n \r.
     */
    static boolean isControl(int c) {
      if (c == '\t' || c == '\n' || c == '\r') {
        return false;
      }
      int t = Character.getType(c);
      return t == Character.CONTROL || t == Character.FORMAT || t == Character.SURROGATE
          || t == Character.PRIVATE_USE;
    }

    /** The CJK Unified Ideographs blocks BERT puts spaces around. */
    static boolean isChinese(int c) {
      return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF)
          || (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F)
          || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF)
          || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
    }
  }

  /** Normalized text and, per normalized char, the original span it came from. */
  record Aligned(String text, int[] origStart, int[] origEnd) {}

  /** Normalizes segment by segment and keeps the alignment (see the type's comment). */
  static Aligned align(Normalizer n, String s) {
    StringBuilder out = new StringBuilder(s.length() + 16);
    IntList starts = new IntList(s.length() + 16), ends = new IntList(s.length() + 16);
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      int segEnd = i + 1;
      while (segEnd < s.length() && s.charAt(segEnd) >= 128) {
        segEnd++;
      }
      if (c < 128 && segEnd == i + 1) {
        // plain ASCII: one char to one char under every normalizer here
        String t = n.apply(String.valueOf(c));
        for (int k = 0; k < t.length(); k++) {
          out.append(t.charAt(k));
          starts.add(i);
          ends.add(i + 1);
        }
        i++;
        continue;
      }
      String t = n.apply(s.substring(i, segEnd));
      for (int k = 0; k < t.length(); k++) {
        out.append(t.charAt(k));
        starts.add(i);
        ends.add(segEnd);
      }
      i = segEnd;
    }
    return new Aligned(out.toString(), starts.toArray(), ends.toArray());
  }
}
