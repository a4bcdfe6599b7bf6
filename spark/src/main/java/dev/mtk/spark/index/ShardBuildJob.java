package dev.mtk.spark.index;

import dev.mtk.core.io.Npy;
import dev.mtk.search.index.IdFile;
import dev.mtk.search.index.Int8Codes;
import dev.mtk.search.index.Metric;
import dev.mtk.search.index.Precision;
import dev.mtk.search.index.RowSource;
import dev.mtk.search.index.ShardedIndex;
import java.io.IOException;
import java.io.Serializable;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.spark.Partitioner;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/**
 * {@code mtk spark index build}: one Spark task per shard, each writing an ordinary index file
 * (atomically: a task that fails and is retried leaves a whole shard), then the manifest, last,
 * on the driver. Rows are in id order (a .npy: its row order, ids from --ids or row numbers); an
 * int8 index's ranges are measured once on the driver over all rows, as one index would measure
 * them, so the shards score exactly as that index does.
 */
public final class ShardBuildJob {

  private ShardBuildJob() {}

  /** Tests only: called with (shard, row) as each task reads its rows; may throw to fail it. */
  static volatile RowProbe probe;

  interface RowProbe {
    void row(int shard, int attempt, long row);
  }

  public record Result(ShardedIndex.Manifest manifest, double seconds) {}

  public static Result run(SparkSession spark, Path input, Path ids, int shards, Metric metric,
      Precision precision, Path output) throws IOException {
    if (Files.exists(output.resolve(ShardedIndex.MANIFEST)) || Files.exists(output) && !isEmptyDir(output)) {
      throw new IllegalArgumentException(output + " exists: give a new --output");
    }
    long start = System.nanoTime();
    String name = input.getFileName().toString();
    ShardedIndex.Manifest m = name.endsWith(".npy") ? fromNpy(spark, input, ids, shards, metric, precision, output)
        : fromParquet(spark, input, ids, shards, metric, precision, output);
    ShardedIndex.writeManifest(output, m);
    return new Result(m, (System.nanoTime() - start) / 1e9);
  }

  private static boolean isEmptyDir(Path p) throws IOException {
    if (!Files.isDirectory(p)) {
      return false;
    }
    try (var s = Files.list(p)) {
      return s.findAny().isEmpty();
    }
  }

  /** A .npy on storage every executor reads: each task maps the file and writes its range. */
  private static ShardedIndex.Manifest fromNpy(SparkSession spark, Path npy, Path idFile, int shards,
      Metric metric, Precision precision, Path output) throws IOException {
    long n;
    int d;
    float[][] codes;
    try (Arena a = Arena.ofConfined()) {
      Npy.Matrix mx = Npy.map(npy, a);
      n = mx.rows();
      d = mx.cols();
      Int8Codes c = ShardedIndex.codesFor(RowSource.of(mx), precision);
      codes = c == null ? null : new float[][] {c.scale(), c.offset()};
    }
    long[] ids = idFile == null ? null : IdFile.read(idFile, Math.toIntExact(n));
    long[] start = ShardedIndex.ranges(n, shards);
    String file = npy.toAbsolutePath().toString(), out = output.toAbsolutePath().toString();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    List<ShardedIndex.Shard> written = jsc.parallelize(IntStream.range(0, shards).boxed().toList(), shards)
        .map(i -> {
          try (Arena a = Arena.ofConfined()) {
            RowSource rows = probed(RowSource.of(Npy.map(Path.of(file), a)), i);
            return ShardedIndex.writeShard(Path.of(out), i, rows, start[i], start[i + 1], ids, null, metric,
                precision, codes == null ? null : new Int8Codes(codes[0], codes[1]));
          }
        }).collect();
    return new ShardedIndex.Manifest(d, n, metric, precision, false, written);
  }

  /**
   * Parquet (mtk spark embed's output, or any with {@code id} and {@code embedding}, and
   * {@code text} kept when present): sorted by id, numbered, sent to the shard of its range.
   */
  private static ShardedIndex.Manifest fromParquet(SparkSession spark, Path dir, Path idFile, int shards,
      Metric metric, Precision precision, Path output) throws IOException {
    if (idFile != null) {
      throw new IllegalArgumentException("--ids is for a .npy input; Parquet brings its id column");
    }
    Dataset<Row> pq = spark.read().parquet(dir.toString());
    List<String> cols = List.of(pq.columns());
    if (!cols.contains("id") || !cols.contains("embedding")) {
      throw new IllegalArgumentException(dir + ": Parquet needs columns \"id\" and \"embedding\" (it has " + cols + ")");
    }
    boolean texts = cols.contains("text");
    Dataset<Row> rows = texts ? pq.selectExpr("CAST(id AS BIGINT) AS id", "embedding", "text")
        : pq.selectExpr("CAST(id AS BIGINT) AS id", "embedding");
    JavaPairRDD<Long, Row> numbered = rows.javaRDD().sortBy(r -> r.getLong(0), true, Math.max(1, shards))
        .zipWithIndex().mapToPair(t -> new Tuple2<>(t._2(), t._1()));
    long n = numbered.count();
    long[] start = ShardedIndex.ranges(n, shards);
    int d = numbered.first()._2().getList(1).size();
    float[][] codes = null;
    if (precision == Precision.INT8) {
      // the rows one index's calibration reads (evenly spaced), fetched, measured here
      long s = Math.min(n, Int8Codes.SAMPLE_ROWS);
      java.util.Set<Long> wanted = new java.util.HashSet<>();
      for (long i = 0; i < s; i++) {
        wanted.add(n * i / Math.max(1, s));
      }
      Map<Long, float[]> sample = new HashMap<>();
      for (Tuple2<Long, Row> t : numbered.filter(t -> wanted.contains(t._1())).collect()) {
        sample.put(t._1(), floats(t._2(), 1, d, t._1()));
      }
      Int8Codes c = Int8Codes.calibrate(new RowSource() {
        @Override
        public long rows() {
          return n;
        }

        @Override
        public int dim() {
          return d;
        }

        @Override
        public void row(long r, float[] out) {
          System.arraycopy(sample.get(r), 0, out, 0, d);
        }
      });
      codes = new float[][] {c.scale(), c.offset()};
    }
    float[][] q8 = codes;
    String out = output.toAbsolutePath().toString();
    List<ShardedIndex.Shard> written = numbered.partitionBy(new ShardOf(start))
        .mapPartitionsWithIndex((Integer i, Iterator<Tuple2<Long, Row>> it) -> {
          List<Tuple2<Long, Row>> mine = new ArrayList<>();
          it.forEachRemaining(mine::add);
          mine.sort(Comparator.comparingLong(Tuple2::_1));
          int count = mine.size();
          float[] x = new float[Math.multiplyExact(count, d)];
          long[] own = new long[count];
          List<String> ownTexts = texts ? new ArrayList<>(count) : null;
          for (int r = 0; r < count; r++) {
            Row row = mine.get(r)._2();
            System.arraycopy(floats(row, 1, d, mine.get(r)._1()), 0, x, r * d, d);
            own[r] = row.getLong(0);
            if (texts) {
              ownTexts.add(row.isNullAt(2) ? "" : row.getString(2));
            }
          }
          RowSource src = probed(RowSource.of(x, count, d), i);
          return List.of(ShardedIndex.writeShard(Path.of(out), i, src, start[i], own, ownTexts, metric, precision,
              q8 == null ? null : new Int8Codes(q8[0], q8[1]))).iterator();
        }, true).collect();
    List<ShardedIndex.Shard> ordered = new ArrayList<>(written);
    ordered.sort(Comparator.comparingLong(ShardedIndex.Shard::firstRow));
    return new ShardedIndex.Manifest(d, n, metric, precision, texts, ordered);
  }

  private static float[] floats(Row row, int col, int d, long rowNo) {
    List<Object> v = row.getList(col);
    if (v.size() != d) {
      throw new IllegalArgumentException("row " + rowNo + " (id " + row.getLong(0) + ") has " + v.size()
          + " dimensions, the first row " + d);
    }
    float[] out = new float[d];
    for (int j = 0; j < d; j++) {
      out[j] = ((Number) v.get(j)).floatValue();
    }
    return out;
  }

  private static RowSource probed(RowSource src, int shard) {
    RowProbe p = probe;
    if (p == null) {
      return src;
    }
    int attempt = TaskContext.get() == null ? 0 : TaskContext.get().attemptNumber();
    return new RowSource() {
      @Override
      public long rows() {
        return src.rows();
      }

      @Override
      public int dim() {
        return src.dim();
      }

      @Override
      public void row(long r, float[] out) {
        p.row(shard, attempt, r);
        src.row(r, out);
      }
    };
  }

  /** Row numbers to shards by the ranges' starts. */
  static final class ShardOf extends Partitioner implements Serializable {
    private static final long serialVersionUID = 1L;
    private final long[] start;

    ShardOf(long[] start) {
      this.start = start;
    }

    @Override
    public int numPartitions() {
      return start.length - 1;
    }

    @Override
    public int getPartition(Object key) {
      long r = (Long) key;
      int i = java.util.Arrays.binarySearch(start, r);
      int s = i >= 0 ? i : -i - 2;
      return Math.min(s, start.length - 2);
    }
  }
}
