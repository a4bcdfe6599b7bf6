package dev.mtk.tokenizers.text;

import dev.mtk.tokenizers.text.bpe.BytePairModel;
import dev.mtk.tokenizers.text.Utf8;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Decodes ids as they arrive (a model generating text, a stream of ids): each call returns the
 * text that is complete so far and holds back the bytes of a character whose UTF-8 sequence is
 * not finished yet. Bytes that can never become valid UTF-8 come out as U+FFFD.
 */
public final class StreamingDecoder {

  private final BytePairModel model;
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

  StreamingDecoder(BytePairModel model) {
    this.model = model;
  }

  /** Adds one id and returns the text it completes (possibly empty). */
  public String add(int id) {
    byte[] b = model.tokenBytes(id);
    pending.write(b, 0, b.length);
    byte[] all = pending.toByteArray();
    int complete = completePrefix(all);
    pending.reset();
    pending.write(all, complete, all.length - complete);
    return new String(all, 0, complete, StandardCharsets.UTF_8);
  }

  /** Whatever is still held back, decoded with replacement characters; empties the decoder. */
  public String finish() {
    byte[] all = pending.toByteArray();
    pending.reset();
    return new String(all, StandardCharsets.UTF_8);
  }

  /** Bytes up to the start of a trailing sequence that is valid so far but cut off. */
  private static int completePrefix(byte[] b) {
    int i = 0;
    while (i < b.length) {
      int n = Utf8.validSequenceLength(b, i);
      if (n == 0) {
        return i; // unfinished: wait for more bytes
      }
      i += n < 0 ? 1 : n;
    }
    return i;
  }
}
