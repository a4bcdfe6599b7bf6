package dev.mtk.tokenizers.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mtk.tokenizers.FloatTokens;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** IDX files, and the two ways into an image model's patches (bytes with augmentation, files). */
class ImageFormatTest {

  static final ImageFormat GREY28 = new ImageFormat(1, 28, 28, 4, ImageTransforms.Norm.VIT);

  static byte[] randomImage(long seed, int n) {
    byte[] b = new byte[n];
    new SplittableRandom(seed).nextBytes(b);
    return b;
  }

  /** An IDX file of unsigned bytes, written the way the MNIST distributions are. */
  static byte[] idx(int[] dims, byte[] data) {
    ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
    b.put(new byte[] {0, 0, 8, (byte) dims.length});
    for (int d : dims) {
      b.putInt(d);
    }
    return b.put(data).array();
  }

  static byte[] gzip(byte[] raw) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(raw);
    }
    return out.toByteArray();
  }

  @Test
  void idxFilesReadPlainOrGzippedAndLiesAreRefused(@TempDir Path dir) throws Exception {
    byte[] data = randomImage(1, 3 * 4 * 5);
    Path plain = dir.resolve("x-idx3-ubyte"), gz = dir.resolve("x-idx3-ubyte.gz");
    Files.write(plain, idx(new int[] {3, 4, 5}, data));
    Files.write(gz, gzip(idx(new int[] {3, 4, 5}, data)));
    for (Path p : new Path[] {plain, gz}) {
      Idx x = Idx.read(p);
      assertArrayEquals(new int[] {3, 4, 5}, x.dims());
      assertArrayEquals(data, x.data());
      assertEquals(20, x.itemSize());
    }
    String[][] bad = {
        {"short", "cut short: the header claims 60 values, the file holds 59"},
        {"long", "holds more than the 60 values its header claims"},
        {"huge", "the header claims more than 1073741824 values"},
        {"float", "IDX values of type 0x0D; only unsigned bytes (0x08) are read"},
        {"text", "not an IDX file"}};
    byte[][] contents = {
        java.util.Arrays.copyOf(idx(new int[] {3, 4, 5}, data), 16 + 59),
        idx(new int[] {3, 4, 5}, java.util.Arrays.copyOf(data, 61)),
        gzip(idx(new int[] {60000, 60000, 28}, new byte[10])),
        new byte[] {0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0},
        "id,label\n".getBytes()};
    for (int i = 0; i < bad.length; i++) {
      Path f = dir.resolve(bad[i][0] + ".gz");
      Files.write(f, bad[i][0].equals("huge") ? contents[i] : gzip(contents[i]));
      var e = assertThrows(IOException.class, () -> Idx.read(f));
      assertTrue(e.getMessage().startsWith(f + ": ") && e.getMessage().contains(bad[i][1]), e.getMessage());
    }
  }

  @Test
  void bytesGiveTheBitsOfTheSameImageSavedAsAPng(@TempDir Path dir) throws Exception {
    byte[] px = randomImage(7, 28 * 28);
    BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < 28; y++) {
      for (int x = 0; x < 28; x++) {
        img.getRaster().setSample(x, y, 0, px[y * 28 + x] & 0xFF);
      }
    }
    Path png = dir.resolve("a.png");
    ImageIO.write(img, "png", png.toFile());
    float[] fromBytes = new float[49 * 16];
    GREY28.patches(px, 0, 0, 0, 0, false, fromBytes, 0);
    FloatTokens fromFile = GREY28.tokenize(png);
    assertEquals(49, fromFile.count());
    assertArrayEquals(fromBytes, fromFile.values());
    // the same through the generic path: decode, normalise, patchify
    Image generic = ImageTransforms.normalize(ImageFormat.grey(ImageReader.read(png)),
        new ImageTransforms.Norm("vit", new float[] {0.5f}, new float[] {0.5f}));
    assertArrayEquals(Patches.patchify(generic, 4, Patches.Fit.ERROR).values(), fromBytes);
    // an RGB image of the wrong size is made grey, resized and cropped; a colour one uses luma
    BufferedImage rgb = new BufferedImage(56, 70, BufferedImage.TYPE_INT_RGB);
    rgb.setRGB(10, 10, 0xFF0000);
    Path big = dir.resolve("big.png");
    ImageIO.write(rgb, "png", big.toFile());
    assertEquals(49, GREY28.tokenize(big).count());
  }

  /** Pad, crop and flip written the plain way: a padded copy, a window of it, then a mirror. */
  static float[] reference(byte[] px, int c, int h, int w, int pad, int dy, int dx, boolean flip) {
    int ph = h + 2 * pad, pw = w + 2 * pad;
    float[] padded = new float[c * ph * pw];
    for (int ch = 0; ch < c; ch++) {
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          padded[(ch * ph + y + pad) * pw + x + pad] = (px[(ch * h + y) * w + x] & 0xFF) / 255f;
        }
      }
    }
    float[] out = new float[c * h * w];
    for (int ch = 0; ch < c; ch++) {
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          int sx = flip ? w - 1 - x : x;
          out[(ch * h + y) * w + x] = (padded[(ch * ph + y + dy) * pw + sx + dx] - 0.5f) * 2f;
        }
      }
    }
    return out;
  }

  @Property(tries = 60)
  void augmentationIsPadCropAndFlip(@ForAll @IntRange(min = 0, max = 4) int pad,
      @ForAll @IntRange(min = 0, max = 8) int dy, @ForAll @IntRange(min = 0, max = 8) int dx,
      @ForAll boolean flip, @ForAll boolean rgb) {
    int c = rgb ? 3 : 1;
    dy = Math.min(dy, 2 * pad);
    dx = Math.min(dx, 2 * pad);
    ImageFormat f = new ImageFormat(c, 12, 8, 4, ImageTransforms.Norm.VIT);
    byte[] px = randomImage(pad * 1000L + dy * 10 + dx, c * 12 * 8);
    float[] got = new float[f.tokens() * f.patchDim()];
    f.patches(px, 0, pad, dy, dx, flip, got, 0);
    Image expected = new Image(reference(px, c, 12, 8, pad, dy, dx, flip), c, 12, 8);
    assertArrayEquals(Patches.patchify(expected, 4, Patches.Fit.ERROR).values(), got);
  }

  @Test
  void formatsAreSavedBesideTheModelAndBadOnesRefused(@TempDir Path dir) throws Exception {
    GREY28.save(dir);
    ImageFormat back = ImageFormat.read(dir);
    assertEquals(GREY28.channels(), back.channels());
    assertEquals(28, back.height());
    assertEquals(4, back.patch());
    assertEquals("vit", back.norm().name());
    assertEquals(null, ImageFormat.read(dir.resolve("nothing")));
    Files.writeString(dir.resolve(ImageFormat.FILE_NAME), "{\"channels\": 1, \"height\": 28, \"width\": 28, \"patch\": 5}");
    var e = assertThrows(IllegalArgumentException.class, () -> ImageFormat.read(dir));
    assertTrue(e.getMessage().contains("does not divide into 5×5 patches"), e.getMessage());
  }
}
