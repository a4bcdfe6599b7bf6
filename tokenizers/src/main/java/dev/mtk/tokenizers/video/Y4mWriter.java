package dev.mtk.tokenizers.video;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Grey clips as YUV4MPEG2 (4:2:0, 8-bit, what ffmpeg writes by default): each grey level g in 0…255 becomes BT.601 limited-range
 * luma 16 + 219·g/255 with neutral chroma, which {@link Y4mReader} (as ffmpeg) turns back into g
 * within one level. Written to a temporary file and renamed.
 */
public final class Y4mWriter {

  private Y4mWriter() {}

  /** {@code frames} grey frames of height × width bytes, frame after frame. */
  public static byte[] encode(byte[] grey, int frames, int height, int width, int fps) {
    if ((long) frames * height * width != grey.length) {
      throw new IllegalArgumentException(frames + " frames of " + height + "×" + width + " do not match "
          + grey.length + " bytes");
    }
    int plane = height * width, quarter = ((width + 1) / 2) * ((height + 1) / 2);
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 + frames * (6 + plane + 2 * quarter));
    out.writeBytes(("YUV4MPEG2 W" + width + " H" + height + " F" + fps + ":1 Ip A1:1 C420jpeg\n")
        .getBytes(StandardCharsets.US_ASCII));
    byte[] chroma = new byte[quarter];
    java.util.Arrays.fill(chroma, (byte) 128);
    byte[] y = new byte[plane];
    for (int t = 0; t < frames; t++) {
      out.writeBytes("FRAME\n".getBytes(StandardCharsets.US_ASCII));
      for (int i = 0; i < plane; i++) {
        y[i] = (byte) Math.round(16 + 219 * (grey[t * plane + i] & 0xFF) / 255.0);
      }
      out.writeBytes(y);
      out.writeBytes(chroma);
      out.writeBytes(chroma);
    }
    return out.toByteArray();
  }

  public static void write(Path file, byte[] grey, int frames, int height, int width, int fps) throws IOException {
    dev.mtk.core.io.AtomicFile.write(file, encode(grey, frames, height, width, fps));
  }
}
