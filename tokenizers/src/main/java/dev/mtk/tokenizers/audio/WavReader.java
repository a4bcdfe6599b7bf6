package dev.mtk.tokenizers.audio;

import dev.mtk.tokenizers.MediaFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * RIFF WAVE: integer PCM of 8 (unsigned), 16, 24 or 32 bits and IEEE float of 32 bits, plain or
 * WAVE_FORMAT_EXTENSIBLE, any number of channels (averaged to mono). Samples are scaled to
 * [−1, 1) by 2^(bits−1), as soundfile and torchaudio do. Compressed encodings (µ-law, A-law,
 * ADPCM…) are refused by name.
 */
public final class WavReader {

  private WavReader() {}

  public static Audio read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "no such WAV file");
    }
    long size = Files.size(file);
    if (size > Integer.MAX_VALUE - 8) {
      throw new MediaFormatException(file, "larger than 2 GB; split it first");
    }
    return parse(file, ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN));
  }

  static Audio parse(Path file, ByteBuffer b) throws MediaFormatException {
    if (b.remaining() < 12 || b.getInt(0) != 0x46464952 /* RIFF */ || b.getInt(8) != 0x45564157 /* WAVE */) {
      throw new MediaFormatException(file, "not a RIFF WAVE file");
    }
    int format = -1, channels = 0, rate = 0, bits = 0;
    int pos = 12;
    while (pos + 8 <= b.limit()) {
      int id = b.getInt(pos);
      long len = b.getInt(pos + 4) & 0xFFFFFFFFL;
      int body = pos + 8;
      if (id == 0x20746d66 /* "fmt " */) {
        if (len < 16 || body + 16 > b.limit()) {
          throw new MediaFormatException(file, "fmt chunk is cut short");
        }
        format = b.getShort(body) & 0xFFFF;
        channels = b.getShort(body + 2) & 0xFFFF;
        rate = b.getInt(body + 4);
        bits = b.getShort(body + 14) & 0xFFFF;
        if (format == 0xFFFE) {
          if (len < 40 || body + 26 > b.limit()) {
            throw new MediaFormatException(file, "WAVE_FORMAT_EXTENSIBLE fmt chunk is cut short");
          }
          format = b.getShort(body + 24) & 0xFFFF; // the sub-format GUID starts with the format tag
        }
      } else if (id == 0x61746164 /* "data" */) {
        if (format < 0) {
          throw new MediaFormatException(file, "data chunk before the fmt chunk");
        }
        long avail = b.limit() - body;
        if (len == 0xFFFFFFFFL) {
          len = avail; // written while streaming: the data runs to the end
        } else if (len > avail) {
          throw new MediaFormatException(file, "truncated: the data chunk declares " + len
              + " bytes, " + avail + " are present");
        }
        return decode(file, b, body, (int) len, format, channels, rate, bits);
      }
      pos = (int) Math.min(Integer.MAX_VALUE, body + len + (len & 1)); // chunks are word-aligned
    }
    throw new MediaFormatException(file, format < 0 ? "no fmt chunk" : "no data chunk");
  }

  private static Audio decode(Path file, ByteBuffer b, int at, int len, int format, int channels,
      int rate, int bits) throws MediaFormatException {
    String name = switch (format) {
      case 1 -> null;
      case 3 -> bits == 32 ? null : "IEEE float of " + bits + " bits";
      case 6 -> "A-law";
      case 7 -> "µ-law";
      case 2, 0x11 -> "ADPCM";
      case 0x55 -> "MP3";
      default -> "format tag 0x" + Integer.toHexString(format);
    };
    if (name != null) {
      throw new MediaFormatException(file, name + " encoding is not supported (integer PCM "
          + "8/16/24/32-bit or 32-bit float only; convert with: sox in.wav -e signed -b 16 out.wav)");
    }
    if (format == 1 && bits != 8 && bits != 16 && bits != 24 && bits != 32) {
      throw new MediaFormatException(file, bits + "-bit PCM is not supported");
    }
    if (channels < 1 || rate < 1) {
      throw new MediaFormatException(file, "fmt chunk holds " + channels + " channels at " + rate
          + " Hz");
    }
    int bytes = bits / 8, frame = bytes * channels;
    int n = len / frame;
    if (n == 0) {
      throw new MediaFormatException(file, "holds no samples (zero-length audio)");
    }
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      double sum = 0;
      for (int c = 0; c < channels; c++) {
        int p = at + i * frame + c * bytes;
        sum += switch (bits) {
          case 8 -> ((b.get(p) & 0xFF) - 128) / 128.0;
          case 16 -> b.getShort(p) / 32768.0;
          case 24 -> ((b.get(p) & 0xFF) | ((b.get(p + 1) & 0xFF) << 8) | (b.get(p + 2) << 16)) / 8388608.0;
          default -> format == 3 ? b.getFloat(p) : b.getInt(p) / 2147483648.0;
        };
      }
      out[i] = (float) (sum / channels);
    }
    return new Audio(out, rate);
  }
}
