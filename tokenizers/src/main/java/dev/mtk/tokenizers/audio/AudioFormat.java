package dev.mtk.tokenizers.audio;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtk.tokenizers.FloatTokens;
import dev.mtk.tokenizers.image.ImageFormat;
import dev.mtk.tokenizers.image.ImageTokenizer;
import dev.mtk.tokenizers.image.ImageTransforms;
import java.io.IOException;
import java.nio.file.Path;

/**
 * What an audio model takes, kept beside its weights (audio.json) so that embedding a WAV file
 * needs no flags. A clip becomes a grey image: its log-mel spectrogram (Whisper's features,
 * {@link LogMel}) as {@code mels} rows (the highest band on top) × {@code frames} columns of
 * 10 ms, each value the band's level in [clip max − 80 dB, clip max] scaled to 0…255 (loudness
 * does not matter; silence is 0). A clip longer than the window keeps its loudest {@code frames}
 * frames, a shorter one sits centred in silence. The image is then cut into patches like any
 * other ({@link #imageFormat}): a ViT over spectrogram patches, as AST does.
 *
 * @param bandRate when above 0, the audio is first resampled to this rate (and back to 16 kHz):
 *     the band of a telephone recording (8000: up to 4 kHz), so that wide-band training speech and
 *     narrow-band test speech look alike; 0 keeps the whole band
 */
public record AudioFormat(int mels, int frames, int bandRate) {

  public static final String FILE_NAME = "audio.json";
  /** The levels kept below a clip's loudest band: Whisper's 8 log10 units, 80 dB. */
  static final double RANGE = 8.0;
  /** Clips longer than this are refused: a word or a sound, not a recording to be cut first. */
  public static final double MAX_SECONDS = 600;

  private static final ObjectMapper JSON = new ObjectMapper();

  public AudioFormat {
    if (mels != 80 && mels != 128) {
      throw new IllegalArgumentException("mels must be 80 or 128 (Whisper's log-mel), got " + mels);
    }
    if (frames < 1 || frames > 3000) {
      throw new IllegalArgumentException("frames must be 1 to 3000 (30 s of 10 ms), got " + frames);
    }
    if (bandRate < 0 || (bandRate > 0 && bandRate < 1000) || bandRate > LogMel.SAMPLE_RATE) {
      throw new IllegalArgumentException("band_rate must be 0 (the whole band) or 1000 to 16000 Hz, got " + bandRate);
    }
  }

  /** The spectrogram image cut into {@code patch} × {@code patch} patches, normalised as ViTs are. */
  public ImageFormat imageFormat(int patch) {
    return new ImageFormat(1, mels, frames, patch, ImageTransforms.Norm.VIT);
  }

  /** A WAV file's spectrogram image (mels × frames bytes); errors name the file. */
  public byte[] spectrogram(Path wav) throws IOException {
    Audio a = WavReader.read(wav);
    try {
      return spectrogram(a);
    } catch (IllegalArgumentException e) {
      throw ImageTokenizer.naming(wav, e);
    }
  }

  /** The clip as patches of {@code format} (its {@link #imageFormat}): what the model embeds. */
  public FloatTokens tokenize(Path wav, ImageFormat format) throws IOException {
    float[] out = new float[format.tokens() * format.patchDim()];
    format.patches(spectrogram(wav), 0, 0, 0, 0, false, out, 0);
    return new FloatTokens(out, format.tokens(), format.patchDim());
  }

  public byte[] spectrogram(Audio audio) {
    if (audio.seconds() > MAX_SECONDS) {
      throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
          "%.0f s of audio; clips up to %.0f s are taken (cut it first)", audio.seconds(), MAX_SECONDS));
    }
    Audio x = bandRate > 0 ? Resampler.resample(Resampler.resample(audio, bandRate), LogMel.SAMPLE_RATE)
        : Resampler.resample(audio, LogMel.SAMPLE_RATE);
    float[] s = x.samples();
    if (s.length < LogMel.N_FFT) { // too short to frame: the rest is silence
      s = java.util.Arrays.copyOf(s, LogMel.N_FFT);
    }
    FloatTokens mel = new LogMel(mels).compute(new Audio(s, LogMel.SAMPLE_RATE));
    float[] v = mel.values();
    int t = mel.count();
    float top = Float.NEGATIVE_INFINITY;
    for (float f : v) {
      top = Math.max(top, f);
    }
    // LogMel's values are (max(l, lmax − 8) + 4) / 4, so [top − 2, top] is the 80 dB kept
    float low = top - (float) (RANGE / 4);
    byte[] level = new byte[v.length];
    for (int i = 0; i < v.length; i++) {
      level[i] = (byte) Math.round(Math.min(1f, Math.max(0f, (v[i] - low) / (float) (RANGE / 4))) * 255f);
    }
    int start = 0, shift = 0; // frames of the clip taken, and where they land in the window
    if (t > frames) {
      long best = -1, sum = 0;
      long[] energy = new long[t];
      for (int f = 0; f < t; f++) {
        for (int m = 0; m < mels; m++) {
          energy[f] += level[f * mels + m] & 0xFF;
        }
      }
      for (int f = 0; f < t; f++) {
        sum += energy[f] - (f >= frames ? energy[f - frames] : 0);
        if (f >= frames - 1 && sum > best) {
          best = sum;
          start = f - frames + 1;
        }
      }
    } else {
      shift = (frames - t) / 2;
    }
    byte[] img = new byte[mels * frames];
    for (int c = 0; c < Math.min(t, frames); c++) {
      int f = start + c;
      for (int m = 0; m < mels; m++) {
        img[(mels - 1 - m) * frames + shift + c] = level[f * mels + m];
      }
    }
    return img;
  }

  public void save(Path modelDir) throws IOException {
    var o = JSON.createObjectNode().put("mels", mels).put("frames", frames).put("band_rate", bandRate);
    dev.mtk.core.io.AtomicFile.write(modelDir.resolve(FILE_NAME), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(o));
  }

  /** The model directory's audio.json, or null when it has none (not an audio model). */
  public static AudioFormat read(Path modelDir) throws IOException {
    Path f = modelDir.resolve(FILE_NAME);
    JsonNode o = dev.mtk.tokenizers.FormatFile.read(f);
    if (o == null) {
      return null;
    }
    try {
      dev.mtk.tokenizers.FormatFile.wholeNumbers(o, true, "mels", "frames", "band_rate");
      return new AudioFormat(o.get("mels").asInt(), o.get("frames").asInt(), o.get("band_rate").asInt());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(f + ": " + e.getMessage());
    }
  }
}
