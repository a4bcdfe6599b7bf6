package dev.mtk.tokenizers.video;

import dev.mtk.tokenizers.FloatTokens;
import dev.mtk.tokenizers.image.Image;
import dev.mtk.tokenizers.image.ImageReader;
import dev.mtk.tokenizers.image.ImageTokenizer;
import dev.mtk.tokenizers.image.ImageTransforms;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * A video to ViViT tubelets, as a pipeline: a .y4m (4:2:0 or 4:4:4, BT.601 limited range), an
 * animated GIF or a folder of numbered frames → every {@code every}-th frame → {@code frames}
 * of them spread uniformly (0: all) → resize and centre crop ({@code size} 0: keep) → normalise →
 * t×p×p tubelets, time-major then raster order, each flattened (channel, t, y, x). Frames past the
 * last whole tubelet are dropped ({@link Result#dropped}).
 */
public record VideoTokenizer(int frames, int every, int size, int tubeletFrames, int patch,
    ImageTransforms.Norm norm) {

  public VideoTokenizer {
    if (every < 1 || frames < 0 || size < 0 || tubeletFrames < 1 || patch < 1) {
      throw new IllegalArgumentException("every, the tubelet's frames and its patch must be at "
          + "least 1, frames and size 0 or more");
    }
  }

  /** The tokens, and how many sampled frames did not fill a last tubelet. */
  public record Result(FloatTokens tokens, int used, int dropped) {}

  /** "TxPxP", e.g. 2x16x16: the tubelet's frames and its square patch. */
  public static int[] parseTubelet(String s) {
    String[] tp = s.toLowerCase(Locale.ROOT).split("x");
    try {
      if (tp.length == 3 && tp[1].equals(tp[2])) {
        int t = Integer.parseInt(tp[0]), p = Integer.parseInt(tp[1]);
        if (t >= 1 && p >= 1) {
          return new int[] {t, p};
        }
      }
    } catch (NumberFormatException e) {
      // the message below
    }
    throw new IllegalArgumentException("a tubelet is TxPxP with whole numbers of at least 1, e.g. 2x16x16, not '" + s + "'");
  }

  public Result tokenize(Path input) throws IOException {
    List<Image> list = readFrames(input);
    if (frames > 0 && frames < list.size()) {
      List<Image> picked = new ArrayList<>();
      for (int i = 0; i < frames; i++) {
        picked.add(list.get(frames == 1 ? 0 : (int) Math.round((double) i * (list.size() - 1) / (frames - 1))));
      }
      list = picked;
    }
    int t = tubeletFrames;
    int keep = list.size() / t * t;
    if (keep == 0) {
      throw new IllegalArgumentException(input + ": " + list.size() + " frame(s), fewer than one "
          + "tubelet of " + t);
    }
    Image first = null;
    float[] data = null;
    for (int i = 0; i < keep; i++) {
      Image img = list.get(i);
      if (size > 0) {
        img = ImageTokenizer.square(img, size);
      }
      img = ImageTransforms.normalize(img, norm);
      if (first == null) {
        first = img;
        data = new float[keep * img.data().length];
      } else if (img.height() != first.height() || img.width() != first.width()) {
        throw new IllegalArgumentException(input + ": frame " + i + " is " + img.height() + "×"
            + img.width() + ", frame 0 " + first.height() + "×" + first.width() + " (resize them)");
      }
      System.arraycopy(img.data(), 0, data, i * img.data().length, img.data().length);
    }
    Video v = new Video(data, keep, first.channels(), first.height(), first.width());
    try {
      return new Result(Tubelets.tubeletize(v, t, patch), keep, list.size() - keep);
    } catch (IllegalArgumentException e) {
      throw ImageTokenizer.naming(input, e);
    }
  }

  private List<Image> readFrames(Path input) throws IOException {
    return readFrames(input, every, Integer.MAX_VALUE);
  }

  /**
   * Every {@code every}-th frame, at most {@code max} of them, of a .y4m file, an animated GIF or
   * a folder of numbered PNG/JPEG/BMP/GIF frames (sorted by the number in the name).
   */
  public static List<Image> readFrames(Path input, int every, int max) throws IOException {
    List<Image> out = new ArrayList<>();
    String name = input.getFileName().toString().toLowerCase(Locale.ROOT);
    if (Files.isDirectory(input)) {
      List<Path> files;
      try (Stream<Path> s = Files.list(input)) {
        files = s.filter(f -> f.getFileName().toString().toLowerCase(Locale.ROOT)
            .matches(".*\\.(png|jpe?g|bmp|gif)")).sorted(VideoTokenizer::byNumber).toList();
      }
      if (files.isEmpty()) {
        throw new IllegalArgumentException(input + ": no PNG, JPEG, BMP or GIF frames in this folder");
      }
      for (int i = 0; i < files.size() && out.size() < max; i += every) {
        out.add(ImageReader.read(files.get(i)));
      }
    } else if (name.endsWith(".gif")) {
      List<Image> all = ImageReader.frames(input, max == Integer.MAX_VALUE ? max : (max - 1) * every + 1);
      for (int i = 0; i < all.size() && out.size() < max; i += every) {
        out.add(all.get(i));
      }
    } else {
      Video v = Y4mReader.read(input, every, max);
      int plane = v.channels() * v.height() * v.width();
      for (int i = 0; i < v.frames(); i++) {
        out.add(new Image(java.util.Arrays.copyOfRange(v.data(), i * plane, (i + 1) * plane),
            v.channels(), v.height(), v.width()));
      }
    }
    return out;
  }

  /** frame2.png before frame10.png: compare the digits as numbers. */
  public static int byNumber(Path a, Path b) {
    String x = a.getFileName().toString(), y = b.getFileName().toString();
    String dx = x.replaceAll("\\D+", ""), dy = y.replaceAll("\\D+", "");
    if (!dx.isEmpty() && !dy.isEmpty() && dx.length() < 18 && dy.length() < 18) {
      int c = Long.compare(Long.parseLong(dx), Long.parseLong(dy));
      if (c != 0) {
        return c;
      }
    }
    return x.compareTo(y);
  }
}
