package dev.mtk.spark.sweep;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.experiments.run.Sweep;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * {@code mtk spark sweep}: every grid point of {@link Sweep} trained as one Spark task (with
 * spark.task.cpus threads; the weights do not depend on how many), each writing its run
 * directory under {@code OUT/runs/}, then the table over all runs written on the driver.
 */
public final class SweepJob {

  private SweepJob() {}

  public record Result(List<Sweep.Point> points, String markdown, double seconds) {}

  public static Result run(SparkSession spark, Path config, Map<String, String> fixed, String grid, Path out,
      boolean force) throws IOException {
    List<Sweep.Point> points = Sweep.grid(grid);
    Sweep.configs(config, fixed, points); // every setting checked before any task starts
    if (Files.exists(out.resolve("sweep.json")) && !force) {
      throw new IllegalArgumentException(out + " holds a sweep already: give a new --output, or --force to replace it");
    }
    Files.createDirectories(out);
    long start = System.nanoTime();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int cpus = Math.max(1, jsc.getConf().getInt("spark.task.cpus", 1));
    String base = config.toAbsolutePath().toString(), dir = out.toAbsolutePath().toString();
    LinkedHashMap<String, String> set = new LinkedHashMap<>(fixed);
    List<Map<String, Map<String, Map<String, Double>>>> results = jsc.parallelize(points, points.size())
        .map(p -> {
          try (WorkerPool pool = new WorkerPool(cpus)) {
            return copy(Sweep.runOne(Path.of(base), set, p, Path.of(dir), pool));
          }
        }).collect();
    double seconds = (System.nanoTime() - start) / 1e9;
    String md = Sweep.write(out, config, fixed, points, results, seconds);
    return new Result(points, md, seconds);
  }

  /** The results in plain serializable maps, keys in their order. */
  private static Map<String, Map<String, Map<String, Double>>> copy(
      Map<String, Map<String, Map<String, Double>>> r) {
    LinkedHashMap<String, Map<String, Map<String, Double>>> out = new LinkedHashMap<>();
    r.forEach((method, metrics) -> {
      LinkedHashMap<String, Map<String, Double>> m = new LinkedHashMap<>();
      metrics.forEach((metric, dims) -> m.put(metric, new LinkedHashMap<>(dims)));
      out.put(method, m);
    });
    return out;
  }
}
