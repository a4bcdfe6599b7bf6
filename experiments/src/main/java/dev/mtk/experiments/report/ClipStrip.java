package dev.mtk.experiments.report;

import dev.mtk.training.data.LabelledImages;
import java.awt.image.BufferedImage;
import java.util.Base64;
import java.util.List;

/**
 * Video clips as people check them: a few clips, one row each, their frames left to right (grey,
 * scaled up), each row framed green when the model's label for it is right and red when not, with
 * the labels beside the picture. Drawn with the JDK alone, like {@link ImageGrid}.
 */
public final class ClipStrip {

  static final int SCALE = 2, FRAME = 2, GAP = 4;
  private static final int GREEN = 0x2ca02c, RED = 0xd62728;

  private ClipStrip() {}

  /**
   * @param clips grey clips held as planes: {@code frames} planes of height × width per clip
   * @param predicted the model's class of each clip (indexes into the clips' classes)
   */
  public static String section(LabelledImages clips, int frames, int[] predicted, int rows, String head) {
    int[] picked = new int[Math.min(rows, clips.count())];
    for (int i = 0; i < picked.length; i++) {
      picked[i] = (int) ((long) i * clips.count() / picked.length);
    }
    StringBuilder sb = new StringBuilder("<h2>Test clips, frame by frame</h2><p>Each row one clip's ")
        .append(frames).append(" frames; a green frame: the ").append(head)
        .append(" labels it right, red: wrong.</p><table><tr><td><img alt=\"clips\" src=\"data:image/png;base64,")
        .append(Base64.getEncoder().encodeToString(png(clips, frames, picked, predicted))).append("\"></td><td><pre>");
    List<String> names = clips.classes();
    for (int i : picked) {
      sb.append(Scatter.escape(names.get(clips.labels()[i]))).append(" → ").append(Scatter.escape(names.get(predicted[i]))).append('\n');
    }
    return sb.append("</pre></td></tr></table>").toString();
  }

  static byte[] png(LabelledImages clips, int frames, int[] picked, int[] predicted) {
    int h = clips.height() * SCALE, w = clips.width() * SCALE, plane = clips.height() * clips.width();
    int rowH = h + 2 * FRAME + GAP, width = frames * (w + GAP) + 2 * FRAME;
    BufferedImage img = new BufferedImage(width, picked.length * rowH, BufferedImage.TYPE_INT_RGB);
    byte[] px = clips.pixels();
    for (int r = 0; r < picked.length; r++) {
      int clip = picked[r], top = r * rowH;
      int colour = clips.labels()[clip] == predicted[clip] ? GREEN : RED;
      for (int y = 0; y < h + 2 * FRAME; y++) {
        for (int x = 0; x < width; x++) {
          img.setRGB(x, top + y, colour);
        }
      }
      for (int t = 0; t < frames; t++) {
        int left = FRAME + t * (w + GAP);
        for (int y = 0; y < h; y++) {
          for (int x = 0; x < w; x++) {
            int v = px[clip * clips.size() + t * plane + (y / SCALE) * clips.width() + x / SCALE] & 0xFF;
            img.setRGB(left + x, top + FRAME + y, v << 16 | v << 8 | v);
          }
        }
      }
    }
    return ImageGrid.encode(img);
  }

}
