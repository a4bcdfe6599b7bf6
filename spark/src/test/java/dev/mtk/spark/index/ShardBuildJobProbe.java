package dev.mtk.spark.index;

/** Sets the hook each shard-writing task calls per row (it may throw, to fail the task). */
public final class ShardBuildJobProbe {
  private ShardBuildJobProbe() {}

  public interface Probe {
    void row(int shard, int attempt, long row);
  }

  public static void set(Probe p) {
    ShardBuildJob.probe = p == null ? null : p::row;
  }
}
