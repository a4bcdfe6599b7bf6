package dev.mtk.tokenizers.video;

import dev.mtk.tokenizers.FloatTokens;

/**
 * ViViT / VideoMAE tubelets: t×p×p blocks in time-major, then raster order, each flattened as
 * (channel, t, y, x), the order of a PyTorch {@code Conv3d(C, D, kernel_size=(t, p, p),
 * stride=(t, p, p))} weight's input dimensions.
 */
public final class Tubelets {

  private Tubelets() {}

  public static FloatTokens tubeletize(Video v, int t, int p) {
    if (t < 1 || p < 1) {
      throw new IllegalArgumentException("tubelet " + t + "x" + p + "x" + p + " must be positive");
    }
    if (v.frames() % t != 0 || v.height() % p != 0 || v.width() % p != 0) {
      throw new IllegalArgumentException(v.frames() + " frames of " + v.height() + "×" + v.width()
          + " are not multiples of the tubelet " + t + "x" + p + "x" + p
          + " (choose the frames and the size to fit)");
    }
    int c = v.channels(), gt = v.frames() / t, gh = v.height() / p, gw = v.width() / p;
    int dim = c * t * p * p;
    float[] out = new float[gt * gh * gw * dim];
    for (int it = 0; it < gt; it++) {
      for (int iy = 0; iy < gh; iy++) {
        for (int ix = 0; ix < gw; ix++) {
          int tok = ((it * gh + iy) * gw + ix) * dim;
          for (int ch = 0; ch < c; ch++) {
            for (int dt = 0; dt < t; dt++) {
              for (int y = 0; y < p; y++) {
                int src = (((it * t + dt) * c + ch) * v.height() + iy * p + y) * v.width() + ix * p;
                System.arraycopy(v.data(), src, out, tok + ((ch * t + dt) * p + y) * p, p);
              }
            }
          }
        }
      }
    }
    return new FloatTokens(out, gt * gh * gw, dim);
  }

  /** The exact inverse of {@link #tubeletize}. */
  public static Video untubeletize(FloatTokens tokens, int frames, int channels, int height,
      int width, int t, int p) {
    int gt = frames / t, gh = height / p, gw = width / p, dim = channels * t * p * p;
    if (frames % t != 0 || height % p != 0 || width % p != 0 || tokens.count() != gt * gh * gw
        || tokens.dim() != dim) {
      throw new IllegalArgumentException("tokens do not make that video");
    }
    float[] out = new float[frames * channels * height * width];
    for (int it = 0; it < gt; it++) {
      for (int iy = 0; iy < gh; iy++) {
        for (int ix = 0; ix < gw; ix++) {
          int tok = ((it * gh + iy) * gw + ix) * dim;
          for (int ch = 0; ch < channels; ch++) {
            for (int dt = 0; dt < t; dt++) {
              for (int y = 0; y < p; y++) {
                int dst = (((it * t + dt) * channels + ch) * height + iy * p + y) * width + ix * p;
                System.arraycopy(tokens.values(), tok + ((ch * t + dt) * p + y) * p, out, dst, p);
              }
            }
          }
        }
      }
    }
    return new Video(out, frames, channels, height, width);
  }
}
