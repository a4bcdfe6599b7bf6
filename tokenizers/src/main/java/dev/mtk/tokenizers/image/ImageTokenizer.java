package dev.mtk.tokenizers.image;

import dev.mtk.tokenizers.FloatTokens;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * An image file to ViT patches, as a pipeline: decode to RGB in [0, 1] → optional resize of the
 * shorter side and centre crop (the ViT evaluation transform) → normalise → p×p patches in
 * raster order, each flattened (channel, y, x).
 *
 * @param size the square side after resize and crop, or 0 to keep the image's size
 */
public record ImageTokenizer(int size, int patch, ImageTransforms.Norm norm, Patches.Fit fit) {

  public ImageTokenizer {
    if (size < 0 || patch < 1) {
      throw new IllegalArgumentException("size must be 0 or more and patch at least 1, got size "
          + size + ", patch " + patch);
    }
  }

  /** error, crop or pad. */
  public static Patches.Fit fit(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "error" -> Patches.Fit.ERROR;
      case "crop" -> Patches.Fit.CROP;
      case "pad" -> Patches.Fit.PAD;
      default -> throw new IllegalArgumentException("fit must be error, crop or pad, got " + name);
    };
  }

  /** Shorter side to size, then the central size × size. */
  public static Image square(Image img, int size) {
    return ImageTransforms.centerCrop(ImageTransforms.resizeShorter(img, size), size, size);
  }

  public FloatTokens tokenize(Path file) throws IOException {
    Image img = ImageReader.read(file);
    if (size > 0) {
      img = square(img, size);
    }
    img = ImageTransforms.normalize(img, norm);
    if (fit == Patches.Fit.ERROR && img.height() >= patch && img.width() >= patch
        && (img.height() % patch != 0 || img.width() % patch != 0)) {
      throw new IllegalArgumentException(file + " is " + img.height() + "×" + img.width()
          + ", not a multiple of the patch size " + patch + ": resize it (size), or set fit to crop or pad");
    }
    try {
      return Patches.patchify(img, patch, fit);
    } catch (IllegalArgumentException e) {
      throw naming(file, e);
    }
  }

  /** Problems with the content (too small, wrong shape) name the file, as format errors do. */
  public static IllegalArgumentException naming(Path file, IllegalArgumentException e) {
    String m = e.getMessage();
    return m != null && m.contains(file.toString()) ? e : new IllegalArgumentException(file + ": " + m, e);
  }
}
