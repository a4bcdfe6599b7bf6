package dev.mtk.tokenizers.image;

/**
 * A float image in CHW order (channel planes, each row-major), the layout PyTorch uses: value of
 * channel c at (y, x) is {@code data[(c·height + y)·width + x]}.
 */
public record Image(float[] data, int channels, int height, int width) {

  public Image {
    if (channels < 1 || height < 1 || width < 1 || (long) channels * height * width != data.length) {
      throw new IllegalArgumentException(channels + "×" + height + "×" + width + " does not match "
          + data.length + " values");
    }
  }

  public float get(int c, int y, int x) {
    return data[(c * height + y) * width + x];
  }
}
