package dev.mtk.tokenizers.audio;

import dev.mtk.tokenizers.FloatTokens;
import dev.mtk.tokenizers.image.ImageTokenizer;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A WAV file (PCM 8/16/24/32-bit or 32-bit float, channels averaged) to float tokens: Whisper's
 * log-mel features at 16 kHz (resampled if needed), (⌊n/160⌋, mels); or raw windows of
 * {@code window} samples every {@code hop} at {@code rate} (wav2vec2: 400:320 at 16 kHz).
 */
public sealed interface AudioTokenizer {

  FloatTokens tokenize(Audio audio);

  default FloatTokens tokenize(Path wav) throws IOException {
    Audio a = WavReader.read(wav);
    try {
      return tokenize(a);
    } catch (IllegalArgumentException e) {
      throw ImageTokenizer.naming(wav, e);
    }
  }

  /** 80 or 128 mel bins. */
  record LogMelFeatures(int mels) implements AudioTokenizer {
    @Override
    public FloatTokens tokenize(Audio audio) {
      return new LogMel(mels).compute(Resampler.resample(audio, LogMel.SAMPLE_RATE));
    }
  }

  record RawFrames(int window, int hop, int rate) implements AudioTokenizer {
    /** "WINDOW:HOP", e.g. 400:320. */
    public static RawFrames parse(String windowHop, int rate) {
      String[] wh = windowHop.split(":");
      try {
        if (wh.length == 2) {
          return new RawFrames(Integer.parseInt(wh[0].trim()), Integer.parseInt(wh[1].trim()), rate);
        }
      } catch (NumberFormatException e) {
        // the message below
      }
      throw new IllegalArgumentException("frames take WINDOW:HOP in samples, e.g. 400:320, not '" + windowHop + "'");
    }

    @Override
    public FloatTokens tokenize(Audio audio) {
      return Frames.frame(Resampler.resample(audio, rate), window, hop);
    }
  }
}
