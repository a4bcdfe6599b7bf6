package dev.mtk.tokenizers.audio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WAV writing against the reader, and the spectrogram image of a clip against what a tone must
 * give: its band (from the mel scale's own formula), its place in time, its level relative to
 * the loudest band.
 */
class AudioFormatTest {

  static Audio tone(double hz, double seconds, int rate, double amplitude, double silenceBefore, double silenceAfter) {
    int pre = (int) (silenceBefore * rate), n = (int) (seconds * rate), post = (int) (silenceAfter * rate);
    float[] x = new float[pre + n + post];
    for (int i = 0; i < n; i++) {
      x[pre + i] = (float) (amplitude * Math.sin(2 * Math.PI * hz * i / rate));
    }
    return new Audio(x, rate);
  }

  @Test
  void wavWriterRoundTripsThroughTheReaderWithinHalfAStep(@TempDir Path dir) throws Exception {
    Audio a = tone(440, 0.05, 16_000, 0.9, 0, 0);
    float[] x = a.samples().clone();
    x[0] = 1.5f; // clipped, not wrapped
    x[1] = -1.5f;
    Path f = dir.resolve("t.wav");
    WavWriter.write(f, new Audio(x, 16_000));
    Audio b = WavReader.read(f);
    assertEquals(16_000, b.sampleRate());
    assertEquals(x.length, b.samples().length);
    assertEquals(32767 / 32768f, b.samples()[0], 0);
    assertEquals(-1f, b.samples()[1], 0);
    for (int i = 2; i < x.length; i++) {
      assertEquals(x[i], b.samples()[i], 0.5 / 32768 + 1e-7, "sample " + i);
    }
    assertEquals(44 + 2 * x.length, Files.size(f));
  }

  @Test
  void aToneLightsItsMelBandAtItsTimeAndLoudnessDoesNotMatter() {
    AudioFormat f = new AudioFormat(80, 96, 0);
    // 0.3 s of 1 kHz after 0.1 s of silence, in a clip shorter than the window: centred
    byte[] img = f.spectrogram(tone(1000, 0.3, 16_000, 0.5, 0.1, 0.1));
    int band = brightestRow(img, 80, 96);
    // Slaney mel bands evenly spaced on the mel scale from 0 to 8 kHz; row 0 is the highest band
    double lo = MelFilters.hzToMel(0), hi = MelFilters.hzToMel(8000);
    int expected = (int) Math.round((MelFilters.hzToMel(1000) - lo) / (hi - lo) * 81) - 1;
    assertTrue(Math.abs((79 - band) - expected) <= 1, "band " + (79 - band) + " against " + expected);
    // 50 frames of clip (0.5 s) centred in 96: 23 frames of silence on the left
    int first = firstLoudColumn(img, 80, 96);
    assertTrue(first >= 23 + 10 - 2 && first <= 23 + 10 + 2, "the tone starts at column " + first);
    assertEquals(0, img[band * 96] & 0xFF, "the padding is silence");
    // ten times quieter: the same image, give or take the rounding of each level
    byte[] quiet = f.spectrogram(tone(1000, 0.3, 16_000, 0.05, 0.1, 0.1));
    for (int i = 0; i < img.length; i++) {
      assertTrue(Math.abs((img[i] & 0xFF) - (quiet[i] & 0xFF)) <= 1, "value " + i);
    }
  }

  @Test
  void aLongClipKeepsItsLoudestWindowAndTheBandLimitRemovesHighTones() {
    AudioFormat f = new AudioFormat(80, 96, 0);
    // 3 s: a faint 500 Hz hum throughout, a loud 3 kHz tone from 2.0 to 2.4 s
    Audio hum = tone(500, 3.0, 16_000, 0.01, 0, 0), beep = tone(3000, 0.4, 16_000, 0.8, 2.0, 0.6);
    float[] x = hum.samples().clone();
    for (int i = 0; i < x.length; i++) {
      x[i] += beep.samples()[i];
    }
    byte[] img = f.spectrogram(new Audio(x, 16_000));
    int band = loudestPixel(img) / 96;
    double lo = MelFilters.hzToMel(0), hi = MelFilters.hzToMel(8000);
    int expected = (int) Math.round((MelFilters.hzToMel(3000) - lo) / (hi - lo) * 81) - 1;
    assertTrue(Math.abs((79 - band) - expected) <= 1, "the window holds the beep: band " + (79 - band));
    int beepColumns = 0;
    for (int c = 0; c < 96; c++) {
      beepColumns += (img[band * 96 + c] & 0xFF) > 200 ? 1 : 0;
    }
    assertTrue(beepColumns >= 38, "all 0.4 s of the beep in the window: " + beepColumns + " columns");
    // through the telephone band (8 kHz, up to 4 kHz) 3 kHz stays, 6 kHz goes
    AudioFormat phone = new AudioFormat(80, 96, 8000);
    byte[] high = phone.spectrogram(tone(6000, 0.5, 16_000, 0.5, 0.2, 0.2));
    byte[] kept = phone.spectrogram(tone(3000, 0.5, 16_000, 0.5, 0.2, 0.2));
    int sixK = 79 - ((int) Math.round((MelFilters.hzToMel(6000) - lo) / (hi - lo) * 81) - 1);
    assertTrue((high[sixK * 96 + 48] & 0xFF) < (kept[brightestRow(kept, 80, 96) * 96 + 48] & 0xFF) / 2,
        "6 kHz is gone from the telephone band");
    // any rate in: an 8 kHz clip of the same tone lands in the same band
    byte[] at8k = f.spectrogram(tone(1000, 0.3, 8_000, 0.5, 0.1, 0.1));
    byte[] at16k = f.spectrogram(tone(1000, 0.3, 16_000, 0.5, 0.1, 0.1));
    assertEquals(brightestRow(at16k, 80, 96), brightestRow(at8k, 80, 96));
  }

  @Test
  void audioJsonRoundTripsAndRefusesWhatItCannotMake(@TempDir Path dir) throws Exception {
    AudioFormat f = new AudioFormat(128, 64, 8000);
    f.save(dir);
    assertEquals(f, AudioFormat.read(dir));
    assertEquals(null, AudioFormat.read(dir.resolve("nothing-here")));
    Files.writeString(dir.resolve(AudioFormat.FILE_NAME), "{\"mels\": 40, \"frames\": 96, \"band_rate\": 0}");
    var e = assertThrows(IllegalArgumentException.class, () -> AudioFormat.read(dir));
    assertTrue(e.getMessage().contains("audio.json") && e.getMessage().contains("80 or 128"), e.getMessage());
    Files.writeString(dir.resolve(AudioFormat.FILE_NAME), "{\"mels\": 80, \"frames\": \"x\", \"band_rate\": 0}");
    e = assertThrows(IllegalArgumentException.class, () -> AudioFormat.read(dir));
    assertTrue(e.getMessage().contains("\"frames\" must be a whole number"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new AudioFormat(80, 96, 500));
    // the patches of a clip are the image's: a 16×16 cut of 80 × 96 is 5 × 6 tokens of 256
    var fmt = new AudioFormat(80, 96, 0);
    Path wav = dir.resolve("x.wav");
    WavWriter.write(wav, tone(700, 0.4, 16_000, 0.3, 0.1, 0.1));
    var t = fmt.tokenize(wav, fmt.imageFormat(16));
    assertEquals(30, t.count());
    assertEquals(256, t.dim());
    float[] expect = new float[30 * 256];
    fmt.imageFormat(16).patches(fmt.spectrogram(WavReader.read(wav)), 0, 0, 0, 0, false, expect, 0);
    assertArrayEquals(expect, t.values());
  }

  private static int brightestRow(byte[] img, int rows, int cols) {
    int best = 0;
    long bestSum = -1;
    for (int r = 0; r < rows; r++) {
      long s = 0;
      for (int c = 0; c < cols; c++) {
        s += img[r * cols + c] & 0xFF;
      }
      if (s > bestSum) {
        bestSum = s;
        best = r;
      }
    }
    return best;
  }

  private static int loudestPixel(byte[] img) {
    int best = 0;
    for (int i = 1; i < img.length; i++) {
      if ((img[i] & 0xFF) > (img[best] & 0xFF)) {
        best = i;
      }
    }
    return best;
  }

  private static int firstLoudColumn(byte[] img, int rows, int cols) {
    for (int c = 0; c < cols; c++) {
      for (int r = 0; r < rows; r++) {
        if ((img[r * cols + c] & 0xFF) > 200) {
          return c;
        }
      }
    }
    return -1;
  }
}
