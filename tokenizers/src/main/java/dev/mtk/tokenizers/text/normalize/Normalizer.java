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
    Normalizer.Sequence {

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
