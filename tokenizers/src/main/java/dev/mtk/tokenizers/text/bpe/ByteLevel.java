package dev.mtk.tokenizers.text.bpe;

/**
 * GPT-2's byte-to-character table, which Hugging Face's ByteLevel pre-tokenizer and decoder use to
 * store byte strings as printable text in tokenizer.json: printable Latin-1 bytes stand for
 * themselves, the other 68 bytes map to U+0100 onward in byte order (so a space is "Ġ").
 */
public final class ByteLevel {

  private static final char[] TO_CHAR = new char[256];
  private static final int[] TO_BYTE = new int[0x200];

  static {
    java.util.Arrays.fill(TO_BYTE, -1);
    int next = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      char c = printable ? (char) b : (char) (256 + next++);
      TO_CHAR[b] = c;
      TO_BYTE[c] = b;
    }
  }

  private ByteLevel() {}

  public static String encode(byte[] bytes) {
    char[] out = new char[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      out[i] = TO_CHAR[bytes[i] & 0xFF];
    }
    return new String(out);
  }

  /** The bytes of a byte-level string, or null if a char is not in the table. */
  public static byte[] decode(String s) {
    byte[] out = new byte[s.length()];
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= TO_BYTE.length || TO_BYTE[c] < 0) {
        return null;
      }
      out[i] = (byte) TO_BYTE[c];
    }
    return out;
  }
}
