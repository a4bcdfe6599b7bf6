package dev.mtk.spark.embed;

import dev.mtk.core.io.AtomicFile;
import dev.mtk.tokenizers.text.formats.TextSources;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

/**
 * {@code mtk spark embed}: a corpus (JSON Lines {"text": …}, text lines, or Parquet with a
 * {@code text} column and optionally a {@code id} column) embedded by {@link MatryoshkaEmbedder}
 * into Parquet {@code (id, text, embedding)}, ids being line numbers from 0 where the input has
 * none, so row i is row i of {@code ./mtk embed}'s .npy for the same file.
 */
public final class EmbedJob {

  /** What the job did, also written beside the Parquet files as {@code _mtk.json}. */
  public record Result(long rows, int dim, int partitions, double seconds) {}

  private EmbedJob() {}

  public static Result run(SparkSession spark, Path model, Path input, Path output, int dim, int layer,
      int batch, int partitions) throws IOException {
    if (Files.exists(output)) {
      throw new IllegalArgumentException(output + " exists: give a new --output (Parquet directories are not appended to)");
    }
    if (!Files.exists(input)) {
      throw new IllegalArgumentException(input + ": no such file or directory");
    }
    long start = System.nanoTime();
    int p = partitions > 0 ? partitions : spark.sparkContext().defaultParallelism();
    Docs docs = read(spark, input, p);
    Dataset<Row> embedded = new MatryoshkaEmbedder().setModelPath(model.toString()).setDimensions(dim)
        .setLayer(layer).setBatchSize(batch).setInputCol("text").setOutputCol("embedding").transform(docs.frame());
    embedded.write().parquet(output.toString());
    int width = docs.rows() == 0 ? 0
        : spark.read().parquet(output.toString()).select("embedding").first().getList(0).size();
    Result r = new Result(docs.rows(), width, p, (System.nanoTime() - start) / 1e9);
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("model", model.toAbsolutePath().toString());
    o.put("input", input.toAbsolutePath().toString());
    o.put("rows", r.rows());
    o.put("dim", r.dim());
    o.put("layer", layer);
    o.put("partitions", r.partitions());
    o.put("seconds", r.seconds());
    AtomicFile.write(output.resolve("_mtk.json"), TextSources.JSON.writerWithDefaultPrettyPrinter()
        .writeValueAsString(o).concat("\n").getBytes(StandardCharsets.UTF_8));
    return r;
  }

  /** A corpus as a frame of (id, text) and its number of rows. */
  record Docs(Dataset<Row> frame, long rows) {}

  /** The corpus as (id, text) rows in {@code partitions} contiguous ranges of ids, in order. */
  static Docs read(SparkSession spark, Path input, int partitions) {
    StructType schema = new StructType().add("id", DataTypes.LongType, false).add("text", DataTypes.StringType, true);
    String name = input.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
    if (Files.isDirectory(input) || name.endsWith(".parquet")) {
      Dataset<Row> pq = spark.read().parquet(input.toString());
      java.util.List<String> cols = java.util.Arrays.asList(pq.columns());
      if (!cols.contains("text")) {
        throw new IllegalArgumentException(input + ": Parquet without a \"text\" column (columns: " + cols + ")");
      }
      if (cols.contains("id")) {
        Dataset<Row> byId = pq.selectExpr("CAST(id AS BIGINT) AS id", "text").repartitionByRange(partitions,
            org.apache.spark.sql.functions.col("id")).sortWithinPartitions("id");
        return new Docs(byId, pq.count());
      }
      return ordered(spark, pq.select("text").javaRDD().zipWithIndex()
          .mapToPair(t -> new Tuple2<>(t._2(), t._1().getString(0))), partitions, schema);
    }
    boolean jsonl = TextSources.isJsonLines(input);
    String file = input.toString();
    // lines split at \n alone, as mtk reads them (a \r before it is dropped below)
    JavaPairRDD<Long, String> lines = spark.read().option("lineSep", "\n").text(file).javaRDD().zipWithIndex()
        .mapToPair(t -> {
          long no = t._2();
          String line = t._1().getString(0);
          if (line.endsWith("\r")) {
            line = line.substring(0, line.length() - 1);
          }
          if (no == 0 && line.startsWith("\uFEFF")) {
            line = line.substring(1);
          }
          String text = !jsonl ? line : line.isBlank() ? "" : TextSources.textOf(line, Path.of(file), no + 1);
          return new Tuple2<>(no, text);
        });
    return ordered(spark, lines, partitions, schema);
  }

  private static Docs ordered(SparkSession spark, JavaPairRDD<Long, String> rows, int partitions,
      StructType schema) {
    long n = rows.count();
    JavaRDD<Row> sorted = rows.repartitionAndSortWithinPartitions(new Ranges(n, partitions))
        .map(t -> RowFactory.create(t._1(), t._2()));
    return new Docs(spark.createDataFrame(sorted, schema), n);
  }

  /** Ids 0..n-1 in contiguous, near-equal ranges: partition i holds the i-th. */
  static final class Ranges extends Partitioner {
    private static final long serialVersionUID = 1L;
    private final long n;
    private final int parts;

    Ranges(long n, int parts) {
      this.n = Math.max(1, n);
      this.parts = (int) Math.max(1, Math.min(parts, this.n));
    }

    @Override
    public int numPartitions() {
      return parts;
    }

    @Override
    public int getPartition(Object key) {
      long id = (Long) key;
      return (int) Math.min(parts - 1, id * parts / n);
    }
  }
}
