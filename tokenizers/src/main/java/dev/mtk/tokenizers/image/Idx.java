package dev.mtk.tokenizers.image;

import dev.mtk.tokenizers.MediaFormatException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * An IDX file of unsigned bytes (the format of MNIST and Fashion-MNIST): a magic number
 * {@code 0x00 0x00 0x08 n}, n big-endian int32 dimensions, then the values in row-major order.
 * Gzipped files ({@code .gz}, as distributed) are read through a gunzip stream. The data is read
 * as it arrives, so a header that claims more than the file holds costs nothing but the error.
 *
 * @param dims the dimensions, e.g. [60000, 28, 28] for images or [60000] for labels
 * @param data the values, row-major, as unsigned bytes
 */
public record Idx(int[] dims, byte[] data) {

  /** Larger is refused before reading: 1 GiB of pixels is 1.3 million 28×28 images. */
  static final long MAX_VALUES = 1L << 30;

  /** The number of items (the first dimension). */
  public int count() {
    return dims[0];
  }

  /** Values per item (the product of the other dimensions). */
  public int itemSize() {
    int n = 1;
    for (int i = 1; i < dims.length; i++) {
      n *= dims[i];
    }
    return n;
  }

  public static Idx read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "no such IDX file");
    }
    try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      raw.mark(2);
      boolean gz = raw.read() == 0x1f & raw.read() == 0x8b;
      raw.reset();
      InputStream in = gz ? new GZIPInputStream(raw, 1 << 16) : raw;
      byte[] head = in.readNBytes(4);
      if (head.length < 4 || head[0] != 0 || head[1] != 0) {
        throw new MediaFormatException(file, "not an IDX file (it does not start with 0x00 0x00)");
      }
      if (head[2] != 0x08) {
        throw new MediaFormatException(file, String.format("IDX values of type 0x%02X; only unsigned "
            + "bytes (0x08) are read", head[2] & 0xFF));
      }
      int n = head[3] & 0xFF;
      if (n < 1 || n > 4) {
        throw new MediaFormatException(file, "IDX with " + n + " dimensions; 1 to 4 are read");
      }
      byte[] d = in.readNBytes(4 * n);
      if (d.length < 4 * n) {
        throw new MediaFormatException(file, "cut short inside the header");
      }
      int[] dims = new int[n];
      long total = 1;
      for (int i = 0; i < n; i++) {
        dims[i] = (d[4 * i] & 0xFF) << 24 | (d[4 * i + 1] & 0xFF) << 16 | (d[4 * i + 2] & 0xFF) << 8
            | (d[4 * i + 3] & 0xFF);
        if (dims[i] < 1) {
          throw new MediaFormatException(file, "dimension " + (i + 1) + " is " + dims[i]);
        }
        total *= dims[i];
        if (total > MAX_VALUES) {
          throw new MediaFormatException(file, "the header claims more than " + MAX_VALUES + " values");
        }
      }
      byte[] data = in.readNBytes((int) total); // grows as bytes arrive, never to more than the file has
      if (data.length < total) {
        throw new MediaFormatException(file, "cut short: the header claims " + total + " values, "
            + "the file holds " + data.length);
      }
      if (in.read() >= 0) {
        throw new MediaFormatException(file, "holds more than the " + total + " values its header claims");
      }
      return new Idx(dims, data);
    } catch (java.util.zip.ZipException | java.io.EOFException e) {
      throw new MediaFormatException(file, "a damaged gzip stream (" + e.getMessage() + ")");
    }
  }
}
