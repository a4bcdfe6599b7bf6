package dev.mtk.tokenizers.video;

import dev.mtk.tokenizers.MediaFormatException;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * YUV4MPEG2 (.y4m), the raw format ffmpeg writes with {@code -f yuv4mpegpipe}: 8-bit 4:2:0 (the
 * default, any chroma siting) or 4:4:4, converted to RGB in [0, 1] with BT.601 limited range as
 * ffmpeg does by default (Y in 16…235, Cb/Cr in 16…240). Chroma is upsampled by repetition.
 */
public final class Y4mReader {

  private Y4mReader() {}

  /** Frames t with t % every == 0, at most max of them. */
  public static Video read(Path file, int every, int max) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "no such video file");
    }
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      String header = line(in, file);
      if (!header.startsWith("YUV4MPEG2 ")) {
        throw new MediaFormatException(file, "not a YUV4MPEG2 (.y4m) file");
      }
      int w = 0, h = 0;
      String cs = "420";
      for (String tok : header.split(" ")) {
        if (tok.isEmpty()) {
          continue;
        }
        switch (tok.charAt(0)) {
          case 'W' -> w = parse(file, tok);
          case 'H' -> h = parse(file, tok);
          case 'C' -> cs = tok.substring(1);
          default -> { }
        }
      }
      boolean full = cs.startsWith("444");
      if (!full && !cs.startsWith("420")) {
        throw new MediaFormatException(file, "colour space C" + cs + " is not supported (4:2:0 "
            + "or 4:4:4, 8-bit)");
      }
      if (cs.contains("p10") || cs.contains("p12") || cs.contains("p16")) {
        throw new MediaFormatException(file, "only 8-bit samples are supported, got C" + cs);
      }
      if (w < 1 || h < 1 || (long) w * h > 1 << 26) {
        throw new MediaFormatException(file, "implausible frame size " + w + "×" + h);
      }
      int cw = full ? w : (w + 1) / 2, ch = full ? h : (h + 1) / 2;
      byte[] y = new byte[w * h], u = new byte[cw * ch], v = new byte[cw * ch];
      List<float[]> frames = new ArrayList<>();
      for (int t = 0; frames.size() < max; t++) {
        String fh;
        try {
          fh = line(in, file);
        } catch (EOFException end) {
          break;
        }
        if (!fh.startsWith("FRAME")) {
          throw new MediaFormatException(file, "frame " + t + " does not start with FRAME");
        }
        if (in.readNBytes(y, 0, y.length) != y.length || in.readNBytes(u, 0, u.length) != u.length
            || in.readNBytes(v, 0, v.length) != v.length) {
          throw new MediaFormatException(file, "truncated inside frame " + t);
        }
        if (t % every == 0) {
          frames.add(toRgb(y, u, v, w, h, cw, full));
        }
      }
      if (frames.isEmpty()) {
        throw new MediaFormatException(file, "holds no frames");
      }
      float[] data = new float[frames.size() * 3 * w * h];
      for (int t = 0; t < frames.size(); t++) {
        System.arraycopy(frames.get(t), 0, data, t * 3 * w * h, 3 * w * h);
      }
      return new Video(data, frames.size(), 3, h, w);
    }
  }

  /** BT.601 limited range to RGB, clamped to [0, 1]. */
  static float[] toRgb(byte[] y, byte[] u, byte[] v, int w, int h, int cw, boolean full) {
    float[] out = new float[3 * w * h];
    for (int r = 0; r < h; r++) {
      for (int c = 0; c < w; c++) {
        int ci = full ? r * cw + c : (r / 2) * cw + c / 2;
        double yy = ((y[r * w + c] & 0xFF) - 16) * (255.0 / 219);
        double cb = ((u[ci] & 0xFF) - 128) * (255.0 / 224);
        double cr = ((v[ci] & 0xFF) - 128) * (255.0 / 224);
        double rr = yy + 1.402 * cr;
        double gg = yy - 0.344136 * cb - 0.714136 * cr;
        double bb = yy + 1.772 * cb;
        out[r * w + c] = clamp(rr / 255);
        out[(h + r) * w + c] = clamp(gg / 255);
        out[(2 * h + r) * w + c] = clamp(bb / 255);
      }
    }
    return out;
  }

  private static float clamp(double x) {
    return (float) Math.max(0, Math.min(1, x));
  }

  private static int parse(Path file, String tok) throws MediaFormatException {
    try {
      return Integer.parseInt(tok.substring(1));
    } catch (NumberFormatException e) {
      throw new MediaFormatException(file, "bad header field " + tok);
    }
  }

  private static String line(InputStream in, Path file) throws IOException {
    StringBuilder b = new StringBuilder();
    for (int c; (c = in.read()) != '\n'; ) {
      if (c < 0) {
        if (b.isEmpty()) {
          throw new EOFException();
        }
        throw new MediaFormatException(file, "truncated header line");
      }
      if (b.length() > 4096) {
        throw new MediaFormatException(file, "header line longer than 4 KB");
      }
      b.append((char) c);
    }
    return new String(b.toString().getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.US_ASCII);
  }
}
