package dev.mtk.tokenizers.audio;

import dev.mtk.tokenizers.FloatTokens;

/**
 * Log-mel features computed as Whisper computes them (whisper/audio.py, log_mel_spectrogram) at
 * 16 kHz: a periodic Hann window of 400, hop 160, frames centred with reflect padding of 200 on
 * each side (torch.stft's center=True), power spectrum |X|², Slaney mel filters (80 or 128),
 * log10(max(x, 1e-10)), then max(x, global max − 8), then (x + 4) / 4; the last frame dropped.
 * Not padded to 30 s, so n samples give ⌊n / 160⌋ frames. Output (frames, mels).
 */
public final class LogMel {

  public static final int SAMPLE_RATE = 16_000, N_FFT = 400, HOP = 160;

  private final int mels;
  private final double[] filters;
  private final double[] window = new double[N_FFT];
  private final Fft fft = new Fft(N_FFT);
  private final double[] frame = new double[N_FFT], re = new double[N_FFT], im = new double[N_FFT];
  private final double[] power = new double[N_FFT / 2 + 1];

  public LogMel(int mels) {
    if (mels != 80 && mels != 128) {
      throw new IllegalArgumentException("Whisper uses 80 or 128 mel bins, got " + mels);
    }
    this.mels = mels;
    this.filters = MelFilters.slaney(SAMPLE_RATE, N_FFT, mels);
    for (int i = 0; i < N_FFT; i++) {
      window[i] = 0.5 - 0.5 * Math.cos(2 * Math.PI * i / N_FFT); // periodic: / N, not / (N − 1)
    }
  }

  /** Features of 16 kHz audio. */
  public FloatTokens compute(Audio audio) {
    if (audio.sampleRate() != SAMPLE_RATE) {
      throw new IllegalArgumentException("log-mel needs 16 kHz audio, got " + audio.sampleRate()
          + " Hz (resample first)");
    }
    float[] x = audio.samples();
    int n = x.length, pad = N_FFT / 2;
    if (n <= pad) {
      throw new IllegalArgumentException(n + " samples: reflect padding needs more than " + pad
          + " (" + (pad + 1) / 16.0 + " ms)");
    }
    int frames = n / HOP; // 1 + ⌊n / hop⌋ centred frames, the last one dropped
    int bins = N_FFT / 2 + 1;
    float[] out = new float[frames * mels];
    double max = Double.NEGATIVE_INFINITY;
    for (int f = 0; f < frames; f++) {
      int start = f * HOP - pad;
      for (int i = 0; i < N_FFT; i++) {
        frame[i] = x[reflect(start + i, n)] * window[i];
      }
      fft.forward(frame, null, re, im);
      for (int k = 0; k < bins; k++) {
        power[k] = re[k] * re[k] + im[k] * im[k];
      }
      for (int m = 0; m < mels; m++) {
        double s = 0;
        int row = m * bins;
        for (int k = 0; k < bins; k++) {
          s += filters[row + k] * power[k];
        }
        double v = Math.log10(Math.max(s, 1e-10));
        out[f * mels + m] = (float) v;
        max = Math.max(max, v);
      }
    }
    float floor = (float) (max - 8.0);
    for (int i = 0; i < out.length; i++) {
      out[i] = (Math.max(out[i], floor) + 4f) / 4f;
    }
    return new FloatTokens(out, frames, mels);
  }

  /** numpy/torch "reflect": the edge sample is not repeated. */
  static int reflect(int i, int n) {
    if (i < 0) {
      return -i;
    }
    if (i >= n) {
      return 2 * (n - 1) - i;
    }
    return i;
  }
}
