package dev.mtk.models.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mtk.core.io.AtomicFile;
import dev.mtk.models.nn.autograd.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Hugging Face's safetensors format, float32 only: an 8-byte little-endian header length, a JSON
 * header {name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__":
 * {...}}, then the raw little-endian data. Writes are atomic; reads check the header's size
 * before allocating anything, and every tensor's name, dtype, shape and offsets against what the
 * model expects, naming the first problem.
 */
public final class SafeTensors {

  /** Headers larger than this are refused: a real one for our models is a few kilobytes. */
  public static final long MAX_HEADER = 16L << 20;

  private static final ObjectMapper JSON = new ObjectMapper();

  private SafeTensors() {}

  /** Writes the tensors in the map's order, with string metadata. */
  public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata)
      throws IOException {
    Map<String, int[]> shapes = new LinkedHashMap<>();
    tensors.forEach((n, t) -> shapes.put(n, t.shape()));
    byte[] head = header(shapes, metadata);
    AtomicFile.write(file, out -> {
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(head.length);
      out.write(len.array());
      out.write(head);
      ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
      for (Tensor t : tensors.values()) {
        float[] d = t.data();
        for (int i = 0; i < t.size(); i++) {
          if (buf.remaining() < 4) {
            out.write(buf.array(), 0, buf.position());
            buf.clear();
          }
          buf.putFloat(d[t.offset() + i]);
        }
      }
      out.write(buf.array(), 0, buf.position());
    });
  }

  /** The JSON header of tensors stored in the given order, padded with spaces to a multiple of 8. */
  private static byte[] header(Map<String, int[]> shapes, Map<String, String> metadata) throws IOException {
    ObjectNode header = JSON.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode meta = header.putObject("__metadata__");
      // sorted: a Map.of iterates in an order salted per JVM, and the same model must give the
      // same bytes in every run
      new java.util.TreeMap<>(metadata).forEach(meta::put);
    }
    long offset = 0;
    for (Map.Entry<String, int[]> e : shapes.entrySet()) {
      ObjectNode h = header.putObject(e.getKey());
      h.put("dtype", "F32");
      var shape = h.putArray("shape");
      long size = 1;
      for (int d : e.getValue()) {
        shape.add(d);
        size *= d;
      }
      h.putArray("data_offsets").add(offset).add(offset + 4L * size);
      offset += 4L * size;
    }
    byte[] json = JSON.writeValueAsBytes(header);
    // pad the header with spaces to a multiple of 8 so the data is aligned, as the reference does
    int padded = (json.length + 7) & ~7;
    byte[] head = Arrays.copyOf(json, padded);
    Arrays.fill(head, json.length, padded, (byte) ' ');
    return head;
  }

  /** Puts a tensor's values into a file being written, in any order. */
  public interface Placer {
    /** Writes {@code count} values of tensor {@code name}, from its element {@code index} on. */
    void put(String name, long index, float[] src, int offset, int count) throws IOException;
  }

  /** Fills a streamed file through a {@link Placer}; may throw. */
  @FunctionalInterface
  public interface Filler {
    void fill(Placer placer) throws IOException;
  }

  /**
   * Writes a file of tensors whose values arrive in any order and never all at once (a model
   * converted from another format, tensor by tensor): the header first, then each piece at its
   * place. Every value must be put once; a NaN or an infinity is refused, naming the tensor. The
   * bytes equal those {@link #write} gives for the same tensors.
   */
  public static void writeStreamed(Path file, Map<String, int[]> shapes, Map<String, String> metadata,
      Filler body) throws IOException {
    byte[] head = header(shapes, metadata);
    Map<String, long[]> place = new LinkedHashMap<>(); // name -> {byte offset, size, floats put}
    long offset = 8 + head.length;
    for (Map.Entry<String, int[]> e : shapes.entrySet()) {
      long size = 1;
      for (int d : e.getValue()) {
        size *= d;
      }
      place.put(e.getKey(), new long[] {offset, size, 0});
      offset += 4 * size;
    }
    AtomicFile.writeChannel(file, ch -> {
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(head.length);
      writeFully(ch, len.flip(), 0);
      writeFully(ch, ByteBuffer.wrap(head), 8);
      ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
      body.fill((name, index, src, off, count) -> {
        long[] p = place.get(name);
        if (p == null) {
          throw new IllegalArgumentException("no tensor " + name + " in this file");
        }
        if (index < 0 || index + count > p[1]) {
          throw new IllegalArgumentException("values " + index + ".." + (index + count)
              + " are outside tensor " + name + " of " + p[1]);
        }
        long pos = p[0] + 4 * index;
        for (int i = 0; i < count; i++) {
          float v = src[off + i];
          if (!Float.isFinite(v)) {
            throw new IllegalArgumentException("tensor " + name + " holds " + v + " at element " + (index + i));
          }
          if (buf.remaining() < 4) {
            buf.flip();
            pos += writeFully(ch, buf, pos);
            buf.clear();
          }
          buf.putFloat(v);
        }
        buf.flip();
        writeFully(ch, buf, pos);
        buf.clear();
        p[2] += count;
      });
      for (Map.Entry<String, long[]> e : place.entrySet()) {
        if (e.getValue()[2] != e.getValue()[1]) {
          throw new IllegalStateException("tensor " + e.getKey() + " got " + e.getValue()[2]
              + " of its " + e.getValue()[1] + " values");
        }
      }
    });
  }

  private static int writeFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
    int n = buf.remaining();
    while (buf.hasRemaining()) {
      pos += ch.write(buf, pos);
    }
    return n;
  }

  /** Reads the file into the given tensors, which must match it name for name. Returns metadata. */
  public static Map<String, String> read(Path file, Map<String, Tensor> expected) throws IOException {
    try (Reader r = Reader.open(file)) {
      for (String n : r.entries().keySet()) {
        if (!expected.containsKey(n)) {
          throw new CheckpointException(r.file, "unexpected tensor '" + n + "' (not part of this model)");
        }
      }
      for (Map.Entry<String, Tensor> e : expected.entrySet()) {
        Tensor t = e.getValue();
        r.read(e.getKey(), t.shape(), t.data(), t.offset());
      }
      return r.metadata();
    }
  }

  /**
   * A safetensors file opened for reading tensor by tensor, whatever its names (a Hugging Face
   * checkpoint): the header is parsed and bounded when it opens, each tensor read on demand.
   */
  public static final class Reader implements java.io.Closeable {

    /** One tensor's header entry: dtype, shape and its byte range within the data. */
    public record Entry(String dtype, int[] shape, long begin, long end) {}

    private final String file;
    private final FileChannel ch;
    private final long dataStart, dataLen;
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    private Reader(String file, FileChannel ch) throws IOException {
      this.file = file;
      this.ch = ch;
      long size = ch.size();
      if (size < 8) {
        throw new CheckpointException(file, "is " + size + " bytes, too short for a safetensors header");
      }
      ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, lenBuf, 0);
      long headerLen = lenBuf.flip().getLong();
      if (headerLen <= 0 || headerLen > MAX_HEADER || headerLen > size - 8) {
        throw new CheckpointException(file, "header length " + headerLen + " is impossible (file "
            + size + " bytes, limit " + MAX_HEADER + ")");
      }
      ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
      readFully(ch, hb, 8);
      JsonNode header;
      try {
        header = JSON.readTree(new String(hb.array(), StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new CheckpointException(file, "header is not valid JSON: " + e.getMessage());
      }
      if (header == null || !header.isObject()) {
        throw new CheckpointException(file, "header is not a JSON object");
      }
      dataStart = 8 + headerLen;
      dataLen = size - dataStart;
      JsonNode meta = header.get("__metadata__");
      if (meta != null && meta.isObject()) {
        meta.fields().forEachRemaining(e -> metadata.put(e.getKey(), e.getValue().asText()));
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getKey().equals("__metadata__")) {
          continue;
        }
        JsonNode h = e.getValue();
        int[] shape = new int[h.path("shape").size()];
        for (int i = 0; i < shape.length; i++) {
          shape[i] = h.path("shape").get(i).asInt(-1);
        }
        JsonNode off = h.path("data_offsets");
        entries.put(e.getKey(), new Entry(h.path("dtype").asText(), shape,
            off.size() == 2 ? off.path(0).asLong(-1) : -1, off.size() == 2 ? off.path(1).asLong(-1) : -1));
      }
    }

    public static Reader open(Path file) throws IOException {
      FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
      try {
        return new Reader(file.toString(), ch);
      } catch (IOException | RuntimeException e) {
        ch.close();
        throw e;
      }
    }

    /** The tensors in header order. */
    public Map<String, Entry> entries() {
      return java.util.Collections.unmodifiableMap(entries);
    }

    public Map<String, String> metadata() {
      return java.util.Collections.unmodifiableMap(metadata);
    }

    /**
     * Reads tensor {@code name}, which must be F32 of {@code shape}, into {@code dst} from
     * {@code offset} on; errors name the file and the tensor.
     */
    public void read(String name, int[] shape, float[] dst, int offset) throws IOException {
      Entry h = entries.get(name);
      if (h == null) {
        throw new CheckpointException(file, "tensor '" + name + "' is missing");
      }
      if (!h.dtype().equals("F32")) {
        throw new CheckpointException(file, "tensor '" + name + "' has dtype " + h.dtype() + "; only F32 is supported");
      }
      if (!Arrays.equals(h.shape(), shape)) {
        throw new CheckpointException(file, "tensor '" + name + "' has shape "
            + Arrays.toString(h.shape()) + ", the model expects " + Arrays.toString(shape));
      }
      long count = 1;
      for (int d : shape) {
        count *= d;
      }
      long begin = h.begin(), end = h.end();
      if (begin < 0 || end - begin != 4L * count || end > dataLen) {
        throw new CheckpointException(file, "tensor '" + name + "' has data_offsets [" + begin
            + "," + end + "], which do not hold " + count + " floats inside the " + dataLen + " data bytes");
      }
      ByteBuffer data = ByteBuffer.allocate((int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, data, dataStart + begin);
      data.flip().asFloatBuffer().get(dst, offset, (int) count);
    }

    @Override
    public void close() throws IOException {
      ch.close();
    }
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos);
      if (n < 0) {
        throw new IOException("unexpected end of file");
      }
      pos += n;
    }
  }

  /** A checkpoint file that cannot be loaded: says which file and what is wrong. */
  public static final class CheckpointException extends IllegalArgumentException {
    public CheckpointException(String file, String problem) {
      super(file + ": " + problem);
    }
  }
}
