package dev.mtk.tokenizers.audio;

import dev.mtk.tokenizers.FloatTokens;

/**
 * Raw waveform frames: windows of {@code window} samples every {@code hop}, no padding, so n
 * samples give 1 + ⌊(n − window) / hop⌋ frames (wav2vec2's convolutional front end sees 400/320
 * at 16 kHz: a 25 ms receptive field every 20 ms).
 */
public final class Frames {

  private Frames() {}

  public static FloatTokens frame(Audio audio, int window, int hop) {
    if (window < 1 || hop < 1) {
      throw new IllegalArgumentException("window and hop must be positive, got " + window + ":" + hop);
    }
    int n = audio.samples().length;
    if (n < window) {
      throw new IllegalArgumentException(n + " samples are fewer than one window of " + window);
    }
    int frames = 1 + (n - window) / hop;
    float[] out = new float[frames * window];
    for (int f = 0; f < frames; f++) {
      System.arraycopy(audio.samples(), f * hop, out, f * window, window);
    }
    return new FloatTokens(out, frames, window);
  }
}
