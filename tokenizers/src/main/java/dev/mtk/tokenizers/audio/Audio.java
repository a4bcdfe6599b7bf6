package dev.mtk.tokenizers.audio;

/** Mono samples in [−1, 1] at a sample rate. */
public record Audio(float[] samples, int sampleRate) {

  public Audio {
    if (sampleRate < 1) {
      throw new IllegalArgumentException("sample rate must be positive, got " + sampleRate);
    }
  }

  public double seconds() {
    return samples.length / (double) sampleRate;
  }
}
