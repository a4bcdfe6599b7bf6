package dev.mtk.tokenizers.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtk.tokenizers.FloatTokens;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What an image model takes, kept beside its weights (image.json) so that embedding an image
 * needs no flags: channels (1 grey, 3 RGB), height × width, the patch side, the normalisation.
 * Two ways in, the same numbers out: an image file (decoded, made grey or RGB, shorter side resized
 * and centre-cropped to height × width when it differs, normalised, cut into patches) and, for
 * training, unsigned-byte pixels with the seeded crop and flip of augmentation. A training image
 * saved as a PNG and embedded from the file gives the bits its bytes give.
 */
public record ImageFormat(int channels, int height, int width, int patch, ImageTransforms.Norm norm) {

  public static final String FILE_NAME = "image.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  public ImageFormat {
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException("channels must be 1 (grey) or 3 (RGB), got " + channels);
    }
    if (patch < 1 || height < patch || width < patch || height % patch != 0 || width % patch != 0) {
      throw new IllegalArgumentException("a " + height + "×" + width + " image does not divide into "
          + patch + "×" + patch + " patches");
    }
    if (norm == null) {
      norm = new ImageTransforms.Norm("none", new float[] {0f, 0f, 0f}, new float[] {1f, 1f, 1f});
    }
  }

  /** Patches per image. */
  public int tokens() {
    return (height / patch) * (width / patch);
  }

  /** Values per patch: channels · patch². */
  public int patchDim() {
    return channels * patch * patch;
  }

  /**
   * An image file as patches of this format: its {@link #pixels} cut into patches, so that a file
   * embeds to exactly what the same file gives in training.
   */
  public FloatTokens tokenize(Path file) throws IOException {
    float[] out = new float[tokens() * patchDim()];
    patches(pixels(file, false), 0, 0, 0, 0, false, out, 0);
    return new FloatTokens(out, tokens(), patchDim());
  }

  /**
   * An image file decoded to this format's unsigned bytes (channels × height × width): made grey
   * or RGB, its shorter side resized and centre-cropped to height × width when it differs, each
   * value rounded to 8 bits as image libraries store it. A grey image fills three channels; a
   * colour image for a grey format becomes ITU-R 601 luma, or with {@code strict} (training data,
   * where it is most likely a stray file) an error naming the file.
   */
  public byte[] pixels(Path file, boolean strict) throws IOException {
    Image img = ImageReader.read(file);
    try {
      if (channels == 1) {
        if (strict && !isGrey(img)) {
          throw new IllegalArgumentException("a colour image, but the images are grey (channels: 1); "
              + "make it grey or set channels: 3");
        }
        img = grey(img);
      }
      if (img.height() != height || img.width() != width) {
        img = height != width ? ImageTransforms.resize(img, height, width) : ImageTokenizer.square(img, height);
      }
    } catch (IllegalArgumentException e) {
      throw ImageTokenizer.naming(file, e);
    }
    float[] d = img.data();
    byte[] out = new byte[channels * height * width];
    for (int i = 0; i < out.length; i++) {
      out[i] = (byte) Math.round(Math.min(1f, Math.max(0f, d[i])) * 255f);
    }
    return out;
  }

  private static boolean isGrey(Image img) {
    if (img.channels() == 1) {
      return true;
    }
    int plane = img.height() * img.width();
    float[] d = img.data();
    for (int i = 0; i < plane; i++) {
      if (d[i] != d[plane + i] || d[i] != d[2 * plane + i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * Unsigned-byte pixels of one image (channels × height × width at {@code px[from]}) as patches
   * written to {@code out[off]} (tokens() × patchDim() values). The image is first padded with
   * {@code pad} zeros on every side and the height × width window at (dy, dx) of the padded
   * image taken (0 ≤ dy, dx ≤ 2·pad; (pad, pad) is the image itself), then mirrored left to
   * right when {@code flip}: torchvision's RandomCrop(padding) and RandomHorizontalFlip.
   */
  public void patches(byte[] px, int from, int pad, int dy, int dx, boolean flip, float[] out, int off) {
    int gw = width / patch, plane = height * width, dim = patchDim();
    ImageTransforms.Norm n = channels == 1 ? grey(norm) : norm;
    for (int ch = 0; ch < channels; ch++) {
      float m = n.mean()[ch], inv = 1f / n.std()[ch];
      float zero = (0f - m) * inv;
      for (int y = 0; y < height; y++) {
        int sy = y + dy - pad;
        for (int x = 0; x < width; x++) {
          int xx = flip ? width - 1 - x : x;
          int sx = xx + dx - pad;
          float v = sy < 0 || sy >= height || sx < 0 || sx >= width ? zero
              : ((px[from + ch * plane + sy * width + sx] & 0xFF) / 255f - m) * inv;
          int t = (y / patch) * gw + x / patch;
          out[off + t * dim + (ch * patch + y % patch) * patch + x % patch] = v;
        }
      }
    }
  }

  /** The first channel's mean and std, for one grey channel. */
  private static ImageTransforms.Norm grey(ImageTransforms.Norm n) {
    return new ImageTransforms.Norm(n.name(), new float[] {n.mean()[0]}, new float[] {n.std()[0]});
  }

  /**
   * One grey channel: a grey image's own samples (decoded grey images arrive as three equal
   * channels), else ITU-R 601 luma (0.299 R + 0.587 G + 0.114 B), as PIL's convert("L").
   */
  static Image grey(Image img) {
    if (img.channels() == 1) {
      return img;
    }
    int plane = img.height() * img.width();
    float[] d = img.data(), out = new float[plane];
    for (int i = 0; i < plane; i++) {
      float r = d[i], g = d[plane + i], b = d[2 * plane + i];
      out[i] = r == g && g == b ? r : 0.299f * r + 0.587f * g + 0.114f * b;
    }
    return new Image(out, 1, img.height(), img.width());
  }

  public void save(Path modelDir) throws IOException {
    var o = JSON.createObjectNode().put("channels", channels).put("height", height).put("width", width)
        .put("patch", patch).put("norm", norm.name());
    dev.mtk.core.io.AtomicFile.write(modelDir.resolve(FILE_NAME),
        JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(o));
  }

  /** The model directory's image.json, or null when it has none (a text model). */
  public static ImageFormat read(Path modelDir) throws IOException {
    Path f = modelDir.resolve(FILE_NAME);
    if (!Files.isRegularFile(f)) {
      return null;
    }
    JsonNode o;
    try {
      o = JSON.readTree(f.toFile());
    } catch (IOException e) {
      throw new IllegalArgumentException(f + ": not valid JSON (" + e.getMessage().split("\n")[0] + ")");
    }
    try {
      for (String k : new String[] {"channels", "height", "width", "patch"}) {
        if (o == null || !o.path(k).canConvertToInt() || !o.path(k).isIntegralNumber()) {
          throw new IllegalArgumentException("\"" + k + "\" must be a whole number");
        }
      }
      return new ImageFormat(o.get("channels").asInt(), o.get("height").asInt(), o.get("width").asInt(),
          o.get("patch").asInt(), ImageTransforms.Norm.named(o.path("norm").asText("none")
              .toLowerCase(Locale.ROOT)));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(f + ": " + e.getMessage());
    }
  }
}
