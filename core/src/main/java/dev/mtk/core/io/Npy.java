package dev.mtk.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy's .npy format (version 1.0) for float32 arrays in C order: the magic "\x93NUMPY", the
 * version, a little-endian header length and a Python dict literal padded so the data starts on a
 * 64-byte boundary, then little-endian floats. Written atomically. Read back (versions 1, 2 and 3)
 * either into an array or memory-mapped, for files larger than a Java array.
 */
public final class Npy {

  private Npy() {}

  public static void writeFloat32(Path file, float[] data, int... shape) throws IOException {
    long n = 1;
    for (int d : shape) {
      n *= d;
    }
    if (n != data.length) {
      throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n
          + " values, got " + data.length);
    }
    StringBuilder dims = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      dims.append(shape[i]).append(shape.length == 1 ? "," : i + 1 < shape.length ? ", " : "");
    }
    dims.append(')');
    String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + dims + ", }";
    int total = 10 + dict.length() + 1;
    int pad = (64 - total % 64) % 64;
    String header = dict + " ".repeat(pad) + "\n";
    AtomicFile.write(file, out -> {
      out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
      int len = header.length();
      out.write(len & 0xFF);
      out.write(len >>> 8);
      out.write(header.getBytes(StandardCharsets.US_ASCII));
      ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
      for (float v : data) {
        if (!buf.hasRemaining()) {
          out.write(buf.array(), 0, buf.position());
          buf.clear();
        }
        buf.putFloat(v);
      }
      out.write(buf.array(), 0, buf.position());
    });
  }

  /** A float32 matrix of rows × cols (a 1-D file is one row), memory-mapped. */
  public record Matrix(Path file, long rows, int cols, MemorySegment data) {

    /** Row r into {@code out[off .. off+cols)}. */
    public void row(long r, float[] out, int off) {
      MemorySegment.copy(data, LE_FLOAT, r * cols * 4L, out, off, cols);
    }

    /** All rows as one array; refuses what an array cannot hold. */
    public float[] toArray() throws NpyFormatException {
      long n = rows * cols;
      if (n > Integer.MAX_VALUE - 8) {
        throw new NpyFormatException(file, "holds " + n + " floats, more than one array can");
      }
      float[] out = new float[(int) n];
      MemorySegment.copy(data, LE_FLOAT, 0, out, 0, (int) n);
      return out;
    }
  }

  /** The file is not a float32 C-order .npy, or is cut short. */
  public static final class NpyFormatException extends IOException {
    public NpyFormatException(Path file, String problem) {
      super(file + ": " + problem);
    }
  }

  private static final ValueLayout.OfFloat LE_FLOAT =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  // numpy writes headers of a few hundred bytes; anything longer is not a file we wrote or want
  private static final int MAX_HEADER = 1 << 16;
  private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
  private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
  private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

  /** Reads a whole file into memory (small arrays: queries, test data). */
  public static float[] readFloat32(Path file) throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      return map(file, arena).toArray();
    }
  }

  /** Maps a float32 .npy read-only; the mapping lives as long as the arena. */
  public static Matrix map(Path file, Arena arena) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "no such .npy file");
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      ByteBuffer head = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
      while (head.hasRemaining() && ch.read(head) >= 0) {
        // fill the fixed part
      }
      if (head.position() < 10 || (head.get(0) & 0xFF) != 0x93
          || !new String(head.array(), 1, 5, StandardCharsets.US_ASCII).equals("NUMPY")) {
        throw new NpyFormatException(file, "not a .npy file (no \\x93NUMPY magic)");
      }
      int major = head.get(6);
      long headerLen;
      int prefix;
      if (major == 1) {
        headerLen = head.getShort(8) & 0xFFFF;
        prefix = 10;
      } else if (major == 2 || major == 3) {
        if (head.position() < 12) {
          throw new NpyFormatException(file, "cut short inside the header");
        }
        headerLen = head.getInt(8) & 0xFFFFFFFFL;
        prefix = 12;
      } else {
        throw new NpyFormatException(file, "unsupported .npy version " + major);
      }
      if (headerLen > MAX_HEADER || prefix + headerLen > size) {
        throw new NpyFormatException(file, "header length " + headerLen + " is implausible for a "
            + size + "-byte file");
      }
      ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
      ch.position(prefix);
      while (hb.hasRemaining() && ch.read(hb) >= 0) {
        // read the dict literal
      }
      String dict = new String(hb.array(), StandardCharsets.ISO_8859_1);
      Matcher descr = DESCR.matcher(dict), fortran = FORTRAN.matcher(dict), shape = SHAPE.matcher(dict);
      if (!descr.find() || !fortran.find() || !shape.find()) {
        throw new NpyFormatException(file, "header is not a numpy dict: " + dict.strip());
      }
      String type = descr.group(1);
      if (!type.equals("<f4") && !type.equals("=f4")) {
        throw new NpyFormatException(file, "dtype " + type + " is not float32 little-endian; save it "
            + "with numpy.save(path, a.astype('<f4'))");
      }
      if (fortran.group(1).equals("True")) {
        throw new NpyFormatException(file, "Fortran order is not supported; save "
            + "numpy.ascontiguousarray(a)");
      }
      String[] parts = shape.group(1).split(",");
      long[] dims;
      try {
        dims = Arrays.stream(parts).map(String::trim).filter(p -> !p.isEmpty())
            .mapToLong(Long::parseLong).toArray();
      } catch (NumberFormatException e) {
        throw new NpyFormatException(file, "shape (" + shape.group(1).trim() + ") is not made of "
            + "whole numbers below 2^63");
      }
      if (dims.length < 1 || dims.length > 2) {
        throw new NpyFormatException(file, "shape (" + shape.group(1).trim() + ") is not a vector "
            + "or a matrix");
      }
      long rows = dims.length == 1 ? 1 : dims[0];
      long cols = dims[dims.length - 1];
      if (cols < 1 || cols > Integer.MAX_VALUE / 4 || rows < 0) {
        throw new NpyFormatException(file, "shape (" + shape.group(1).trim() + ") has no usable columns");
      }
      long start = prefix + headerLen;
      long available = Math.max(0, size - start);
      if (rows > available / (cols * 4)) { // rows × cols × 4 would overflow or exceed the file
        throw new NpyFormatException(file, "shape (" + shape.group(1).trim() + ") needs more "
            + "bytes of data than the file's " + available + " (cut short, or a bad header?)");
      }
      long bytes = rows * cols * 4;
      if (size != start + bytes) {
        throw new NpyFormatException(file, "shape (" + shape.group(1).trim() + ") needs " + bytes
            + " bytes of data, the file has " + (size - start)
            + (size < start + bytes ? " (cut short?)" : ""));
      }
      MemorySegment data = ch.map(FileChannel.MapMode.READ_ONLY, start, bytes, arena);
      return new Matrix(file, rows, (int) cols, data);
    }
  }
}
