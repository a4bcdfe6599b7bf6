package dev.mtk.tokenizers.audio;

/**
 * Triangular mel filters as librosa builds them by default ({@code librosa.filters.mel} with
 * {@code htk=False, norm="slaney"}), which is what Whisper's mel_filters.npz holds: the Slaney
 * mel scale (linear below 1 kHz at 200/3 Hz per mel, logarithmic above with 27 mels per factor
 * 6.4), n_mels + 2 points evenly spaced in mels from 0 to sr/2, triangles between neighbours over
 * the FFT bin frequencies k·sr/n_fft, each scaled by 2 / (its upper − lower edge in Hz) so that
 * every filter has the same area.
 */
public final class MelFilters {

  private MelFilters() {}

  static final double F_SP = 200.0 / 3, MIN_LOG_HZ = 1000.0, MIN_LOG_MEL = MIN_LOG_HZ / F_SP,
      LOGSTEP = Math.log(6.4) / 27.0;

  public static double hzToMel(double hz) {
    return hz < MIN_LOG_HZ ? hz / F_SP : MIN_LOG_MEL + Math.log(hz / MIN_LOG_HZ) / LOGSTEP;
  }

  public static double melToHz(double mel) {
    return mel < MIN_LOG_MEL ? mel * F_SP : MIN_LOG_HZ * Math.exp(LOGSTEP * (mel - MIN_LOG_MEL));
  }

  /** nMels × (nFft/2 + 1) weights, row-major. */
  public static double[] slaney(int sampleRate, int nFft, int nMels) {
    int bins = nFft / 2 + 1;
    double[] fft = new double[bins];
    for (int k = 0; k < bins; k++) {
      fft[k] = (double) k * sampleRate / nFft;
    }
    double lo = hzToMel(0), hi = hzToMel(sampleRate / 2.0);
    double[] edge = new double[nMels + 2];
    for (int i = 0; i < nMels + 2; i++) {
      edge[i] = melToHz(lo + (hi - lo) * i / (nMels + 1));
    }
    double[] w = new double[nMels * bins];
    for (int i = 0; i < nMels; i++) {
      double enorm = 2.0 / (edge[i + 2] - edge[i]);
      for (int k = 0; k < bins; k++) {
        double lower = (fft[k] - edge[i]) / (edge[i + 1] - edge[i]);
        double upper = (edge[i + 2] - fft[k]) / (edge[i + 2] - edge[i + 1]);
        w[i * bins + k] = Math.max(0, Math.min(lower, upper)) * enorm;
      }
    }
    return w;
  }
}
