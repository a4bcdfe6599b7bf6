package dev.mtk.models.onnx;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The protobuf wire format, read forward from a stream: tags, varints, fixed 32/64-bit values and
 * length-delimited fields, with a stack of limits so that a message inside a message is read (or
 * skipped) without holding it in memory. Nothing is allocated from a length in the file before it
 * is checked against the bytes its enclosing message still has, so a corrupt length cannot ask
 * for gigabytes.
 */
final class ProtoReader {

  static final int VARINT = 0, FIXED64 = 1, LEN = 2, FIXED32 = 5;

  private final InputStream in;
  private final byte[] buf = new byte[1 << 16];
  private int pos, end;
  private long consumed; // bytes of the stream before buf[0]
  private long[] limits = new long[16];
  private int depth;
  private long limit = Long.MAX_VALUE;

  ProtoReader(InputStream in) {
    this.in = in;
  }

  /** Bytes read so far from the start of the stream. */
  long position() {
    return consumed + pos;
  }

  /** Whether the current message (or the stream) has no bytes left. */
  boolean atEnd() throws IOException {
    if (position() >= limit) {
      return true;
    }
    return pos == end && !fill();
  }

  /** The next field's tag (field number << 3 | wire type); call only when not {@link #atEnd}. */
  int tag() throws IOException {
    long t = varint();
    if (t <= 0 || t > Integer.MAX_VALUE) {
      throw new ProtoException("a field tag of " + t + " at byte " + position());
    }
    return (int) t;
  }

  long varint() throws IOException {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      int b = read();
      v |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return v;
      }
    }
    throw new ProtoException("a varint longer than 10 bytes at byte " + position());
  }

  int fixed32() throws IOException {
    int b0 = read(), b1 = read(), b2 = read(), b3 = read();
    return b0 | b1 << 8 | b2 << 16 | b3 << 24;
  }

  long fixed64() throws IOException {
    return (fixed32() & 0xffffffffL) | (long) fixed32() << 32;
  }

  /** A length-delimited field's length, checked against what the enclosing message has left. */
  long length() throws IOException {
    long n = varint();
    if (n < 0 || position() + n > limit) {
      throw new ProtoException("a field of " + n + " bytes at byte " + position()
          + " runs past the end of its message");
    }
    return n;
  }

  /** Enters a length-delimited message: until {@link #pop}, {@link #atEnd} means its end. */
  void push(long length) {
    if (depth == limits.length) {
      limits = java.util.Arrays.copyOf(limits, depth * 2);
    }
    limits[depth++] = limit;
    limit = position() + length;
  }

  /** Leaves the current message, skipping whatever of it was not read. */
  void pop() throws IOException {
    skip(limit - position());
    limit = limits[--depth];
  }

  /** A length-delimited field as text (names, op types); at most {@code max} bytes. */
  String string(int max) throws IOException {
    long n = length();
    if (n > max) {
      throw new ProtoException("a string of " + n + " bytes at byte " + position() + " (at most "
          + max + " expected)");
    }
    byte[] b = new byte[(int) n];
    readFully(b, 0, b.length);
    return new String(b, StandardCharsets.UTF_8);
  }

  /** Skips a field's value of the given wire type. */
  void skipValue(int wireType) throws IOException {
    switch (wireType) {
      case VARINT -> varint();
      case FIXED64 -> skip(8);
      case LEN -> skip(length());
      case FIXED32 -> skip(4);
      default -> throw new ProtoException("wire type " + wireType + " at byte " + position()
          + " (groups and unknown types are not read)");
    }
  }

  void skip(long n) throws IOException {
    while (n > 0) {
      if (pos == end && !fill()) {
        throw new EOFException("the file ends " + n + " bytes early");
      }
      int k = (int) Math.min(n, end - pos);
      pos += k;
      n -= k;
    }
  }

  void readFully(byte[] dst, int off, int len) throws IOException {
    while (len > 0) {
      if (pos == end && !fill()) {
        throw new EOFException("the file ends " + len + " bytes early");
      }
      int k = Math.min(len, end - pos);
      System.arraycopy(buf, pos, dst, off, k);
      pos += k;
      off += k;
      len -= k;
    }
  }

  /** Little-endian floats, as raw_data and packed float_data hold them. */
  void readFloats(float[] dst, int off, int count) throws IOException {
    for (int i = 0; i < count; i++) {
      if (end - pos < 4) {
        dst[off + i] = Float.intBitsToFloat(fixed32());
        continue;
      }
      dst[off + i] = Float.intBitsToFloat((buf[pos] & 0xff) | (buf[pos + 1] & 0xff) << 8
          | (buf[pos + 2] & 0xff) << 16 | (buf[pos + 3] & 0xff) << 24);
      pos += 4;
    }
  }

  private int read() throws IOException {
    if (pos == end && !fill()) {
      throw new EOFException("the file ends in the middle of a field");
    }
    return buf[pos++] & 0xff;
  }

  private boolean fill() throws IOException {
    consumed += end;
    pos = end = 0;
    int n = in.read(buf, 0, buf.length);
    if (n <= 0) {
      return false;
    }
    end = n;
    return true;
  }

  /** A file that is not the protobuf it should be. */
  static final class ProtoException extends IOException {
    ProtoException(String message) {
      super(message);
    }
  }
}
