package dev.mtk.tokenizers.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtk.tokenizers.FloatTokens;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What an image model takes, kept beside its weights (image.json) so that embedding an image
 * needs no flags: channels (1 grey, 3 RGB), height × width, the patch side, the normalisation.
 * Two ways in, the same numbers out: an image file (decoded, made grey or RGB, shorter side resized
 * and centre-cropped to height × width when it differs, normalised, cut into patches) and, for
 * training, unsigned-byte pixels with the seeded crop and flip of augmentation. A training image
 * saved as a PNG and embedded from the file gives the bits its bytes give.
 *
 * <p>A clip is the same with {@code frames} > 1: its first {@code frames} frames (a .y4m file, an
 * animated GIF or a folder of numbered frames),
 * each made grey or RGB and resized as an image is, held frame after frame; it is cut into
 * tubelets of {@code tubelet} frames × patch × patch (ViViT's tubelet embedding, {@link
 * dev.mtk.tokenizers.video.Tubelets}' order: time-major then raster, each flattened as (channel,
 * t, y, x)), and augmented by the same crop in every frame.
 */
public record ImageFormat(int channels, int height, int width, int patch, ImageTransforms.Norm norm,
    int frames, int tubelet) {

  public static final String FILE_NAME = "image.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A still image: one frame. */
  public ImageFormat(int channels, int height, int width, int patch, ImageTransforms.Norm norm) {
    this(channels, height, width, patch, norm, 1, 1);
  }

  public ImageFormat {
    if (frames < 1 || frames > 1024 || tubelet < 1 || frames % tubelet != 0) {
      throw new IllegalArgumentException(frames + " frames do not divide into tubelets of " + tubelet);
    }
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

  /** Patches (tubelets) per image (clip). */
  public int tokens() {
    return (frames / tubelet) * (height / patch) * (width / patch);
  }

  /** Values per patch: channels · tubelet · patch². */
  public int patchDim() {
    return channels * tubelet * patch * patch;
  }

  /** Bytes per image (clip): frames · channels · height · width. */
  public int size() {
    return frames * channels * height * width;
  }

  /**
   * An image file as patches of this format: its {@link #pixels} cut into patches, so that a file
   * embeds to exactly what the same file gives in training.
   */
  public FloatTokens tokenize(Path file) throws IOException {
    float[] out = new float[tokens() * patchDim()];
    patches(frames > 1 ? clip(file) : pixels(file, false), 0, 0, 0, 0, false, out, 0);
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
    if (frames > 1) {
      return clip(file);
    }
    Image img = ImageReader.read(file);
    if (channels == 1 && strict && !isGrey(img)) {
      throw ImageTokenizer.naming(file, new IllegalArgumentException("a colour image, but the images are grey "
          + "(channels: 1); make it grey or set channels: 3"));
    }
    byte[] out = new byte[channels * height * width];
    fit(img, file, out, 0);
    return out;
  }

  /**
   * A clip's first {@code frames} frames (.y4m, GIF, a folder of frames), each made grey or RGB and resized like an image,
   * as bytes frame after frame; a shorter clip is refused, naming the file.
   */
  public byte[] clip(Path file) throws IOException {
    var list = dev.mtk.tokenizers.video.VideoTokenizer.readFrames(file, 1, frames);
    if (list.size() < frames) {
      throw new IllegalArgumentException(file + ": " + list.size() + " frames; this model takes " + frames);
    }
    byte[] out = new byte[size()];
    for (int t = 0; t < frames; t++) {
      fit(list.get(t), file, out, t * channels * height * width);
    }
    return out;
  }

  /** One picture made grey (or kept RGB), resized to height × width, as 8-bit values at out[off]. */
  private void fit(Image img, Path file, byte[] out, int off) {
    try {
      if (channels == 1) {
        img = grey(img);
      }
      if (img.height() != height || img.width() != width) {
        img = height != width ? ImageTransforms.resize(img, height, width) : ImageTokenizer.square(img, height);
      }
    } catch (IllegalArgumentException e) {
      throw ImageTokenizer.naming(file, e);
    }
    float[] d = img.data();
    for (int i = 0, n = channels * height * width; i < n; i++) {
      out[off + i] = (byte) Math.round(Math.min(1f, Math.max(0f, d[i])) * 255f);
    }
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
    int gw = width / patch, gh = height / patch, plane = height * width, dim = patchDim(), pp = patch * patch;
    ImageTransforms.Norm n = channels == 1 ? grey(norm) : norm;
    for (int f = 0; f < frames; f++) {
      int frame = from + f * channels * plane, it = f / tubelet, dt = f % tubelet;
      for (int ch = 0; ch < channels; ch++) {
        float m = n.mean()[ch], inv = 1f / n.std()[ch];
        float zero = (0f - m) * inv;
        for (int y = 0; y < height; y++) {
          int sy = y + dy - pad;
          for (int x = 0; x < width; x++) {
            int xx = flip ? width - 1 - x : x;
            int sx = xx + dx - pad;
            float v = sy < 0 || sy >= height || sx < 0 || sx >= width ? zero
                : ((px[frame + ch * plane + sy * width + sx] & 0xFF) / 255f - m) * inv;
            int t = (it * gh + y / patch) * gw + x / patch;
            out[off + t * dim + (ch * tubelet + dt) * pp + (y % patch) * patch + x % patch] = v;
          }
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
    if (frames > 1) {
      o.put("frames", frames).put("tubelet", tubelet);
    }
    dev.mtk.core.io.AtomicFile.write(modelDir.resolve(FILE_NAME),
        JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(o));
  }

  /** The model directory's image.json, or null when it has none (a text model). */
  public static ImageFormat read(Path modelDir) throws IOException {
    Path f = modelDir.resolve(FILE_NAME);
    JsonNode o = dev.mtk.tokenizers.FormatFile.read(f);
    if (o == null) {
      return null;
    }
    try {
      dev.mtk.tokenizers.FormatFile.wholeNumbers(o, true, "channels", "height", "width", "patch");
      dev.mtk.tokenizers.FormatFile.wholeNumbers(o, false, "frames", "tubelet");
      return new ImageFormat(o.get("channels").asInt(), o.get("height").asInt(), o.get("width").asInt(),
          o.get("patch").asInt(), ImageTransforms.Norm.named(o.path("norm").asText("none")
              .toLowerCase(Locale.ROOT)), o.path("frames").asInt(1), o.path("tubelet").asInt(1));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(f + ": " + e.getMessage());
    }
  }
}
