package dev.mtk.tokenizers.audio;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * Mono 16-bit PCM RIFF WAVE, the format every tool reads; samples in [−1, 1] are scaled by 2^15
 * and rounded (clipped at the ends), so that {@link WavReader} reads back each sample to within
 * half a step. Written to a temporary file and renamed: a file is whole or absent.
 */
public final class WavWriter {

  private WavWriter() {}

  public static byte[] encode(Audio audio) {
    float[] x = audio.samples();
    ByteBuffer b = ByteBuffer.allocate(44 + 2 * x.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(0x46464952).putInt(36 + 2 * x.length).putInt(0x45564157); // RIFF, size, WAVE
    b.putInt(0x20746d66).putInt(16).putShort((short) 1).putShort((short) 1) // "fmt ", PCM, mono
        .putInt(audio.sampleRate()).putInt(2 * audio.sampleRate()).putShort((short) 2).putShort((short) 16);
    b.putInt(0x61746164).putInt(2 * x.length); // "data"
    for (float v : x) {
      b.putShort((short) Math.max(-32768, Math.min(32767, Math.round(v * 32768f))));
    }
    return b.array();
  }

  public static void write(Path file, Audio audio) throws IOException {
    dev.mtk.core.io.AtomicFile.write(file, encode(audio));
  }
}
