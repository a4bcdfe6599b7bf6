package dev.mtk.tokenizers.text;


/** UTF-8 by hand, where the JDK's encoders would allocate or hide positions. */
public final class Utf8 {

  private Utf8() {}

  /**
   * Writes s[from, to) as UTF-8 into the scratch buffer (growing it) and returns the byte count.
   * A lone surrogate becomes U+FFFD. With {@code track}, charOf[b] is the char index of byte b.
   */
  static int encode(CharSequence s, int from, int to, Tokenizer.Scratch sc, boolean track) {
    int max = (to - from) * 3;
    if (sc.bytes.length < max) {
      sc.bytes = new byte[Math.max(max, sc.bytes.length * 2)];
      sc.charOf = new int[sc.bytes.length];
    }
    byte[] out = sc.bytes;
    int[] charOf = sc.charOf;
    int p = 0;
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      int at = i;
      if (c < 0x80) {
        if (track) {
          charOf[p] = at;
        }
        out[p++] = (byte) c;
        continue;
      }
      int cp = c;
      if (Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c) && i + 1 < to && Character.isLowSurrogate(s.charAt(i + 1))) {
          cp = Character.toCodePoint(c, s.charAt(i + 1));
          i++;
        } else {
          cp = 0xFFFD;
        }
      }
      int start = p;
      if (cp < 0x800) {
        out[p++] = (byte) (0xC0 | (cp >> 6));
        out[p++] = (byte) (0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        out[p++] = (byte) (0xE0 | (cp >> 12));
        out[p++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
        out[p++] = (byte) (0x80 | (cp & 0x3F));
      } else {
        out[p++] = (byte) (0xF0 | (cp >> 18));
        out[p++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
        out[p++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
        out[p++] = (byte) (0x80 | (cp & 0x3F));
      }
      if (track) {
        for (int q = start; q < p; q++) {
          charOf[q] = at;
        }
      }
    }
    return p;
  }

  /**
   * The length of the valid UTF-8 sequence at b[i] (1 to 4), 0 if it is cut off by the end of the
   * array, or -1 if it is invalid (bad lead or continuation byte, overlong form, surrogate, or
   * beyond U+10FFFF).
   */
  public static int validSequenceLength(byte[] b, int i) {
    int lead = b[i] & 0xFF;
    if (lead < 0x80) {
      return 1;
    }
    int n;
    int min;
    if (lead >= 0xC2 && lead <= 0xDF) {
      n = 2;
      min = 0x80;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      n = 3;
      min = 0x800;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      n = 4;
      min = 0x10000;
    } else {
      return -1;
    }
    int cp = lead & (0xFF >> (n + 1));
    for (int k = 1; k < n; k++) {
      if (i + k >= b.length) {
        return 0;
      }
      int c = b[i + k] & 0xFF;
      if ((c & 0xC0) != 0x80) {
        return -1;
      }
      cp = (cp << 6) | (c & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return -1;
    }
    return n;
  }
}
