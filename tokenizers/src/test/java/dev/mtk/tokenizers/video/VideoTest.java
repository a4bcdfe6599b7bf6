package dev.mtk.tokenizers.video;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mtk.tokenizers.FloatTokens;
import dev.mtk.tokenizers.MediaFormatException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VideoTest {

  @TempDir
  Path dir;

  @Property(tries = 100)
  void untubeletizeInvertsTubeletize(@ForAll @IntRange(min = 1, max = 3) int t,
      @ForAll @IntRange(min = 1, max = 5) int p, @ForAll @IntRange(min = 1, max = 3) int gt,
      @ForAll @IntRange(min = 1, max = 3) int gh, @ForAll @IntRange(min = 1, max = 3) int gw,
      @ForAll long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int frames = gt * t, h = gh * p, w = gw * p;
    float[] d = new float[frames * 3 * h * w];
    for (int i = 0; i < d.length; i++) {
      d[i] = (float) r.nextDouble();
    }
    Video v = new Video(d, frames, 3, h, w);
    FloatTokens tok = Tubelets.tubeletize(v, t, p);
    assertEquals(gt * gh * gw, tok.count());
    assertEquals(3 * t * p * p, tok.dim());
    assertArrayEquals(d, Tubelets.untubeletize(tok, frames, 3, h, w, t, p).data());
    // Conv3d order: token (it, iy, ix), element (c, dt, y, x)
    int it = gt - 1, iy = 0, ix = gw - 1, c = 2, dt = t - 1, y = p - 1, x = 0;
    float expected = d[(((it * t + dt) * 3 + c) * h + iy * p + y) * w + ix * p + x];
    assertEquals(expected, tok.values()[((it * gh + iy) * gw + ix) * tok.dim() + ((c * t + dt) * p + y) * p + x]);
  }

  static byte[] y4m(String colour, int w, int h, int frames, int[] yuv) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(("YUV4MPEG2 W" + w + " H" + h + " F25:1 Ip A1:1 " + colour + "\n").getBytes(StandardCharsets.US_ASCII));
    boolean full = colour.startsWith("C444");
    int cw = full ? w : (w + 1) / 2, ch = full ? h : (h + 1) / 2;
    for (int f = 0; f < frames; f++) {
      out.writeBytes("FRAME\n".getBytes(StandardCharsets.US_ASCII));
      for (int i = 0; i < w * h; i++) {
        out.write(yuv[0] + f);
      }
      for (int i = 0; i < cw * ch; i++) {
        out.write(yuv[1]);
      }
      for (int i = 0; i < cw * ch; i++) {
        out.write(yuv[2]);
      }
    }
    return out.toByteArray();
  }

  @Test
  void bt601LimitedRangeToRgb() throws Exception {
    Path f = dir.resolve("v.y4m");
    Files.write(f, y4m("C420jpeg", 4, 2, 3, new int[] {235, 128, 128}));
    Video v = Y4mReader.read(f, 1, 100);
    assertEquals(3, v.frames());
    assertEquals(1f, v.data()[0], 1e-6f); // Y 235 is white (frame 0)
    Files.write(f, y4m("C444", 2, 2, 1, new int[] {16, 128, 128}));
    assertEquals(0f, Y4mReader.read(f, 1, 1).data()[5], 1e-6f); // Y 16 is black
    // pure red in BT.601 limited range: Y 81, Cb 90, Cr 240
    Files.write(f, y4m("C444", 1, 1, 1, new int[] {81, 90, 240}));
    float[] red = Y4mReader.read(f, 1, 1).data();
    assertEquals(1f, red[0], 0.01f);
    assertEquals(0f, red[1], 0.01f);
    assertEquals(0f, red[2], 0.01f);
    // every second frame of four
    Files.write(f, y4m("C420", 2, 2, 4, new int[] {100, 128, 128}));
    assertEquals(2, Y4mReader.read(f, 2, 100).frames());
  }

  @Test
  void badVideosAreTypedErrors() throws Exception {
    Path f = dir.resolve("b.y4m");
    byte[] ok = y4m("C420", 4, 4, 2, new int[] {100, 128, 128});
    Files.write(f, java.util.Arrays.copyOf(ok, ok.length - 3));
    assertTrue(assertThrows(MediaFormatException.class, () -> Y4mReader.read(f, 1, 10))
        .getMessage().contains("truncated"));
    Files.write(f, y4m("C422", 4, 4, 1, new int[] {100, 128, 128}));
    assertTrue(assertThrows(MediaFormatException.class, () -> Y4mReader.read(f, 1, 10))
        .getMessage().contains("C422"));
    Files.writeString(f, "RIFF");
    assertThrows(MediaFormatException.class, () -> Y4mReader.read(f, 1, 10));
  }
}
