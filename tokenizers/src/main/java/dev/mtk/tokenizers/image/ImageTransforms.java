package dev.mtk.tokenizers.image;

import java.util.Locale;

/**
 * Resize, centre crop and normalisation, the steps in front of a ViT. Resizing is bilinear and,
 * when shrinking, antialiased: the triangle filter is widened by the scale factor so that every
 * input pixel contributes (PIL's and torchvision's {@code antialias=True}), instead of sampling
 * two pixels and aliasing fine detail.
 */
public final class ImageTransforms {

  private ImageTransforms() {}

  /** Mean and standard deviation per RGB channel. */
  public record Norm(String name, float[] mean, float[] std) {
    public static final Norm VIT = new Norm("vit", new float[] {0.5f, 0.5f, 0.5f},
        new float[] {0.5f, 0.5f, 0.5f});
    public static final Norm IMAGENET = new Norm("imagenet", new float[] {0.485f, 0.456f, 0.406f},
        new float[] {0.229f, 0.224f, 0.225f});

    public static Norm named(String name) {
      return switch (name.toLowerCase(Locale.ROOT)) {
        case "vit" -> VIT;
        case "imagenet" -> IMAGENET;
        case "none" -> null;
        default -> throw new IllegalArgumentException("unknown normalisation '" + name
            + "': use vit, imagenet or none");
      };
    }
  }

  /** Resizes so that the shorter side is {@code size}, keeping the aspect ratio (rounded). */
  public static Image resizeShorter(Image img, int size) {
    int h = img.height(), w = img.width();
    if (h <= w) {
      return resize(img, size, Math.max(1, Math.round((float) w * size / h)));
    }
    return resize(img, Math.max(1, Math.round((float) h * size / w)), size);
  }

  /** The most floats a resized image (or its intermediate) may hold: 1 GB. */
  public static final long MAX_VALUES = 1L << 28;

  public static Image resize(Image img, int outH, int outW) {
    if (outH < 1 || outW < 1) {
      throw new IllegalArgumentException("cannot resize to " + outH + "×" + outW);
    }
    if (outH == img.height() && outW == img.width()) {
      return img;
    }
    int c = img.channels(), h = img.height(), w = img.width();
    long largest = Math.max((long) c * outH * outW, (long) c * h * outW);
    if (largest > MAX_VALUES) {
      throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "resizing %d×%d to "
          + "%d×%d would hold %,d values (%.1f GB); the limit is %,d (e.g. 9,000×9,000 RGB): "
          + "choose a smaller size", h, w, outH, outW, largest, largest * 4 / 1e9, MAX_VALUES));
    }
    // horizontal pass, then vertical: separable filter
    Weights wx = weights(w, outW), wy = weights(h, outH);
    float[] tmp = new float[c * h * outW];
    for (int ch = 0; ch < c; ch++) {
      for (int y = 0; y < h; y++) {
        int src = (ch * h + y) * w, dst = (ch * h + y) * outW;
        for (int x = 0; x < outW; x++) {
          float s = 0;
          for (int t = 0; t < wx.count[x]; t++) {
            s += wx.w[x * wx.stride + t] * img.data()[src + wx.first[x] + t];
          }
          tmp[dst + x] = s;
        }
      }
    }
    float[] out = new float[c * outH * outW];
    for (int ch = 0; ch < c; ch++) {
      for (int y = 0; y < outH; y++) {
        int dst = (ch * outH + y) * outW;
        for (int t = 0; t < wy.count[y]; t++) {
          float wt = wy.w[y * wy.stride + t];
          int src = (ch * h + wy.first[y] + t) * outW;
          for (int x = 0; x < outW; x++) {
            out[dst + x] += wt * tmp[src + x];
          }
        }
      }
    }
    return new Image(out, c, outH, outW);
  }

  /** For each output index: the first input index, how many inputs, and their weights. */
  private record Weights(int[] first, int[] count, float[] w, int stride) {}

  private static Weights weights(int in, int out) {
    double scale = (double) in / out;
    double support = Math.max(1.0, scale); // the triangle's radius in input pixels
    int stride = (int) Math.ceil(support) * 2 + 1;
    int[] first = new int[out], count = new int[out];
    float[] w = new float[out * stride];
    for (int o = 0; o < out; o++) {
      double center = (o + 0.5) * scale;
      int lo = Math.max(0, (int) Math.floor(center - support + 0.5));
      int hi = Math.min(in, (int) Math.floor(center + support + 0.5));
      double sum = 0;
      int n = Math.min(stride, hi - lo);
      for (int t = 0; t < n; t++) {
        double d = Math.abs(lo + t + 0.5 - center) / support;
        double v = Math.max(0, 1 - d);
        w[o * stride + t] = (float) v;
        sum += v;
      }
      for (int t = 0; t < n; t++) {
        w[o * stride + t] = sum > 0 ? (float) (w[o * stride + t] / sum) : 0f;
      }
      first[o] = lo;
      count[o] = n;
    }
    return new Weights(first, count, w, stride);
  }

  /** The central {@code outH × outW} region (the image must be at least that large). */
  public static Image centerCrop(Image img, int outH, int outW) {
    if (outH > img.height() || outW > img.width()) {
      throw new IllegalArgumentException("cannot crop " + img.height() + "×" + img.width()
          + " to " + outH + "×" + outW);
    }
    int top = (img.height() - outH) / 2, left = (img.width() - outW) / 2;
    return crop(img, top, left, outH, outW);
  }

  static Image crop(Image img, int top, int left, int outH, int outW) {
    int c = img.channels();
    float[] out = new float[c * outH * outW];
    for (int ch = 0; ch < c; ch++) {
      for (int y = 0; y < outH; y++) {
        System.arraycopy(img.data(), (ch * img.height() + top + y) * img.width() + left, out,
            (ch * outH + y) * outW, outW);
      }
    }
    return new Image(out, c, outH, outW);
  }

  /** Zero padding on the bottom and right up to {@code outH × outW}. */
  public static Image padTo(Image img, int outH, int outW) {
    int c = img.channels();
    float[] out = new float[c * outH * outW];
    for (int ch = 0; ch < c; ch++) {
      for (int y = 0; y < img.height(); y++) {
        System.arraycopy(img.data(), (ch * img.height() + y) * img.width(), out,
            (ch * outH + y) * outW, img.width());
      }
    }
    return new Image(out, c, outH, outW);
  }

  /** (x − mean) / std per channel, in a new image; null leaves the image as it is. */
  public static Image normalize(Image img, Norm norm) {
    if (norm == null) {
      return img;
    }
    if (img.channels() != norm.mean().length) {
      throw new IllegalArgumentException(norm.name() + " normalisation needs "
          + norm.mean().length + " channels, the image has " + img.channels());
    }
    float[] out = img.data().clone();
    int plane = img.height() * img.width();
    for (int ch = 0; ch < img.channels(); ch++) {
      float m = norm.mean()[ch], inv = 1f / norm.std()[ch];
      for (int i = ch * plane; i < (ch + 1) * plane; i++) {
        out[i] = (out[i] - m) * inv;
      }
    }
    return new Image(out, img.channels(), img.height(), img.width());
  }
}
