package dev.mtk.tokenizers.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mtk.tokenizers.MediaFormatException;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageTransformsTest {

  @TempDir
  Path dir;

  @Test
  void pngRoundTripIsExactAndGrayIsNotGammaShifted() throws Exception {
    BufferedImage rgb = new BufferedImage(5, 3, BufferedImage.TYPE_INT_ARGB);
    for (int y = 0; y < 3; y++) {
      for (int x = 0; x < 5; x++) {
        rgb.setRGB(x, y, (x * 40 << 24) | (x * 50 << 16) | (y * 60 << 8) | (x + y) * 10);
      }
    }
    Path f = dir.resolve("a.png");
    ImageIO.write(rgb, "png", f.toFile());
    Image img = ImageReader.read(f);
    assertEquals(3, img.channels());
    assertEquals(200 / 255f, img.get(0, 2, 4)); // red of (x=4, y=2); alpha dropped
    assertEquals(120 / 255f, img.get(1, 2, 4));
    assertEquals(60 / 255f, img.get(2, 2, 4));

    BufferedImage gray = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
    gray.getRaster().setSample(0, 0, 0, 64);
    gray.getRaster().setSample(1, 0, 0, 200);
    Path g = dir.resolve("g.png");
    ImageIO.write(gray, "png", g.toFile());
    Image gi = ImageReader.read(g);
    for (int c = 0; c < 3; c++) {
      assertEquals(64 / 255f, gi.get(c, 0, 0), "stored value, replicated");
      assertEquals(200 / 255f, gi.get(c, 0, 1));
    }
  }

  @Test
  void badFilesAreTypedErrors() throws Exception {
    Path f = dir.resolve("x.png");
    BufferedImage rgb = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
    ImageIO.write(rgb, "png", f.toFile());
    byte[] all = Files.readAllBytes(f);
    Path cut = dir.resolve("cut.png");
    Files.write(cut, java.util.Arrays.copyOf(all, all.length / 2));
    assertThrows(MediaFormatException.class, () -> ImageReader.read(cut));
    Path text = dir.resolve("t.png");
    Files.writeString(text, "not an image");
    var e = assertThrows(MediaFormatException.class, () -> ImageReader.read(text));
    assertTrue(e.getMessage().contains("t.png"), e.getMessage());
    Path empty = dir.resolve("e.jpg");
    Files.write(empty, new byte[0]);
    assertThrows(MediaFormatException.class, () -> ImageReader.read(empty));
  }

  @Test
  void shrinkingIsAntialiased() {
    // a one-pixel checkerboard halved: every output pixel covers two black and two white pixels
    int n = 16;
    float[] d = new float[n * n];
    for (int y = 0; y < n; y++) {
      for (int x = 0; x < n; x++) {
        d[y * n + x] = (x + y) % 2;
      }
    }
    Image half = ImageTransforms.resize(new Image(d, 1, n, n), n / 2, n / 2);
    for (int y = 1; y < n / 2 - 1; y++) {
      for (int x = 1; x < n / 2 - 1; x++) {
        assertEquals(0.5f, half.get(0, y, x), 1e-6f);
      }
    }
  }

  @Test
  void resizingKeepsConstantsAndLinearRamps() {
    float[] d = new float[3 * 7 * 9];
    java.util.Arrays.fill(d, 0.25f);
    Image c = ImageTransforms.resize(new Image(d, 3, 7, 9), 20, 4);
    for (float v : c.data()) {
      assertEquals(0.25f, v, 1e-6f);
    }
    // upsampling a horizontal ramp 2×: interior samples follow the line (bilinear, half-pixel centres)
    int w = 8;
    float[] ramp = new float[w];
    for (int x = 0; x < w; x++) {
      ramp[x] = x;
    }
    Image up = ImageTransforms.resize(new Image(ramp, 1, 1, w), 1, 2 * w);
    for (int x = 1; x < 2 * w - 1; x++) {
      assertEquals((x + 0.5) / 2 - 0.5, up.get(0, 0, x), 1e-5);
    }
  }

  @Test
  void cropAndNormalize() {
    Image img = PatchesTest.random(3, 6, 8, 4);
    Image c = ImageTransforms.centerCrop(img, 4, 4);
    assertEquals(img.get(1, 1, 2), c.get(1, 0, 0));
    Image n = ImageTransforms.normalize(img, ImageTransforms.Norm.IMAGENET);
    assertEquals((img.get(2, 3, 3) - 0.406f) / 0.225f, n.get(2, 3, 3), 1e-6f);
    assertArrayEquals(img.data(), ImageTransforms.normalize(img, null).data());
    assertThrows(IllegalArgumentException.class, () -> ImageTransforms.Norm.named("clip"));
  }
}
