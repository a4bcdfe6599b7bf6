package dev.mtk.tokenizers.image;

import dev.mtk.tokenizers.MediaFormatException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.stream.ImageInputStream;

/**
 * PNG, JPEG, BMP and GIF through javax.imageio, to RGB floats in [0, 1] (CHW). Grayscale images
 * are replicated to three channels and an alpha channel is dropped, as PIL's
 * {@code convert("RGB")} does, so that every image fits a three-channel patch projection.
 */
public final class ImageReader {

  /**
   * Pixels a frame may have: its size comes from the file's header, and the decoded floats take
   * 12 bytes a pixel — a 20-byte PNG may claim 100,000 × 100,000.
   */
  public static final long MAX_PIXELS = 100_000_000L;

  private ImageReader() {}

  /** Width and height of the first frame, read from the header without decoding the pixels. */
  public static int[] size(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file);
        ImageInputStream iis = ImageIO.createImageInputStream(in)) {
      var readers = ImageIO.getImageReaders(iis);
      if (!readers.hasNext()) {
        throw new MediaFormatException(file, "not an image javax.imageio can read (PNG, JPEG, BMP or GIF)");
      }
      javax.imageio.ImageReader reader = readers.next();
      try {
        reader.setInput(iis);
        return new int[] {reader.getWidth(0), reader.getHeight(0)};
      } catch (IOException | RuntimeException e) {
        throw new MediaFormatException(file, "corrupt or truncated " + reader.getFormatName() + " (" + e.getMessage() + ")");
      } finally {
        reader.dispose();
      }
    }
  }

  public static Image read(Path file) throws IOException {
    List<Image> frames = frames(file, 1);
    return frames.get(0);
  }

  /** Up to {@code max} frames (an animated GIF has several; other formats one). */
  public static List<Image> frames(Path file, int max) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "no such image file");
    }
    if (Files.size(file) == 0) {
      throw new MediaFormatException(file, "empty file");
    }
    List<Image> out = new ArrayList<>();
    try (InputStream in = Files.newInputStream(file);
        ImageInputStream iis = ImageIO.createImageInputStream(in)) {
      var readers = ImageIO.getImageReaders(iis);
      if (!readers.hasNext()) {
        throw new MediaFormatException(file, "not an image javax.imageio can read "
            + "(PNG, JPEG, BMP or GIF)");
      }
      javax.imageio.ImageReader reader = readers.next();
      try {
        reader.setInput(iis);
        int n = reader.getNumImages(true);
        for (int i = 0; i < Math.min(n, max); i++) {
          long px = (long) reader.getWidth(i) * reader.getHeight(i);
          if (px > MAX_PIXELS) {
            throw new MediaFormatException(file, reader.getWidth(i) + " × " + reader.getHeight(i)
                + " pixels, more than the " + MAX_PIXELS / 1_000_000 + " million mtk decodes");
          }
          out.add(toFloat(reader.read(i)));
        }
      } catch (MediaFormatException e) {
        throw e;
      } catch (IOException | RuntimeException e) {
        throw new MediaFormatException(file, "corrupt or truncated " + reader.getFormatName()
            + " (" + e.getMessage() + ")");
      } finally {
        reader.dispose();
      }
    }
    if (out.isEmpty()) {
      throw new MediaFormatException(file, "holds no image");
    }
    return out;
  }

  /** Any BufferedImage to RGB floats in [0, 1]; its alpha is dropped. */
  public static Image toFloat(BufferedImage img) {
    int h = img.getHeight(), w = img.getWidth();
    float[] data = new float[3 * h * w];
    var cm = img.getColorModel();
    if (cm.getColorSpace().getType() == java.awt.color.ColorSpace.TYPE_GRAY
        && !(cm instanceof java.awt.image.IndexColorModel)) {
      // Gray samples as stored: getRGB would treat them as linear light and brighten them on the
      // way to sRGB, which no other image library does.
      var raster = img.getRaster();
      float max = (1 << cm.getComponentSize(0)) - 1;
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          float v = raster.getSample(x, y, 0) / max;
          data[y * w + x] = v;
          data[(h + y) * w + x] = v;
          data[(2 * h + y) * w + x] = v;
        }
      }
      return new Image(data, 3, h, w);
    }
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      // getRGB converts every colour model (gray, indexed, 16-bit) to sRGB 8-bit ARGB
      img.getRGB(0, y, w, 1, row, 0, w);
      for (int x = 0; x < w; x++) {
        int p = row[x];
        data[y * w + x] = ((p >> 16) & 0xFF) / 255f;
        data[(h + y) * w + x] = ((p >> 8) & 0xFF) / 255f;
        data[(2 * h + y) * w + x] = (p & 0xFF) / 255f;
      }
    }
    return new Image(data, 3, h, w);
  }
}
