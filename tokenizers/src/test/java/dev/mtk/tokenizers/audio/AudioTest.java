package dev.mtk.tokenizers.audio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mtk.tokenizers.FloatTokens;
import dev.mtk.tokenizers.MediaFormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AudioTest {

  @TempDir
  Path dir;

  /** A RIFF WAVE file written byte by byte (format tag, channels, rate, bits, raw data). */
  static byte[] wav(int format, int channels, int rate, int bits, byte[] data) {
    ByteBuffer b = ByteBuffer.allocate(44 + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(0x46464952).putInt(36 + data.length).putInt(0x45564157);
    b.putInt(0x20746d66).putInt(16).putShort((short) format).putShort((short) channels)
        .putInt(rate).putInt(rate * channels * bits / 8).putShort((short) (channels * bits / 8))
        .putShort((short) bits);
    b.putInt(0x61746164).putInt(data.length).put(data);
    return b.array();
  }

  @Test
  void readsEveryPcmWidthAndFloatAndMixesChannels() throws Exception {
    Path f = dir.resolve("a.wav");
    // 16-bit stereo: (16384, -16384) averages to 0, (32767, 32767) to 32767/32768
    ByteBuffer d = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    d.putShort((short) 16384).putShort((short) -16384).putShort((short) 32767).putShort((short) 32767);
    Files.write(f, wav(1, 2, 8000, 16, d.array()));
    Audio a = WavReader.read(f);
    assertEquals(8000, a.sampleRate());
    assertEquals(0f, a.samples()[0]);
    assertEquals(32767 / 32768f, a.samples()[1]);
    Files.write(f, wav(1, 1, 8000, 8, new byte[] {(byte) 0, (byte) 128, (byte) 255}));
    a = WavReader.read(f);
    assertEquals(-1f, a.samples()[0]);
    assertEquals(0f, a.samples()[1]);
    assertEquals(127 / 128f, a.samples()[2]);
    Files.write(f, wav(1, 1, 8000, 24, new byte[] {0, 0, (byte) 0x80, (byte) 0xFF, (byte) 0xFF, 0x7F}));
    a = WavReader.read(f);
    assertEquals(-1f, a.samples()[0]);
    assertEquals(8388607 / 8388608f, a.samples()[1]);
    ByteBuffer i32 = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(Integer.MIN_VALUE / 2);
    Files.write(f, wav(1, 1, 8000, 32, i32.array()));
    assertEquals(-0.5f, WavReader.read(f).samples()[0]);
    ByteBuffer f32 = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(0.375f);
    Files.write(f, wav(3, 1, 8000, 32, f32.array()));
    assertEquals(0.375f, WavReader.read(f).samples()[0]);
  }

  @Test
  void badWavsAreTypedErrorsThatSayWhy() throws Exception {
    Path f = dir.resolve("b.wav");
    Files.write(f, wav(7, 1, 8000, 8, new byte[] {1, 2, 3}));
    assertTrue(assertThrows(MediaFormatException.class, () -> WavReader.read(f)).getMessage()
        .contains("µ-law"));
    byte[] ok = wav(1, 1, 8000, 16, new byte[100]);
    Files.write(f, java.util.Arrays.copyOf(ok, 80));
    assertTrue(assertThrows(MediaFormatException.class, () -> WavReader.read(f)).getMessage()
        .contains("truncated"));
    Files.write(f, wav(1, 1, 8000, 16, new byte[0]));
    assertTrue(assertThrows(MediaFormatException.class, () -> WavReader.read(f)).getMessage()
        .contains("zero-length"));
    Files.writeString(f, "RIFX....");
    assertThrows(MediaFormatException.class, () -> WavReader.read(f));
  }

  static Audio sine(double hz, double amp, int rate, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (amp * Math.sin(2 * Math.PI * hz * i / rate));
    }
    return new Audio(x, rate);
  }

  /** Frequency and amplitude of the strongest component, by a direct DFT scan around a guess. */
  static double[] tone(Audio a, double guess) {
    float[] x = a.samples();
    int from = x.length / 4, to = 3 * x.length / 4; // away from the edges
    double bestF = 0, bestA = 0;
    for (double f = guess - 20; f <= guess + 20; f += 0.05) {
      double re = 0, im = 0;
      for (int i = from; i < to; i++) {
        double ph = 2 * Math.PI * f * i / a.sampleRate();
        re += x[i] * Math.cos(ph);
        im += x[i] * Math.sin(ph);
      }
      double amp = 2 * Math.hypot(re, im) / (to - from);
      if (amp > bestA) {
        bestA = amp;
        bestF = f;
      }
    }
    return new double[] {bestF, bestA};
  }

  @Test
  void resamplingKeepsASinesFrequencyAndAmplitude() {
    for (int[] rates : new int[][] {{44_100, 16_000}, {8_000, 16_000}, {48_000, 16_000}, {22_050, 16_001}}) {
      Audio in = sine(440, 0.5, rates[0], rates[0] / 2);
      Audio out = Resampler.resample(in, rates[1]);
      assertEquals(Math.ceil(in.samples().length * (double) rates[1] / rates[0]), out.samples().length, 1);
      double[] t = tone(out, 440);
      assertEquals(440, t[0], 0.5, rates[0] + " → " + rates[1]);
      assertEquals(0.5, t[1], 0.005, rates[0] + " → " + rates[1] + " amplitude");
    }
    // above the new Nyquist: filtered out instead of aliased to 16000 − 9000 = 7000 Hz
    Audio high = Resampler.resample(sine(9000, 0.5, 44_100, 22_050), 16_000);
    assertTrue(tone(high, 7000)[1] < 0.01, "aliasing " + tone(high, 7000)[1]);
  }

  @Property(tries = 50)
  void frameCountsFollowTheirFormulas(@ForAll @IntRange(min = 201, max = 20_000) int n) {
    Audio a = new Audio(new float[n], 16_000);
    FloatTokens mel = new LogMel(80).compute(a);
    assertEquals(n / 160, mel.count());
    assertEquals(80, mel.dim());
    if (n >= 400) {
      assertEquals(1 + (n - 400) / 320, Frames.frame(a, 400, 320).count());
    }
  }

  @Test
  void melFiltersFollowTheSlaneyScale() {
    // librosa.hz_to_mel(1000) = 15 and librosa.hz_to_mel(8000) = 45.245640471924965 (htk=False)
    assertEquals(15.0, MelFilters.hzToMel(1000), 1e-12);
    assertEquals(45.245640471924965, MelFilters.hzToMel(8000), 1e-9);
    assertEquals(6.6, MelFilters.hzToMel(440), 1e-12);
    for (double hz : new double[] {0, 123, 999, 1000, 4321, 8000}) {
      assertEquals(hz, MelFilters.melToHz(MelFilters.hzToMel(hz)), 1e-9);
    }
    for (int mels : new int[] {80, 128}) {
      double[] w = MelFilters.slaney(16_000, 400, mels);
      int bins = 201;
      for (int m = 0; m < mels; m++) {
        double area = 0;
        for (int k = 0; k < bins; k++) {
          assertTrue(w[m * bins + k] >= 0);
          area += w[m * bins + k] * 16_000.0 / 400;
        }
        // Slaney normalisation gives each triangle unit area; sampled at 40 Hz bins, wide
        // (high) filters come within the trapezoid rule's error for kinks between bins (≤ 10%)
        if (m > mels / 2) {
          assertEquals(1.0, area, 0.1, "filter " + m);
        }
      }
    }
  }

  @Test
  void logMelOfAToneLightsItsBandAndFollowsWhispersScaling() {
    Audio a = sine(1000, 0.5, 16_000, 16_000);
    FloatTokens mel = new LogMel(80).compute(a);
    double[] edges = new double[82];
    for (int i = 0; i < 82; i++) {
      edges[i] = MelFilters.melToHz(MelFilters.hzToMel(8000) * i / 81);
    }
    int f = 50, best = 0;
    for (int m = 1; m < 80; m++) {
      if (mel.values()[f * 80 + m] > mel.values()[f * 80 + best]) {
        best = m;
      }
    }
    assertTrue(edges[best] <= 1000 && 1000 <= edges[best + 2], "band " + best);
    float max = Float.NEGATIVE_INFINITY, min = Float.POSITIVE_INFINITY;
    for (float v : mel.values()) {
      max = Math.max(max, v);
      min = Math.min(min, v);
    }
    // (x + 4) / 4 after the floor at max − 8: the range is exactly 2 when the floor is reached
    assertEquals(2.0f, max - min, 1e-5f);
    assertThrows(IllegalArgumentException.class, () -> new LogMel(80).compute(new Audio(new float[150], 16_000)));
    assertThrows(IllegalArgumentException.class, () -> new LogMel(80).compute(new Audio(new float[1600], 8_000)));
  }
}
