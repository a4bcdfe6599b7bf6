package dev.mtk.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mtk.core.io.Npy;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.inference.EmbedOptions;
import dev.mtk.models.inference.EmbeddingModel;
import dev.mtk.search.index.BatchedSearch;
import dev.mtk.search.index.Funnel;
import dev.mtk.search.index.Hits;
import dev.mtk.search.index.IndexFile;
import dev.mtk.search.index.Metric;
import dev.mtk.search.index.Precision;
import dev.mtk.search.index.RowSource;
import dev.mtk.search.index.ShardedIndex;
import dev.mtk.search.index.ShardedSearch;
import dev.mtk.search.index.VectorIndex;
import dev.mtk.spark.embed.EmbedJob;
import dev.mtk.spark.embed.MatryoshkaEmbedder;
import dev.mtk.spark.index.ShardBuildJob;
import dev.mtk.spark.index.ShardBuildJobProbe;
import dev.mtk.spark.index.SparkShards;
import dev.mtk.spark.sweep.SweepJob;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark jobs against their one-machine commands, in local mode (2 cores; a failed task is
 * retried once): embeddings equal mtk embed's bit for bit, sharded search equals one index's
 * search, a sweep's weights equal mtk train's, a task that fails mid-shard leaves a whole shard.
 */
class SparkJobsTest {

  @TempDir
  static Path dir;

  static SparkSession spark;
  /** Two tiny models trained by ./mtk train (seeds 1 and 2), which the sweep must reproduce. */
  static Path seed1, seed2;

  static final Path TINY = Path.of("..", "experiments", "tiny.yaml");
  static final String STEPS = "steps=40";

  @BeforeAll
  static void start() {
    spark = Sessions.start("local[2,2]", "mtk tests");
    seed1 = dir.resolve("train-1");
    seed2 = dir.resolve("train-2");
    for (Path out : List.of(seed1, seed2)) {
      Result r = mtk("train", "--config", TINY.toString(), "--output", out.toString(), "--seed",
          out == seed1 ? "1" : "2", "--set", STEPS, "--threads", "2");
      assertEquals(0, r.code(), r.err());
    }
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  record Result(int code, String out, String err) {}

  static Result mtk(String... args) {
    PrintStream oldOut = System.out, oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int code = dev.mtk.cli.Main.run(args);
      return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  /** Texts of every kind: accents, CJK, emoji, an empty one, very long ones (cut by the model). */
  static List<String> texts(int n) {
    List<String> t = new ArrayList<>();
    String[] words = {"cat", "dog", "naïve", "café", "東京", "🙂", "the", "a", "river", "bank", "x"};
    SplittableRandom r = new SplittableRandom(5);
    for (int i = 0; i < n; i++) {
      StringBuilder sb = new StringBuilder();
      int len = i % 50 == 7 ? 200 : r.nextInt(1, 12);
      for (int w = 0; w < len; w++) {
        sb.append(w > 0 ? " " : "").append(words[r.nextInt(words.length)]);
      }
      t.add(i == 3 ? "" : sb.toString());
    }
    return t;
  }

  static Path jsonl(Path file, List<String> texts) throws Exception {
    StringBuilder sb = new StringBuilder();
    for (String t : texts) {
      sb.append(t.isEmpty() ? "" : dev.mtk.tokenizers.text.formats.TextSources.JSON.writeValueAsString(Map.of("text", t)))
          .append('\n');
    }
    Files.writeString(file, sb.toString());
    return file;
  }

  /** Parquet (id, …, embedding) read back in id order as one float array. */
  static float[] embeddings(Path parquet, String column, int rows, int dim) {
    List<Row> all = spark.read().parquet(parquet.toString()).orderBy("id").select("id", column).collectAsList();
    assertEquals(rows, all.size());
    float[] x = new float[rows * dim];
    for (int i = 0; i < rows; i++) {
      assertEquals(i, all.get(i).getLong(0));
      List<Object> v = all.get(i).getList(1);
      assertEquals(dim, v.size());
      for (int j = 0; j < dim; j++) {
        x[i * dim + j] = (Float) v.get(j);
      }
    }
    return x;
  }

  @Test
  void theEmbedJobWritesTheRowsOfMtkEmbed() throws Exception {
    List<String> texts = texts(701);
    Path docs = jsonl(dir.resolve("docs.jsonl"), texts);
    Path npy = dir.resolve("emb.npy");
    Result r = mtk("embed", "--model", seed1.resolve("model").toString(), "--input", docs.toString(), "--output",
        npy.toString());
    assertEquals(0, r.code(), r.err());
    float[] want = Npy.readFloat32(npy);
    int d = want.length / texts.size();
    Path out = dir.resolve("emb.parquet");
    EmbedJob.Result job = EmbedJob.run(spark, seed1.resolve("model"), docs, out, 0, 0, 64, 3);
    assertEquals(texts.size(), job.rows());
    assertEquals(d, job.dim());
    float[] got = embeddings(out, "embedding", texts.size(), d);
    assertArrayEquals(want, got, "Spark rows differ from mtk embed's");
    // the texts come back as mtk read them
    List<Row> back = spark.read().parquet(out.toString()).orderBy("id").select("text").collectAsList();
    for (int i = 0; i < texts.size(); i++) {
      assertEquals(texts.get(i), back.get(i).getString(0));
    }
    // plain text lines too (one partition per 100 rows here)
    Path lines = dir.resolve("docs.txt");
    Files.writeString(lines, String.join("\n", texts.subList(0, 100)) + "\n");
    Path npy2 = dir.resolve("lines.npy");
    assertEquals(0, mtk("embed", "--model", seed1.resolve("model").toString(), "--input", lines.toString(),
        "--output", npy2.toString()).code());
    EmbedJob.run(spark, seed1.resolve("model"), lines, dir.resolve("lines.parquet"), 0, 0, 64, 0);
    assertArrayEquals(Npy.readFloat32(npy2), embeddings(dir.resolve("lines.parquet"), "embedding", 100, d));
  }

  @Test
  void theTransformerEmbedsAColumnAtAPrefixAndALayer() throws Exception {
    List<String> texts = texts(300);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      rows.add(RowFactory.create((long) i, "x" + i, texts.get(i)));
    }
    StructType schema = new StructType().add("id", DataTypes.LongType).add("other", DataTypes.StringType)
        .add("sentence", DataTypes.StringType);
    Dataset<Row> df = spark.createDataFrame(rows, schema).repartition(4);
    MatryoshkaEmbedder e = new MatryoshkaEmbedder().setModelPath(seed1.resolve("model").toString())
        .setInputCol("sentence").setOutputCol("vec").setDimensions(16).setBatchSize(7);
    Path out = dir.resolve("prefix.parquet");
    e.transform(df).write().parquet(out.toString());
    try (WorkerPool pool = new WorkerPool(2)) {
      EmbeddingModel m = EmbeddingModel.load(seed1.resolve("model"), pool);
      float[] want = m.embedTexts(texts, new EmbedOptions(16, 0, 64, true)).vectors();
      assertArrayEquals(want, embeddings(out, "vec", texts.size(), 16));
    }
    List<Row> other = spark.read().parquet(out.toString()).orderBy("id").select("other").collectAsList();
    assertEquals("x299", other.get(299).getString(0));
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> new MatryoshkaEmbedder().setModelPath("m").setInputCol("nope").transform(df));
    assertTrue(bad.getMessage().contains("no column \"nope\""), bad.getMessage());
    bad = assertThrows(IllegalArgumentException.class,
        () -> new MatryoshkaEmbedder().setModelPath("m").setInputCol("id").transform(df));
    assertTrue(bad.getMessage().contains("must hold strings"), bad.getMessage());
  }

  static Path randomNpy(Path file, int n, int d, long seed) throws Exception {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[n * d];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (r.nextDouble(-1, 1) / Math.sqrt(1 + (i % d) / 8.0));
    }
    Npy.writeFloat32(file, x, n, d);
    return file;
  }

  @Test
  void shardedSearchOnSparkEqualsOneIndex() throws Exception {
    int n = 20_000, d = 64, nq = 60;
    Path vectors = randomNpy(dir.resolve("db.npy"), n, d, 1);
    Path queries = randomNpy(dir.resolve("q.npy"), nq, d, 2);
    float[] q = Npy.readFloat32(queries);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    for (Precision p : Precision.values()) {
      Path one = dir.resolve("one-" + p.id() + ".mtk");
      try (var a = java.lang.foreign.Arena.ofConfined()) {
        IndexFile.write(one, RowSource.of(Npy.map(vectors, a)), null, Metric.COSINE, p, null, IndexFile.Progress.NONE);
      }
      Path sharded = dir.resolve("sharded-" + p.id());
      ShardBuildJob.Result built = ShardBuildJob.run(spark, vectors, null, 4, Metric.COSINE, p, sharded);
      assertEquals(4, built.manifest().shards().size());
      SparkShards shards = new SparkShards(jsc, sharded);
      try (WorkerPool pool = new WorkerPool(2); VectorIndex ix = IndexFile.open(one)) {
        for (String f : new String[] {null, "16:400,32:80", "8:300~0.05"}) {
          Funnel funnel = f == null ? null : Funnel.parse(f);
          BatchedSearch want = BatchedSearch.run(ix.searcher(pool), q, nq, d, 10, d, funnel, 25, 0);
          BatchedSearch got = ShardedSearch.search(shards, q, nq, d, 10, d, funnel, 25);
          for (int b = 0; b < want.parts().size(); b++) {
            Hits w = want.parts().get(b), g = got.parts().get(b);
            String what = p.id() + " funnel " + f + " batch " + b;
            assertArrayEquals(w.ids(), g.ids(), what);
            assertArrayEquals(w.scores(), g.scores(), what);
            assertArrayEquals(w.found(), g.found(), what);
          }
        }
      }
    }
  }

  @Test
  void aTaskThatFailsMidShardIsRetriedAndItsShardIsWhole() throws Exception {
    int n = 5_000, d = 32;
    Path vectors = randomNpy(dir.resolve("fault.npy"), n, d, 3);
    AtomicInteger failures = new AtomicInteger();
    ShardBuildJobProbe.set((shard, attempt, row) -> {
      if (shard == 2 && attempt == 0 && row == 4_100) {
        failures.incrementAndGet();
        throw new IllegalStateException("injected failure in shard 2");
      }
    });
    Path sharded = dir.resolve("fault-index");
    try {
      ShardBuildJob.run(spark, vectors, null, 3, Metric.L2, Precision.INT8, sharded);
    } finally {
      ShardBuildJobProbe.set(null);
    }
    assertEquals(1, failures.get(), "the failure was injected once");
    try (var files = Files.walk(sharded)) {
      assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "a temporary file was left");
    }
    // each shard equals the one written without a failure, byte for byte
    Path clean = dir.resolve("clean-index");
    try (var a = java.lang.foreign.Arena.ofConfined()) {
      ShardedIndex.write(clean, RowSource.of(Npy.map(vectors, a)), null, null, Metric.L2, Precision.INT8, 3);
    }
    for (int i = 0; i < 3; i++) {
      assertArrayEquals(Files.readAllBytes(ShardedIndex.shardDir(clean, i).resolve(IndexFile.FILE_NAME)),
          Files.readAllBytes(ShardedIndex.shardDir(sharded, i).resolve(IndexFile.FILE_NAME)), "shard " + i);
    }
    // a corrupted shard is named by the search
    Path file = ShardedIndex.shardDir(sharded, 1).resolve(IndexFile.FILE_NAME);
    byte[] b = Files.readAllBytes(file);
    b[b.length / 2] ^= 0x55;
    Files.write(file, b);
    Path queries = randomNpy(dir.resolve("fault-q.npy"), 5, d, 4);
    Result r = mtk("spark", "index", "search", "--index", sharded.toString(), "--queries", queries.toString(),
        "--output", dir.resolve("fault.jsonl").toString(), "--master", "local[2]");
    spark = Sessions.start("local[2,2]", "mtk tests"); // the command stopped the session it shared
    assertEquals(1, r.code());
    List<String> lines = r.err().lines().toList();
    String last = lines.get(lines.size() - 1);
    assertTrue(last.startsWith("mtk: error: shard 1 of " + sharded.toAbsolutePath().normalize() + " (shard-00001)")
        && last.contains("checksum"), r.err());
    assertTrue(lines.stream().noneMatch(l -> l.startsWith("\tat ")), "no stack trace: " + r.err());
  }

  @Test
  void aSweepOfTwoSeedsGivesTheWeightsOfTwoTrainRuns() throws Exception {
    Path out = dir.resolve("sweep");
    Map<String, String> set = new LinkedHashMap<>(Map.of("steps", "40"));
    SweepJob.Result r = SweepJob.run(spark, TINY, set, "seed=1,2", out, false);
    assertEquals(2, r.points().size());
    for (var p : r.points()) {
      Path trained = p.settings().get("seed").equals("1") ? seed1 : seed2;
      Path run = out.resolve("runs").resolve(p.name());
      assertArrayEquals(Files.readAllBytes(trained.resolve("model").resolve("model.safetensors")),
          Files.readAllBytes(run.resolve("model").resolve("model.safetensors")), p.name());
    }
    String md = Files.readString(out.resolve("sweep.md"));
    assertTrue(md.contains("### recall@10") && md.contains("| base | mrl |"), md);
    assertTrue(Files.isRegularFile(out.resolve("sweep.json")));
    String html = Files.readString(out.resolve("report.html"));
    assertTrue(html.contains("<h2>recall@10</h2><img") || html.contains("<h2>recall@10</h2><svg"), html);
    IllegalArgumentException again = assertThrows(IllegalArgumentException.class,
        () -> SweepJob.run(spark, TINY, set, "seed=1,2", out, false));
    assertTrue(again.getMessage().contains("holds a sweep already"), again.getMessage());
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> SweepJob.run(spark, TINY, set, "sed=1,2", dir.resolve("sweep-bad"), false));
    assertTrue(bad.getMessage().contains("unknown setting 'sed'"), bad.getMessage());
  }
}
