package dev.mtk.tokenizers.video;

/**
 * Frames of equal size, each CHW floats: value of frame t, channel c at (y, x) is
 * {@code data[((t·channels + c)·height + y)·width + x]}.
 */
public record Video(float[] data, int frames, int channels, int height, int width) {

  public Video {
    if (frames < 1 || channels < 1 || height < 1 || width < 1
        || (long) frames * channels * height * width != data.length) {
      throw new IllegalArgumentException(frames + "×" + channels + "×" + height + "×" + width
          + " does not match " + data.length + " values");
    }
  }
}
