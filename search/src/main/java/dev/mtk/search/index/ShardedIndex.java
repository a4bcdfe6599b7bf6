package dev.mtk.search.index;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mtk.core.io.AtomicFile;
import dev.mtk.core.parallel.WorkerPool;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An index cut into shards: a directory holding {@code shards.json} and {@code shard-00000/},
 * {@code shard-00001/}, … each an ordinary index ({@code index.mtk}, checksummed, written
 * atomically) of a contiguous range of the rows, keeping their global ids. The manifest is
 * written last, after every shard is whole, so a directory without one is not an index. Int8
 * shards share one calibration (measured on all rows), so each row has the codes, and every
 * query the scores, that one index of the same rows would give; {@link ShardedSearch} merges
 * the shards' results into exactly that index's results.
 */
public final class ShardedIndex {

  public static final String MANIFEST = "shards.json";
  static final String FORMAT = "mtk-sharded-index";
  /** Shards in one index (each is a task; more would only cost scheduling). */
  public static final int MAX_SHARDS = 4096;

  private ShardedIndex() {}

  /** One shard: its directory (relative to the index), rows, first global row and id range. */
  public record Shard(String path, int rows, long firstRow, long minId, long maxId, long bytes)
      implements Serializable {}

  /** What shards.json says. */
  public record Manifest(int dim, long count, Metric metric, Precision precision, boolean texts,
      List<Shard> shards) implements Serializable {
    public Manifest {
      shards = List.copyOf(shards);
    }
  }

  /** Whether {@code dir} is a sharded index (it holds a manifest). */
  public static boolean isSharded(Path dir) {
    return Files.isRegularFile(dir.resolve(MANIFEST));
  }

  /** The directory of shard {@code i}. */
  public static Path shardDir(Path dir, int i) {
    return dir.resolve(String.format(Locale.ROOT, "shard-%05d", i));
  }

  /** The first row of each of {@code shards} contiguous, near-equal ranges of n rows, and n. */
  public static long[] ranges(long n, int shards) {
    if (shards < 1 || shards > MAX_SHARDS) {
      throw new IllegalArgumentException("shards must be in 1.." + MAX_SHARDS + ", got " + shards);
    }
    if (n < shards) {
      throw new IllegalArgumentException(n + " rows cannot fill " + shards + " shards");
    }
    long[] start = new long[shards + 1];
    for (int i = 0; i <= shards; i++) {
      start[i] = n * i / shards;
    }
    return start;
  }

  /**
   * Writes shard {@code i}: rows {@code [from, to)} of {@code src} with their ids (null: the row
   * numbers) and texts (null: none), scanning codes calibrated once for all shards ({@code codes},
   * int8 only). Atomic: a failed or repeated attempt leaves a whole shard or none.
   */
  public static Shard writeShard(Path dir, int i, RowSource src, long from, long to, long[] ids,
      List<String> texts, Metric metric, Precision precision, Int8Codes codes) throws IOException {
    int rows = Math.toIntExact(to - from);
    long[] own = new long[rows];
    for (int r = 0; r < rows; r++) {
      own[r] = ids == null ? from + r : ids[(int) (from + r)];
    }
    return writeShard(dir, i, slice(src, from, rows), from, own,
        texts == null ? null : texts.subList((int) from, (int) to), metric, precision, codes);
  }

  /**
   * Writes shard {@code i} from its own rows: {@code rows} (the global rows from
   * {@code firstRow} on), their global ids and texts (null: none).
   */
  public static Shard writeShard(Path dir, int i, RowSource rows, long firstRow, long[] ids,
      List<String> texts, Metric metric, Precision precision, Int8Codes codes) throws IOException {
    Path d = shardDir(dir, i);
    Files.createDirectories(d);
    Path file = d.resolve(IndexFile.FILE_NAME);
    IndexFile.write(file, rows, ids, texts, metric, precision, codes, IndexFile.Progress.NONE);
    long min = Long.MAX_VALUE, max = Long.MIN_VALUE;
    for (long id : ids) {
      min = Math.min(min, id);
      max = Math.max(max, id);
    }
    return new Shard(dir.relativize(d).toString(), Math.toIntExact(rows.rows()), firstRow, min, max, Files.size(file));
  }

  /** The int8 calibration every shard of {@code src} shares (null for other precisions). */
  public static Int8Codes codesFor(RowSource src, Precision precision) {
    return precision == Precision.INT8 ? Int8Codes.calibrate(src) : null;
  }

  /**
   * Writes a sharded index of {@code src} in this process, shard after shard: what
   * {@code mtk spark index build} does with one task per shard.
   */
  public static Manifest write(Path dir, RowSource src, long[] ids, List<String> texts, Metric metric,
      Precision precision, int shards) throws IOException {
    long[] start = ranges(src.rows(), shards);
    Int8Codes codes = codesFor(src, precision);
    List<Shard> out = new ArrayList<>();
    for (int i = 0; i < shards; i++) {
      out.add(writeShard(dir, i, src, start[i], start[i + 1], ids, texts, metric, precision, codes));
    }
    Manifest m = new Manifest(src.dim(), src.rows(), metric, precision, texts != null, out);
    writeManifest(dir, m);
    return m;
  }

  /** Writes shards.json (atomically), checking that the shards cover the rows in order. */
  public static void writeManifest(Path dir, Manifest m) throws IOException {
    long next = 0;
    for (Shard s : m.shards()) {
      if (s.firstRow() != next) {
        throw new IllegalArgumentException("shard " + s.path() + " starts at row " + s.firstRow()
            + ", expected " + next);
      }
      next += s.rows();
    }
    if (next != m.count()) {
      throw new IllegalArgumentException("the shards hold " + next + " rows, the manifest says " + m.count());
    }
    ObjectMapper json = new ObjectMapper();
    ObjectNode o = json.createObjectNode();
    o.put("format", FORMAT);
    o.put("version", 1);
    o.put("dim", m.dim());
    o.put("count", m.count());
    o.put("metric", m.metric().id());
    o.put("precision", m.precision().id());
    o.put("texts", m.texts());
    ArrayNode a = o.putArray("shards");
    for (Shard s : m.shards()) {
      ObjectNode e = a.addObject();
      e.put("path", s.path());
      e.put("rows", s.rows());
      e.put("first_row", s.firstRow());
      e.put("min_id", s.minId());
      e.put("max_id", s.maxId());
      e.put("bytes", s.bytes());
    }
    AtomicFile.write(dir.resolve(MANIFEST), json.writerWithDefaultPrettyPrinter()
        .writeValueAsString(o).concat("\n").getBytes(StandardCharsets.UTF_8));
  }

  /** Reads and checks shards.json; errors name the file and the field. */
  public static Manifest read(Path dir) throws IOException {
    Path file = dir.resolve(MANIFEST);
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "no sharded index here (build one with ./mtk spark index build)");
    }
    if (Files.size(file) > (64L << 20)) {
      throw new IOException(file + ": " + Files.size(file) + " bytes is too large for a manifest");
    }
    JsonNode o;
    try {
      o = new ObjectMapper().readTree(file.toFile());
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new IOException(file + ": not JSON (" + e.getOriginalMessage() + ")");
    }
    if (o == null || !FORMAT.equals(o.path("format").asText())) {
      throw new IOException(file + ": \"format\" is not \"" + FORMAT + "\"");
    }
    if (o.path("version").asInt() != 1) {
      throw new IOException(file + ": \"version\" " + o.path("version") + " is not one this mtk reads (1)");
    }
    int dim = field(file, o, "dim").asInt();
    long count = field(file, o, "count").asLong();
    Metric metric;
    Precision precision;
    try {
      metric = Metric.parse(field(file, o, "metric").asText());
      precision = Precision.parse(field(file, o, "precision").asText());
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage());
    }
    JsonNode arr = field(file, o, "shards");
    if (!arr.isArray() || arr.isEmpty() || arr.size() > MAX_SHARDS) {
      throw new IOException(file + ": \"shards\" must list 1.." + MAX_SHARDS + " shards");
    }
    List<Shard> shards = new ArrayList<>();
    long next = 0;
    for (int i = 0; i < arr.size(); i++) {
      JsonNode e = arr.get(i);
      String path = field(file, e, "path").asText();
      Path resolved = dir.resolve(path).normalize();
      if (!resolved.startsWith(dir.normalize())) {
        throw new IOException(file + ": shard " + i + "'s \"path\" " + path + " leaves the index directory");
      }
      Shard s = new Shard(path, field(file, e, "rows").asInt(), field(file, e, "first_row").asLong(),
          field(file, e, "min_id").asLong(), field(file, e, "max_id").asLong(), e.path("bytes").asLong());
      if (s.firstRow() != next || s.rows() < 0) {
        throw new IOException(file + ": shard " + i + " starts at row " + s.firstRow() + ", expected " + next);
      }
      next += s.rows();
      shards.add(s);
    }
    if (next != count) {
      throw new IOException(file + ": the shards hold " + next + " rows, \"count\" says " + count);
    }
    return new Manifest(dim, count, metric, precision, o.path("texts").asBoolean(), shards);
  }

  private static JsonNode field(Path file, JsonNode o, String name) throws IOException {
    JsonNode v = o.get(name);
    if (v == null || v.isNull()) {
      throw new IOException(file + ": missing \"" + name + "\"");
    }
    return v;
  }

  /**
   * Opens shard {@code i} and checks it against the manifest; a shard that is missing, corrupt
   * or not the one listed is named in the error.
   */
  public static VectorIndex openShard(Path dir, Manifest m, int i) throws IOException {
    Shard s = m.shards().get(i);
    Path at = dir.resolve(s.path());
    VectorIndex ix;
    try {
      ix = IndexFile.open(at);
    } catch (IOException e) {
      throw new IOException("shard " + i + " of " + dir + " (" + s.path() + "): " + e.getMessage(), e);
    }
    if (ix.count() != s.rows() || ix.dim() != m.dim() || ix.metric() != m.metric()
        || ix.precision() != m.precision()) {
      String got = ix.count() + " rows, dim " + ix.dim() + ", " + ix.metric().id() + ", " + ix.precision().id();
      ix.close();
      throw new IOException("shard " + i + " of " + dir + " (" + s.path() + ") holds " + got
          + "; the manifest says " + s.rows() + " rows, dim " + m.dim() + ", " + m.metric().id()
          + ", " + m.precision().id());
    }
    return ix;
  }

  /** A sharded index opened in this process: every shard searched here, one after another. */
  public static final class Local implements ShardedSearch.Shards, AutoCloseable {
    private final Path dir;
    private final Manifest manifest;
    private final List<VectorIndex> open = new ArrayList<>();
    private final List<Searcher> searchers = new ArrayList<>();

    public Local(Path dir, WorkerPool pool) throws IOException {
      this.dir = dir;
      this.manifest = read(dir);
      try {
        for (int i = 0; i < manifest.shards().size(); i++) {
          VectorIndex ix = openShard(dir, manifest, i);
          open.add(ix);
          searchers.add(ix.searcher(pool));
        }
      } catch (IOException | RuntimeException e) {
        close();
        throw e;
      }
    }

    public Path dir() {
      return dir;
    }

    @Override
    public Manifest manifest() {
      return manifest;
    }

    /** The stored text of the row with this id, or null. */
    public String text(long id) {
      for (VectorIndex ix : open) {
        int r = ix.rowOf(id);
        if (r >= 0) {
          return ix.text(r);
        }
      }
      return null;
    }

    @Override
    public <I extends Serializable, R extends Serializable> List<R> each(float[] queries, List<I> inputs,
        ShardedSearch.ShardWork<I, R> work) {
      List<R> out = new ArrayList<>();
      for (int i = 0; i < searchers.size(); i++) {
        out.add(work.run(i, searchers.get(i), queries, inputs.get(i)));
      }
      return out;
    }

    @Override
    public void close() {
      for (VectorIndex ix : open) {
        ix.close();
      }
      open.clear();
    }
  }

  /** Rows [from, from + n) of src as a source of their own. */
  static RowSource slice(RowSource src, long from, int n) {
    return new RowSource() {
      @Override
      public long rows() {
        return n;
      }

      @Override
      public int dim() {
        return src.dim();
      }

      @Override
      public void row(long r, float[] out) {
        src.row(from + r, out);
      }
    };
  }
}
