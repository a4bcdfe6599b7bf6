package dev.mtk.search.index;

import dev.mtk.core.io.AtomicFile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The on-disk index: one file, little-endian, documented in docs/SEARCH.md.
 *
 * <pre>
 * 0   8  magic "MTKINDEX"          24  8  count n
 * 8   4  version (1)               32  4  section count S (at most 16)
 * 12  4  header bytes = 64 + 32·S  36  4  CRC32C of the header, this field read as 0
 * 16  4  dim d                     40 24  zero
 * 20  1  metric (0 ip, 1 cosine, 2 l2)
 * 21  1  precision (0 f32, 1 int8, 2 binary), 22 2 zero
 * 64  S × 32: kind u32, 0 u32, offset u64, length u64, CRC32C u32, 0 u32
 * </pre>
 *
 * Sections start on 64-byte boundaries. Kinds: 1 ids (n × i64), 2 vectors (n × d × f32, row-major),
 * 3 norm dims (u32 P, P × u32), 4 norms (P × n × f32: 1/|x_m| for cosine, |x_m|² for l2),
 * 5 int8 ranges (d × f32 scale, d × f32 offset), 6 int8 codes, 7 sign bits (⌈d/64⌉ × n × u64,
 * word-major: word 0 of every row, then word 1 of every row…; bit j of word w set when dimension
 * 64w + j is positive), 8 texts (optional: (n + 1) × u64 byte offsets, then the rows' texts
 * as UTF-8, row r between offsets r and r + 1). Every length is checked against n and d before anything is mapped, and
 * every section's checksum before it is used.
 *
 * <p>The int8 codes are laid out for Matryoshka prefixes: the dimensions are cut into bands
 * [0, 16), [16, 32), [32, 64), … (each edge doubling, the last ending at d); band after band, the
 * section holds for each block of 16 rows (⌈n/16⌉ blocks, rows past n zero) the band's codes
 * dimension-major (the 16 rows' codes of the band's first dimension, then of its second…). A scan
 * at a prefix of 16 dimensions thus reads one contiguous run of 16 bytes per row, and a scan at 64
 * reads three runs, never the codes it does not need.
 */
public final class IndexFile {

  public static final String FILE_NAME = "index.mtk";
  static final byte[] MAGIC = "MTKINDEX".getBytes(StandardCharsets.US_ASCII);
  static final int VERSION = 1;
  static final int MAX_SECTIONS = 16;
  static final int IDS = 1, VECTORS = 2, NORM_DIMS = 3, NORMS = 4, INT8_RANGES = 5, INT8_CODES = 6,
      SIGN_BITS = 7, TEXTS = 8;
  static final String[] KIND_NAMES = {"?", "ids", "vectors", "norm dims", "norms", "int8 ranges",
      "int8 codes", "sign bits", "texts"};
  static final int MAX_DIM = 65_536;
  static final ValueLayout.OfFloat LE_FLOAT =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  static final ValueLayout.OfLong LE_LONG =
      ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
  static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  private IndexFile() {}

  /** The index file is damaged, cut short, or not an index. */
  public static final class CorruptIndexException extends IOException {
    public CorruptIndexException(Path file, String problem) {
      super(file + ": " + problem);
    }
  }

  /** The prefixes whose norms are stored: 8, 16, 32, … below d, and d. */
  static int[] normDims(int d) {
    return dev.mtk.core.matryoshka.Ladder.doubling(8, d);
  }


  /** What the norms section holds for a prefix whose squared norm is ss. */
  static float storedNorm(Metric metric, double ss) {
    return metric == Metric.L2 ? (float) ss : ss > 0 ? (float) (1 / Math.sqrt(ss)) : 0f;
  }

  static long blocks(long n) {
    return (n + 15) / 16;
  }

  /** Band edges of the int8 codes: 0, 16, 32, 64, … below d, and d. */
  static int[] bandEdges(int d) {
    List<Integer> e = new ArrayList<>(List.of(0));
    for (int m = 16; m < d; m *= 2) {
      e.add(m);
    }
    e.add(d);
    return e.stream().mapToInt(Integer::intValue).toArray();
  }

  // ------------------------------------------------------------------------------------- writing

  /** Buffered little-endian output of one section, with its checksum. */
  private static final class SectionOut {
    final FileChannel ch;
    final ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    final CRC32C crc = new CRC32C();
    long length;

    SectionOut(FileChannel ch) {
      this.ch = ch;
    }

    void room(int bytes) throws IOException {
      if (buf.remaining() < bytes) {
        flush();
      }
    }

    void putFloat(float v) throws IOException {
      room(4);
      buf.putFloat(v);
    }

    void putLong(long v) throws IOException {
      room(8);
      buf.putLong(v);
    }

    void putInt(int v) throws IOException {
      room(4);
      buf.putInt(v);
    }

    void put(byte[] b, int off, int len) throws IOException {
      while (len > 0) {
        room(1);
        int n = Math.min(len, buf.remaining());
        buf.put(b, off, n);
        off += n;
        len -= n;
      }
    }

    void flush() throws IOException {
      buf.flip();
      crc.update(buf.duplicate());
      length += buf.remaining();
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      buf.clear();
    }
  }

  private record Entry(int kind, long offset, long length, int crc) {}

  /** The body of one section. */
  @FunctionalInterface
  private interface Body {
    void write(SectionOut out) throws IOException;
  }

  /**
   * Writes an index of {@code src}'s rows atomically (a temporary file renamed over
   * {@code file}). {@code ids} may be null (row numbers); {@code codes} is the int8 calibration
   * to use, or null to calibrate on {@code src} (int8 only).
   */
  public static void write(Path file, RowSource src, long[] ids, Metric metric, Precision precision,
      Int8Codes codes, Progress progress) throws IOException {
    write(file, src, ids, null, metric, precision, codes, progress);
  }

  /** As above, keeping a text for each row ({@code texts} null: none), returned with hits. */
  public static void write(Path file, RowSource src, long[] ids, List<String> texts, Metric metric,
      Precision precision, Int8Codes codes, Progress progress) throws IOException {
    long n = src.rows();
    int d = src.dim();
    if (d < 1 || d > MAX_DIM) {
      throw new IllegalArgumentException("dimension " + d + " is outside 1.." + MAX_DIM);
    }
    if (n > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException(n + " vectors is more than one index holds ("
          + (Integer.MAX_VALUE - 16) + ")");
    }
    if (ids != null && ids.length != n) {
      throw new IllegalArgumentException(ids.length + " ids for " + n + " vectors");
    }
    if (texts != null && texts.size() != n) {
      throw new IllegalArgumentException(texts.size() + " texts for " + n + " vectors");
    }
    Int8Codes q8 = precision != Precision.INT8 ? null : codes != null ? codes : Int8Codes.calibrate(src);
    int[] normDims = metric == Metric.IP ? null : normDims(d);
    List<Integer> kinds = new ArrayList<>(List.of(IDS, VECTORS));
    if (normDims != null) {
      kinds.addAll(List.of(NORM_DIMS, NORMS));
    }
    if (q8 != null) {
      kinds.addAll(List.of(INT8_RANGES, INT8_CODES));
    }
    if (precision == Precision.BINARY) {
      kinds.add(SIGN_BITS);
    }
    if (texts != null) {
      kinds.add(TEXTS);
    }
    int headerBytes = 64 + 32 * kinds.size();
    float[][] norms = normDims == null ? null : new float[normDims.length][(int) n];
    long work = n * (2 + (q8 != null ? 1 : 0) + (precision == Precision.BINARY ? 1 : 0));
    long[] done = {0};
    AtomicFile.writeChannel(file, ch -> {
      List<Entry> entries = new ArrayList<>();
      long[] pos = {headerBytes};
      Body[] bodies = new Body[9];
      float[] row = new float[d];
      bodies[IDS] = out -> {
        for (long i = 0; i < n; i++) {
          out.putLong(ids == null ? i : ids[(int) i]);
        }
        progress.update(done[0] += n, work);
      };
      bodies[VECTORS] = out -> {
        for (long i = 0; i < n; i++) {
          src.row(i, row);
          for (int j = 0; j < d; j++) {
            if (!Float.isFinite(row[j])) {
              throw new IllegalArgumentException("vector " + i + " has a non-finite value (" + row[j]
                  + ") at dimension " + j + ": an index holds finite vectors only");
            }
            out.putFloat(row[j]);
          }
          if (norms != null) {
            double ss = 0;
            int p = 0;
            for (int j = 0; j < d; j++) {
              ss += (double) row[j] * row[j];
              if (j + 1 == normDims[p]) {
                norms[p++][(int) i] = storedNorm(metric, ss);
              }
            }
          }
          if ((i & 4095) == 4095) {
            progress.update(done[0] + i, work);
          }
        }
        progress.update(done[0] += n, work);
      };
      bodies[NORM_DIMS] = out -> {
        out.putInt(normDims.length);
        for (int m : normDims) {
          out.putInt(m);
        }
      };
      bodies[NORMS] = out -> {
        for (float[] table : norms) {
          for (float v : table) {
            out.putFloat(v);
          }
        }
      };
      bodies[INT8_RANGES] = out -> {
        for (float v : q8.scale()) {
          out.putFloat(v);
        }
        for (float v : q8.offset()) {
          out.putFloat(v);
        }
      };
      bodies[INT8_CODES] = out -> {
        byte[] block = new byte[16 * d];
        int[] edges = bandEdges(d);
        for (int k = 0; k + 1 < edges.length; k++) {
          int lo = edges[k], w = edges[k + 1] - lo;
          for (long b = 0; b < blocks(n); b++) {
            java.util.Arrays.fill(block, 0, 16 * w, (byte) 0);
            for (int r = 0; r < 16 && b * 16 + r < n; r++) {
              src.row(b * 16 + r, row);
              for (int j = 0; j < w; j++) {
                block[16 * j + r] = q8.code(row[lo + j], lo + j); // this band's dimensions only
              }
            }
            out.put(block, 0, 16 * w);
          }
          progress.update(done[0] + n * (k + 1) / (edges.length - 1), work);
        }
        progress.update(done[0] += n, work);
      };
      bodies[SIGN_BITS] = out -> {
        int words = (d + 63) / 64;
        for (int w = 0; w < words; w++) {
          for (long i = 0; i < n; i++) {
            src.row(i, row);
            long bits = 0;
            for (int j = 64 * w; j < Math.min(d, 64 * w + 64); j++) {
              if (row[j] > 0f) {
                bits |= 1L << (j - 64 * w);
              }
            }
            out.putLong(bits);
          }
          progress.update(done[0] + n * (w + 1) / words, work);
        }
        progress.update(done[0] += n, work);
      };
      bodies[TEXTS] = out -> {
        byte[][] utf8 = new byte[texts.size()][];
        long offset = 0;
        out.putLong(0);
        for (int i = 0; i < utf8.length; i++) {
          utf8[i] = texts.get(i).getBytes(StandardCharsets.UTF_8);
          out.putLong(offset += utf8[i].length);
        }
        for (byte[] b : utf8) {
          out.put(b, 0, b.length);
        }
      };
      for (int kind : kinds) {
        long start = (pos[0] + 63) & ~63L;
        ch.position(start);
        SectionOut out = new SectionOut(ch);
        bodies[kind].write(out);
        out.flush();
        entries.add(new Entry(kind, start, out.length, (int) out.crc.getValue()));
        pos[0] = start + out.length;
      }
      // an empty section after the last byte (an index of 0 rows) still lies inside the file
      long end = 0;
      for (Entry e : entries) {
        end = Math.max(end, e.offset + e.length);
      }
      if (ch.size() < end) {
        ch.write(ByteBuffer.allocate((int) (end - ch.size())), ch.size());
      }
      ByteBuffer h = ByteBuffer.allocate(headerBytes).order(ByteOrder.LITTLE_ENDIAN);
      h.put(MAGIC).putInt(VERSION).putInt(headerBytes).putInt(d)
          .put((byte) metric.ordinal()).put((byte) precision.ordinal()).putShort((short) 0)
          .putLong(n).putInt(entries.size()).putInt(0);
      h.position(64);
      for (Entry e : entries) {
        h.putInt(e.kind).putInt(0).putLong(e.offset).putLong(e.length).putInt(e.crc).putInt(0);
      }
      CRC32C crc = new CRC32C();
      crc.update(h.array(), 0, headerBytes);
      h.putInt(36, (int) crc.getValue());
      h.position(0);
      ch.position(0);
      while (h.hasRemaining()) {
        ch.write(h);
      }
    });
  }

  /**
   * Appends rows to an index, rewriting it atomically (written beside the mapped file and renamed
   * over it: an open mapping stays valid), one append at a time (others wait, across processes
   * too: a lock file beside the index). {@code ids} null continues after the largest id; the
   * int8 ranges stay as calibrated at build time; an index that keeps texts needs
   * {@code texts} for the new rows, one that keeps none takes none. Returns the new row count.
   */
  public static int append(Path index, RowSource more, long[] ids, List<String> texts,
      Progress progress) throws IOException {
    // appends to one index take turns (the second waits): each reads the rows the last one wrote
    Path file = Files.isDirectory(index) ? index.resolve(FILE_NAME) : index;
    Path lockFile = file.resolveSibling(file.getFileName() + ".lock");
    Object inJvm = APPENDING.computeIfAbsent(lockFile.toAbsolutePath().normalize(), k -> new Object());
    synchronized (inJvm) {
      try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE,
          StandardOpenOption.WRITE); var held = ch.lock()) {
        return appendLocked(file, more, ids, texts, progress);
      }
    }
  }

  /** One monitor per index file, for appends from threads of this JVM (file locks are per JVM). */
  private static final java.util.concurrent.ConcurrentHashMap<Path, Object> APPENDING =
      new java.util.concurrent.ConcurrentHashMap<>();

  private static int appendLocked(Path index, RowSource more, long[] ids, List<String> texts,
      Progress progress) throws IOException {
    try (VectorIndex ix = open(index)) {
      if (more.dim() != ix.dim()) {
        throw new IllegalArgumentException("the new vectors have " + more.dim()
            + " dimensions, the index " + ix.dim());
      }
      if (ix.hasTexts() != (texts != null)) {
        throw new IllegalArgumentException(ix.hasTexts()
            ? "the index keeps a text per row: add rows with their texts"
            : "the index keeps no texts: add vectors only");
      }
      long[] old = ix.ids();
      long[] all = new long[Math.toIntExact(old.length + more.rows())];
      System.arraycopy(old, 0, all, 0, old.length);
      long next = 0;
      java.util.Set<Long> seen = new java.util.HashSet<>();
      for (long id : old) {
        next = Math.max(next, id + 1);
        seen.add(id);
      }
      for (int i = 0; i < more.rows(); i++) {
        all[old.length + i] = ids == null ? next + i : ids[i];
        if (!seen.add(all[old.length + i])) {
          throw new IllegalArgumentException("id " + all[old.length + i] + " is already in the index");
        }
      }
      List<String> allTexts = null;
      if (texts != null) {
        allTexts = new ArrayList<>(ix.texts());
        allTexts.addAll(texts);
      }
      // an empty int8 index has seen no vectors to calibrate on: its first rows do it
      write(ix.file(), ix.rows().concat(more), all, allTexts, ix.metric(), ix.precision(),
          ix.count() == 0 ? null : ix.int8(), progress);
      return all.length;
    }
  }

  /** Progress of a long write: done out of total rows of work. */
  @FunctionalInterface
  public interface Progress {
    Progress NONE = (done, total) -> {};

    void update(long done, long total);
  }

  // ------------------------------------------------------------------------------------- reading

  /** Maps and verifies an index file (or the index.mtk inside a directory). */
  public static VectorIndex open(Path path) throws IOException {
    Path file = Files.isDirectory(path) ? path.resolve(FILE_NAME) : path;
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null,
          "no index here (build one with ./mtk index build)");
    }
    Arena arena = Arena.ofShared();
    try {
      return read(file, arena);
    } catch (IOException | RuntimeException e) {
      arena.close();
      throw e;
    }
  }

  /** What an index holds, its checksums verified by opening it: keys in a fixed order. */
  public static java.util.Map<String, Object> info(Path path) throws IOException {
    try (VectorIndex ix = open(path)) {
      var o = new java.util.LinkedHashMap<String, Object>();
      o.put("file", ix.file().toString());
      o.put("count", ix.count());
      o.put("dim", ix.dim());
      o.put("metric", ix.metric().id());
      o.put("precision", ix.precision().id());
      o.put("texts", ix.hasTexts());
      o.put("bytes", Files.size(ix.file()));
      o.put("scan_bytes_per_vector", ix.precision().bytesPerVector(ix.dim()));
      o.put("checksums", "ok");
      return o;
    }
  }

  private static VectorIndex read(Path file, Arena arena) throws IOException {
    long size;
    ByteBuffer head = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      size = ch.size();
      if (size < 64) {
        throw new CorruptIndexException(file, "only " + size + " bytes: not an mtk index");
      }
      while (head.hasRemaining() && ch.read(head, head.position()) > 0) {
        // fixed header
      }
      byte[] magic = new byte[8];
      head.get(0, magic);
      if (!java.util.Arrays.equals(magic, MAGIC)) {
        throw new CorruptIndexException(file, "not an mtk index (wrong magic)");
      }
      int version = head.getInt(8);
      if (version != VERSION) {
        throw new CorruptIndexException(file, "index format version " + version
            + " (this mtk reads version " + VERSION + "; rebuild the index)");
      }
      int headerBytes = head.getInt(12);
      int sections = head.getInt(32);
      if (sections < 1 || sections > MAX_SECTIONS || headerBytes != 64 + 32 * sections
          || headerBytes > size) {
        throw new CorruptIndexException(file, "header is damaged (" + sections + " sections in "
            + headerBytes + " bytes)");
      }
      ByteBuffer all = ByteBuffer.allocate(headerBytes).order(ByteOrder.LITTLE_ENDIAN);
      while (all.hasRemaining() && ch.read(all, all.position()) > 0) {
        // header and section table
      }
      int stored = all.getInt(36);
      all.putInt(36, 0);
      CRC32C crc = new CRC32C();
      crc.update(all.array(), 0, headerBytes);
      if ((int) crc.getValue() != stored) {
        throw new CorruptIndexException(file, "header checksum mismatch: the file is damaged");
      }
      int d = all.getInt(16);
      int metricCode = all.get(20), precisionCode = all.get(21);
      long n = all.getLong(24);
      if (d < 1 || d > MAX_DIM || n < 0 || n > Integer.MAX_VALUE - 16
          || metricCode < 0 || metricCode >= Metric.values().length
          || precisionCode < 0 || precisionCode >= Precision.values().length) {
        throw new CorruptIndexException(file, "header holds impossible values (dim " + d
            + ", count " + n + ")");
      }
      Metric metric = Metric.values()[metricCode];
      Precision precision = Precision.values()[precisionCode];
      MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
      MemorySegment[] sec = new MemorySegment[9];
      for (int s = 0; s < sections; s++) {
        int at = 64 + 32 * s;
        int kind = all.getInt(at);
        long off = all.getLong(at + 8), len = all.getLong(at + 16);
        int sum = all.getInt(at + 24);
        if (kind < 1 || kind > TEXTS || sec[kind] != null) {
          throw new CorruptIndexException(file, "section table is damaged (kind " + kind + ")");
        }
        if (off < headerBytes || len < 0 || off > size || len > size - off) {
          throw new CorruptIndexException(file, "the " + KIND_NAMES[kind] + " section lies outside"
              + " the file (cut short?)");
        }
        sec[kind] = seg.asSlice(off, len);
        if (checksum(sec[kind]) != sum) {
          throw new CorruptIndexException(file, "the " + KIND_NAMES[kind]
              + " section fails its checksum: the file is damaged; rebuild the index");
        }
      }
      need(file, sec, IDS, 8 * n);
      need(file, sec, VECTORS, 4 * n * d);
      int[] normDims = null;
      float[][] norms = null;
      if (metric != Metric.IP) {
        int[] expected = normDims(d);
        need(file, sec, NORM_DIMS, 4 + 4L * expected.length);
        normDims = new int[expected.length];
        for (int p = 0; p < expected.length; p++) {
          normDims[p] = sec[NORM_DIMS].get(LE_INT, 4 + 4L * p);
        }
        if (!java.util.Arrays.equals(normDims, expected)) {
          throw new CorruptIndexException(file, "norm dims " + java.util.Arrays.toString(normDims)
              + " do not match dimension " + d);
        }
        need(file, sec, NORMS, 4L * n * expected.length);
        norms = new float[expected.length][(int) n];
        for (int p = 0; p < expected.length; p++) {
          MemorySegment.copy(sec[NORMS], LE_FLOAT, 4L * n * p, norms[p], 0, (int) n);
        }
      }
      Int8Codes q8 = null;
      if (precision == Precision.INT8) {
        need(file, sec, INT8_RANGES, 8L * d);
        float[] scale = new float[d], offset = new float[d];
        MemorySegment.copy(sec[INT8_RANGES], LE_FLOAT, 0, scale, 0, d);
        MemorySegment.copy(sec[INT8_RANGES], LE_FLOAT, 4L * d, offset, 0, d);
        q8 = new Int8Codes(scale, offset);
        need(file, sec, INT8_CODES, blocks(n) * 16 * d);
      }
      if (precision == Precision.BINARY) {
        need(file, sec, SIGN_BITS, 8 * n * ((d + 63) / 64));
      }
      long[] textOffsets = null;
      if (sec[TEXTS] != null) {
        if (sec[TEXTS].byteSize() < 8 * (n + 1)) {
          throw new CorruptIndexException(file, "the texts section is too short for " + n + " rows");
        }
        textOffsets = new long[(int) n + 1];
        MemorySegment.copy(sec[TEXTS], LE_LONG, 0, textOffsets, 0, (int) n + 1);
        long base = 8 * (n + 1), room = sec[TEXTS].byteSize() - base;
        for (int i = 0; i <= n; i++) {
          if (textOffsets[i] < (i == 0 ? 0 : textOffsets[i - 1]) || textOffsets[i] > room) {
            throw new CorruptIndexException(file, "the texts section's offsets are damaged at row " + i);
          }
        }
      }
      long[] ids = new long[(int) n];
      MemorySegment.copy(sec[IDS], LE_LONG, 0, ids, 0, (int) n);
      return new VectorIndex(file, arena, d, (int) n, metric, precision, ids, sec[VECTORS],
          normDims, norms, q8, sec[INT8_CODES], sec[SIGN_BITS], sec[TEXTS], textOffsets);
    }
  }

  private static void need(Path file, MemorySegment[] sec, int kind, long bytes)
      throws CorruptIndexException {
    if (sec[kind] == null) {
      throw new CorruptIndexException(file, "the " + KIND_NAMES[kind] + " section is missing");
    }
    if (sec[kind].byteSize() != bytes) {
      throw new CorruptIndexException(file, "the " + KIND_NAMES[kind] + " section has "
          + sec[kind].byteSize() + " bytes, " + bytes + " expected");
    }
  }

  private static int checksum(MemorySegment s) {
    CRC32C crc = new CRC32C();
    long chunk = 1L << 30;
    for (long off = 0; off < s.byteSize(); off += chunk) {
      crc.update(s.asSlice(off, Math.min(chunk, s.byteSize() - off)).asByteBuffer());
    }
    return (int) crc.getValue();
  }
}
