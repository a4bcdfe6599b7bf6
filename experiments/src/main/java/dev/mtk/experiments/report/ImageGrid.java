package dev.mtk.experiments.report;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.inference.Embeddings;
import dev.mtk.training.data.LabelledImages;
import dev.mtk.training.eval.Classification;
import dev.mtk.training.train.Trainer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.Locale;

/**
 * Retrieval as people check it: a few test images, each followed by its nearest training images
 * at a prefix size, one row per image, drawn into a PNG with the JDK alone (no fonts, so it works
 * headless anywhere). A neighbour of the same class gets a green frame, of another class a red one.
 */
public final class ImageGrid {

  static final int SCALE = 2, FRAME = 2, GAP = 6;
  private static final int GREEN = 0x2ca02c, RED = 0xd62728, WHITE = 0xffffff;

  private ImageGrid() {}

  /**
   * An HTML section: for each size in {@code dims}, a grid of {@code queries} test images (spread
   * evenly over the split) and their {@code k} nearest references, with how many neighbours share
   * the query's class.
   */
  public static String section(WorkerPool pool, Trainer.Features f, int[] dims, int queries, int k) {
    LabelledImages ref = f.referenceImages(), test = f.queryImages();
    int[] picked = new int[Math.min(queries, test.count())];
    for (int i = 0; i < picked.length; i++) {
      picked[i] = (int) ((long) i * test.count() / picked.length);
    }
    StringBuilder sb = new StringBuilder("<h1>Nearest training images</h1><p>Test images (left, "
        + "framed white) and their nearest training images by cosine at each size; a green frame "
        + "marks the same class, red another.</p>");
    for (int m : dims) {
      int[] nn = neighbours(pool, f, picked, m, k);
      int same = 0;
      for (int i = 0; i < picked.length; i++) {
        for (int j = 0; j < k; j++) {
          same += ref.labels()[nn[i * k + j]] == test.labels()[picked[i]] ? 1 : 0;
        }
      }
      sb.append(String.format(Locale.ROOT, "<h2>%d dimensions: %d of %d neighbours share the class</h2>",
          m, same, picked.length * k));
      sb.append("<img alt=\"nearest neighbours at ").append(m).append(" dimensions\" src=\"data:image/png;base64,")
          .append(Base64.getEncoder().encodeToString(png(ref, test, picked, nn, k))).append("\">");
    }
    return sb.toString();
  }

  /** The k nearest references of each picked query at prefix m: [picked · k] reference rows. */
  static int[] neighbours(WorkerPool pool, Trainer.Features f, int[] picked, int m, int k) {
    int w = f.width();
    float[] q = new float[picked.length * w];
    for (int i = 0; i < picked.length; i++) {
      System.arraycopy(f.queries(), picked[i] * w, q, i * w, w);
    }
    int refs = f.referenceLabels().length;
    return Classification.neighbours(pool, Embeddings.normalizedPrefix(f.references(), refs, w, m), refs,
        Embeddings.normalizedPrefix(q, picked.length, w, m), picked.length, m, k);
  }

  /** Rows of [query | k neighbours], each image scaled up and framed by its match. */
  static byte[] png(LabelledImages ref, LabelledImages test, int[] picked, int[] nn, int k) {
    int h = test.height() * SCALE, w = test.width() * SCALE, cell = w + 2 * FRAME;
    int width = cell * (k + 1) + GAP, height = picked.length * (h + 2 * FRAME + GAP);
    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        img.setRGB(x, y, 0x303030);
      }
    }
    for (int i = 0; i < picked.length; i++) {
      int top = i * (h + 2 * FRAME + GAP);
      draw(img, test, picked[i], 0, top, WHITE);
      for (int j = 0; j < k; j++) {
        int r = nn[i * k + j];
        int color = ref.labels()[r] == test.labels()[picked[i]] ? GREEN : RED;
        draw(img, ref, r, cell * (j + 1) + GAP, top, color);
      }
    }
    return encode(img);
  }

  /** A picture as PNG bytes. */
  static byte[] encode(BufferedImage img) {
    var out = new ByteArrayOutputStream();
    try {
      javax.imageio.ImageIO.write(img, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Image {@code row} at (x, y) inside a frame; grey images as grey, 3 channels as RGB. */
  private static void draw(BufferedImage img, LabelledImages images, int row, int x, int y, int frame) {
    int ih = images.height(), iw = images.width(), c = images.channels(), base = row * images.size();
    int fw = iw * SCALE + 2 * FRAME, fh = ih * SCALE + 2 * FRAME;
    for (int dy = 0; dy < fh; dy++) {
      for (int dx = 0; dx < fw; dx++) {
        img.setRGB(x + dx, y + dy, frame);
      }
    }
    byte[] px = images.pixels();
    for (int py = 0; py < ih * SCALE; py++) {
      for (int pxl = 0; pxl < iw * SCALE; pxl++) {
        int sy = py / SCALE, sx = pxl / SCALE, rgb = 0;
        for (int ch = 0; ch < 3; ch++) {
          int v = px[base + (c == 1 ? 0 : ch) * ih * iw + sy * iw + sx] & 0xff;
          rgb = rgb << 8 | v;
        }
        img.setRGB(x + FRAME + pxl, y + FRAME + py, rgb);
      }
    }
  }
}
