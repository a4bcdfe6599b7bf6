package dev.mtk.spark.index;

import dev.mtk.search.index.Searcher;
import dev.mtk.search.index.ShardedIndex;
import dev.mtk.search.index.ShardedSearch;
import dev.mtk.search.index.VectorIndex;
import dev.mtk.spark.Sessions;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;

/**
 * The shards of a sharded index searched by Spark: each step of {@link ShardedSearch} is one
 * job of one task per shard, the queries broadcast, each shard opened once per executor JVM
 * (memory-mapped, from storage every executor reads) and kept open for the steps after.
 */
public final class SparkShards implements ShardedSearch.Shards {

  private final JavaSparkContext jsc;
  private final String dir;
  private final ShardedIndex.Manifest manifest;
  private final int threads;

  public SparkShards(JavaSparkContext jsc, Path dir) throws IOException {
    this.jsc = jsc;
    this.dir = dir.toAbsolutePath().normalize().toString();
    this.manifest = ShardedIndex.read(dir);
    this.threads = Sessions.executorThreads(jsc.getConf());
  }

  @Override
  public ShardedIndex.Manifest manifest() {
    return manifest;
  }

  @Override
  public <I extends Serializable, R extends Serializable> List<R> each(float[] queries, List<I> inputs,
      ShardedSearch.ShardWork<I, R> work) {
    Broadcast<float[]> q = jsc.broadcast(queries);
    String d = dir;
    ShardedIndex.Manifest m = manifest;
    int t = threads;
    int n = manifest.shards().size();
    try {
      // each task carries its own shard's input only
      List<Tuple2<Integer, I>> tasks = IntStream.range(0, n).mapToObj(i -> new Tuple2<>(i, inputs.get(i))).toList();
      return jsc.parallelize(tasks, n)
          .map(x -> work.run(x._1(), Open.searcher(d, m, x._1(), t), q.value(), x._2())).collect();
    } finally {
      q.destroy();
    }
  }

  /** The shards this executor JVM has open, each with its searcher. */
  static final class Open {
    private static final ConcurrentHashMap<String, Searcher> SEARCHERS = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<String, VectorIndex> INDEXES = new ConcurrentHashMap<>();

    static Searcher searcher(String dir, ShardedIndex.Manifest m, int shard, int threads) {
      // the manifest's identity (rows and bytes of the shard) in the key: a rebuilt index is reopened
      ShardedIndex.Shard s = m.shards().get(shard);
      String key = dir + "#" + shard + "#" + s.rows() + "#" + s.bytes();
      return SEARCHERS.computeIfAbsent(key, k -> {
        try {
          VectorIndex ix = ShardedIndex.openShard(Path.of(dir), m, shard);
          INDEXES.put(k, ix);
          return ix.searcher(dev.mtk.spark.ExecutorPool.get(threads));
        } catch (IOException e) {
          throw new UncheckedIOException(e.getMessage(), e);
        }
      });
    }
  }
}
