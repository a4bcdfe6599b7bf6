package dev.mtk.spark.cli;

import dev.mtk.search.index.Funnel;
import dev.mtk.search.index.Metric;
import dev.mtk.search.index.Precision;
import dev.mtk.search.index.ShardedSearch;
import dev.mtk.spark.Sessions;
import dev.mtk.spark.embed.EmbedJob;
import dev.mtk.spark.index.ShardBuildJob;
import dev.mtk.spark.index.SparkShards;
import dev.mtk.spark.sweep.SweepJob;
import dev.mtk.tokenizers.text.formats.TextSources;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code mtk spark …}: the jobs of the spark module, each parsing, calling one job and printing. */
@Command(name = "spark", mixinStandardHelpOptions = true,
    description = {"Embedding, sharded indexes, distributed search and experiment sweeps on Apache "
        + "Spark (4.2, local mode by default; the same jar runs on a cluster: docs/SPARK.md).",
        "Every job gives the results of its one-machine command: the same embeddings as mtk embed, "
            + "the same hits as mtk index search over one index, the same weights as mtk train."},
    subcommands = {SparkCommand.Embed.class, SparkCommand.Index.class, SparkCommand.SweepRun.class})
public final class SparkCommand implements Runnable {

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** --master and --conf, shared by every job. */
  static final class Cluster {
    @Option(names = "--master", description = "Spark master: local[*] (default: every core here), "
        + "local[N], local[N,F] (retry a failed task F-1 times), spark://HOST:7077, yarn, k8s://…; "
        + "under spark-submit, its own --master.")
    String master;

    @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "A Spark setting (repeatable), "
        + "e.g. spark.executor.memory=8g, spark.mtk.threads=4 (threads of an executor's mtk work), "
        + "spark.task.cpus=2 (threads of a sweep's training run).")
    Map<String, String> conf = new LinkedHashMap<>();

    SparkSession start(String app) {
      conf.forEach(System::setProperty);
      String m = master != null ? master : System.getProperty("spark.master") != null ? null : Sessions.LOCAL;
      return Sessions.start(m, app);
    }
  }

  /** The job's own error, not Spark's wrapping of it (a task's exception arrives as its cause). */
  static Exception plain(Exception e) {
    Throwable t = e;
    Throwable ours = null;
    while (t != null) {
      String n = t.getClass().getName();
      if (ours == null && !n.startsWith("org.apache.spark") && !n.startsWith("scala.")
          && !n.startsWith("java.util.concurrent")) {
        ours = t; // the outermost: it says which shard or file, its causes only what went wrong
      }
      if (t.getCause() == t) {
        break;
      }
      t = t.getCause();
    }
    if (ours == null || ours == e) {
      String msg = e.getMessage() == null ? e.toString() : e.getMessage();
      int nl = msg.indexOf('\n');
      return new IllegalStateException(nl < 0 ? msg : msg.substring(0, nl));
    }
    return new IllegalStateException(ours.getMessage() == null ? ours.toString() : ours.getMessage(), ours);
  }

  @Command(name = "embed", mixinStandardHelpOptions = true,
      description = {"Embed a corpus with a model on Spark into Parquet (id, text, embedding).",
          "Input: JSON Lines {\"text\": …} or text lines (ids: line numbers from 0, rows as mtk embed "
              + "reads them), or Parquet with a text column (and an id column, else row numbers). "
              + "Output: Parquet part files in --output, _mtk.json beside them; row i equals row i "
              + "of ./mtk embed's .npy for the same file, bit for bit."})
  static final class Embed implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Model directory (readable by every executor).")
    Path model;

    @Option(names = "--input", required = true, description = "docs.jsonl, a text file, or Parquet.")
    Path input;

    @Option(names = "--output", required = true, description = "Parquet directory to write (must not exist).")
    Path output;

    @Option(names = "--dim", description = "Matryoshka prefix m (default: all d).")
    Integer dim;

    @Option(names = "--layer", description = "The model cut after its first l layers (default: all).")
    Integer layer;

    @Option(names = "--batch", defaultValue = "64", description = "Sequences per pass (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--partitions", description = "Partitions (tasks) to cut the corpus into (default: "
        + "Spark's default parallelism, the cores of a local master).")
    Integer partitions;

    @Mixin Cluster cluster;

    @Override
    public Integer call() throws Exception {
      if (!Files.isDirectory(model)) {
        throw new IllegalArgumentException(model + ": no model directory");
      }
      SparkSession spark = cluster.start("mtk embed");
      try {
        EmbedJob.Result r = EmbedJob.run(spark, model, input, output, dim == null ? 0 : dim,
            layer == null ? 0 : layer, batch, partitions == null ? 0 : partitions);
        System.err.printf(Locale.ROOT, "embedded %,d rows at dim %d in %.1f s (%,.0f rows/s, %d partitions, "
            + "master %s); wrote %s%n", r.rows(), r.dim(), r.seconds(), r.rows() / r.seconds(), r.partitions(),
            spark.sparkContext().master(), output);
      } catch (Exception e) {
        throw plain(e);
      } finally {
        spark.stop();
      }
      return 0;
    }
  }

  @Command(name = "index", mixinStandardHelpOptions = true,
      description = "Sharded indexes: built by one task per shard, searched by one task per shard.",
      subcommands = {IndexBuild.class, IndexSearch.class})
  static final class Index implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
      spec.commandLine().usage(System.out);
    }
  }

  @Command(name = "build", mixinStandardHelpOptions = true,
      description = {"Cut embeddings into N shards, each an ordinary mtk index (checksummed, written "
          + "atomically), and write the manifest (shards.json) last.",
          "Input: mtk spark embed's Parquet (the index keeps each row's text), any Parquet with id and "
              + "embedding columns, or a float32 .npy (with --ids, or row numbers). Rows go to shards "
              + "in id order, in contiguous ranges; an int8 index's ranges are measured on all rows."})
  static final class IndexBuild implements Callable<Integer> {
    @Option(names = "--input", required = true, description = "Parquet directory or N × d .npy.")
    Path input;

    @Option(names = "--ids", description = "With a .npy: one 64-bit id per line.")
    Path ids;

    @Option(names = "--shards", required = true, description = "Number of shards.")
    int shards;

    @Option(names = "--metric", defaultValue = "cosine", description = "ip, cosine or l2 (default ${DEFAULT-VALUE}).")
    String metric;

    @Option(names = "--precision", defaultValue = "f32", description = "f32, int8 or binary (default ${DEFAULT-VALUE}).")
    String precision;

    @Option(names = "--output", required = true, description = "Index directory to write (new).")
    Path output;

    @Mixin Cluster cluster;

    @Override
    public Integer call() throws Exception {
      Metric met = Metric.parse(metric);
      Precision prec = Precision.parse(precision);
      if (!Files.exists(input)) {
        throw new IllegalArgumentException(input + ": no such file or directory");
      }
      SparkSession spark = cluster.start("mtk index build");
      try {
        ShardBuildJob.Result r = ShardBuildJob.run(spark, input, ids, shards, met, prec, output);
        long bytes = r.manifest().shards().stream().mapToLong(s -> s.bytes()).sum();
        System.err.printf(Locale.ROOT, "indexed %,d rows (%s, %s) into %d shards (%,d bytes) in %.1f s → %s%n",
            r.manifest().count(), met.id(), prec.id(), r.manifest().shards().size(), bytes, r.seconds(), output);
      } catch (Exception e) {
        throw plain(e);
      } finally {
        spark.stop();
      }
      return 0;
    }
  }

  @Command(name = "search", mixinStandardHelpOptions = true,
      description = {"Top-k for every row of a queries .npy over a sharded index, one task per shard and "
          + "step (queries broadcast; a funnel's stages merged on the driver), written as mtk index "
          + "search writes them: the same ids and scores as one index of the same rows."})
  static final class IndexSearch implements Callable<Integer> {
    @Option(names = "--index", required = true, description = "Sharded index directory.")
    Path index;

    @Option(names = "--queries", required = true, description = "Q × d (or Q × m) float32 .npy.")
    Path queries;

    @Option(names = {"--k", "--top"}, defaultValue = "10", description = "Results per query (default ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--dim", description = "Matryoshka prefix m ≤ d (default: the queries' width).")
    Integer dim;

    @Option(names = "--funnel", description = "dim:shortlist stages, e.g. 16:1000,64:200 (see mtk index search).")
    String funnel;

    @Option(names = "--batch", defaultValue = "1000", description = "Queries per step (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--warmup", defaultValue = "0", description = "Seconds of untimed searches first (default ${DEFAULT-VALUE}).")
    double warmup;

    @Option(names = "--output", required = true, description = "results.jsonl to write.")
    Path output;

    @Option(names = "--json", description = "Print the summary as one JSON object on stdout's last line.")
    boolean json;

    @Mixin Cluster cluster;

    @Override
    public Integer call() throws Exception {
      if (!Files.isRegularFile(queries)) {
        throw new IllegalArgumentException(queries + ": no such file");
      }
      if (funnel != null && dev.mtk.search.index.FunnelCalibration.parseAuto(funnel) != null) {
        throw new IllegalArgumentException("--funnel auto is fitted on one index: give the ladder it chose");
      }
      SparkSession spark = cluster.start("mtk index search");
      try {
        SparkShards shards = new SparkShards(JavaSparkContext.fromSparkContext(spark.sparkContext()), index);
        var r = ShardedSearch.run(shards, queries, dim == null ? 0 : dim, k, funnel == null ? null : Funnel.parse(funnel),
            batch, warmup, dev.mtk.spark.Sessions.executorThreads(spark.sparkContext().getConf()));
        if (shards.manifest().texts()) {
          try (var pool = new dev.mtk.core.parallel.WorkerPool(1);
              var local = new dev.mtk.search.index.ShardedIndex.Local(index, pool)) {
            r.run().writeJsonl(output, local::text);
          }
        } else {
          r.run().writeJsonl(output, (java.util.function.LongFunction<String>) null);
        }
        System.err.printf(Locale.ROOT, "%,d queries over %d shards in %.3f s: %.1f QPS (master %s); wrote %s%n",
            r.run().queries(), shards.manifest().shards().size(), r.run().seconds(), r.summary().get("qps"),
            spark.sparkContext().master(), output);
        if (json) {
          System.out.println(TextSources.JSON.writeValueAsString(r.summary()));
        }
      } catch (Exception e) {
        throw plain(e);
      } finally {
        spark.stop();
      }
      return 0;
    }
  }

  @Command(name = "sweep", mixinStandardHelpOptions = true,
      description = {"Train one run per point of a grid, each as a Spark task, then one table over all "
          + "runs: per variant and dimension, the mean ± standard deviation across seeds.",
          "--grid \"seed=1,2,3;loss.matryoshka.weights=[1,1,1,1,1],[1,2,4,8,16]\": axes split by ';', "
              + "values by ',' outside brackets; keys are dotted paths into the YAML (as mtk train --set). "
              + "Writes OUT/runs/NAME/ (each exactly mtk train --config C --set … of its settings), "
              + "OUT/sweep.md and OUT/sweep.json."})
  static final class SweepRun implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "The base YAML config.")
    Path config;

    @Option(names = "--grid", required = true, description = "The grid (see above).")
    String grid;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "A setting every run shares (repeatable).")
    LinkedHashMap<String, String> set = new LinkedHashMap<>();

    @Option(names = "--output", required = true, description = "Sweep directory to write.")
    Path output;

    @Option(names = "--force", description = "Replace a sweep already in --output.")
    boolean force;

    @Mixin Cluster cluster;

    @Override
    public Integer call() throws Exception {
      if (!Files.isRegularFile(config)) {
        throw new IllegalArgumentException(config + ": no such file");
      }
      dev.mtk.experiments.run.Sweep.configs(config, set, dev.mtk.experiments.run.Sweep.grid(grid));
      SparkSession spark = cluster.start("mtk sweep");
      try {
        SweepJob.Result r = SweepJob.run(spark, config, set, grid, output, force);
        System.out.println(r.markdown());
        System.err.printf(Locale.ROOT, "%d runs in %.1f s (master %s); wrote %s/sweep.md, sweep.json, report.html and runs/%n",
            r.points().size(), r.seconds(), spark.sparkContext().master(), output);
      } catch (Exception e) {
        throw plain(e);
      } finally {
        spark.stop();
      }
      return 0;
    }
  }
}
