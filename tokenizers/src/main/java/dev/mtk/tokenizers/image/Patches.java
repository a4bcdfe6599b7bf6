package dev.mtk.tokenizers.image;

import dev.mtk.tokenizers.FloatTokens;

/**
 * ViT patches: p×p squares in row-major raster order, each flattened as (channel, y, x), the
 * order of a PyTorch {@code Conv2d(C, D, kernel_size=p, stride=p)} weight's input dimensions, so
 * the encoder's patch projection can load such a weight reshaped to D × (C·p·p).
 */
public final class Patches {

  private Patches() {}

  /** What to do when a side is not a multiple of the patch size. */
  public enum Fit { ERROR, CROP, PAD }

  public static FloatTokens patchify(Image img, int p, Fit fit) {
    if (p < 1) {
      throw new IllegalArgumentException("patch size must be at least 1, got " + p);
    }
    if (img.height() < p || img.width() < p) {
      throw new IllegalArgumentException("a " + img.height() + "×" + img.width()
          + " image is smaller than one " + p + "×" + p + " patch");
    }
    if (img.height() % p != 0 || img.width() % p != 0) {
      img = switch (fit) {
        case CROP -> ImageTransforms.crop(img, 0, 0, img.height() / p * p, img.width() / p * p);
        case PAD -> ImageTransforms.padTo(img, (img.height() + p - 1) / p * p,
            (img.width() + p - 1) / p * p);
        case ERROR -> throw new IllegalArgumentException(img.height() + "×" + img.width()
            + " is not a multiple of the patch size " + p + " (resize it, or crop or pad)");
      };
    }
    int c = img.channels(), gh = img.height() / p, gw = img.width() / p, dim = c * p * p;
    float[] out = new float[gh * gw * dim];
    float[] src = img.data();
    for (int py = 0; py < gh; py++) {
      for (int px = 0; px < gw; px++) {
        int t = (py * gw + px) * dim;
        for (int ch = 0; ch < c; ch++) {
          for (int y = 0; y < p; y++) {
            System.arraycopy(src, (ch * img.height() + py * p + y) * img.width() + px * p, out,
                t + (ch * p + y) * p, p);
          }
        }
      }
    }
    return new FloatTokens(out, gh * gw, dim);
  }

  /** The exact inverse of {@link #patchify} for an image of the given size (multiples of p). */
  public static Image unpatchify(FloatTokens tokens, int channels, int height, int width, int p) {
    int gh = height / p, gw = width / p;
    if (height % p != 0 || width % p != 0 || tokens.count() != gh * gw
        || tokens.dim() != channels * p * p) {
      throw new IllegalArgumentException(tokens.count() + " tokens of " + tokens.dim()
          + " do not make a " + channels + "×" + height + "×" + width + " image of " + p + "×" + p
          + " patches");
    }
    float[] out = new float[channels * height * width];
    for (int py = 0; py < gh; py++) {
      for (int px = 0; px < gw; px++) {
        int t = (py * gw + px) * tokens.dim();
        for (int ch = 0; ch < channels; ch++) {
          for (int y = 0; y < p; y++) {
            System.arraycopy(tokens.values(), t + (ch * p + y) * p, out,
                (ch * height + py * p + y) * width + px * p, p);
          }
        }
      }
    }
    return new Image(out, channels, height, width);
  }
}
