package dev.mtk.search.index;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mtk.core.parallel.WorkerPool;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sharded index against one index of the same rows: every query's ids, scores, count and
 * funnel candidates identical, for each metric, precision, funnel and number of shards, with
 * duplicated rows (ties) and ids that do not ascend with rows.
 */
class ShardedSearchTest {

  @TempDir
  Path dir;

  private static final int N = 3001, D = 48;

  /** Rows with exact duplicates (ties that only the id can break). */
  private static float[] rows() {
    float[] x = SearchTest.gaussian(N, D, 7);
    for (int r = 0; r < N; r += 97) {
      int from = (r * 31 + 5) % N;
      System.arraycopy(x, from * D, x, r * D, D);
    }
    return x;
  }

  private static long[] shuffledIds() {
    long[] ids = new long[N];
    SplittableRandom rnd = new SplittableRandom(3);
    for (int i = 0; i < N; i++) {
      ids[i] = 1000L + 7L * i;
    }
    for (int i = N - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      long t = ids[i];
      ids[i] = ids[j];
      ids[j] = t;
    }
    return ids;
  }

  @Test
  void everyMetricPrecisionAndFunnelGivesTheOneIndexResults() throws Exception {
    float[] x = rows();
    int nq = 45;
    float[] q = SearchTest.gaussian(nq, D, 11);
    // a few queries equal to database rows: top scores tie between duplicates
    System.arraycopy(x, 0, q, 0, D);
    System.arraycopy(x, 97 * D, q, D, D);
    List<String> funnels = new ArrayList<>(List.of("-", "16:300,32:60", "8:200~0.1"));
    try (WorkerPool pool = new WorkerPool(2)) {
      for (Metric metric : Metric.values()) {
        for (Precision precision : Precision.values()) {
          for (long[] ids : new long[][] {null, shuffledIds()}) {
            Path one = dir.resolve("one-" + metric.id() + precision.id() + (ids == null) + ".mtk");
            IndexFile.write(one, RowSource.of(x, N, D), ids, metric, precision, null, IndexFile.Progress.NONE);
            for (int shards : new int[] {1, 3, 4}) {
              Path sharded = dir.resolve("sh-" + metric.id() + precision.id() + (ids == null) + shards);
              ShardedIndex.write(sharded, RowSource.of(x, N, D), ids, null, metric, precision, shards);
              try (VectorIndex ix = IndexFile.open(one); ShardedIndex.Local local = new ShardedIndex.Local(sharded, pool)) {
                Searcher s = ix.searcher(pool);
                for (String f : funnels) {
                  Funnel funnel = f.equals("-") ? null : Funnel.parse(f);
                  for (int m : new int[] {D, 32}) {
                    String what = metric.id() + " " + precision.id() + " ids " + (ids == null ? "rows" : "shuffled")
                        + " shards " + shards + " funnel " + f + " m " + m;
                    // batches of 20: full GEMM batches and a last batch of 5 (another code path)
                    BatchedSearch want = BatchedSearch.run(s, q, nq, D, 10, m, funnel, 20, 0);
                    BatchedSearch got = ShardedSearch.search(local, q, nq, D, 10, m, funnel, 20);
                    same(want, got, what);
                  }
                }
                Hits exactOne = s.exact(q, nq, D, 10, D);
                Hits exactSharded = ShardedSearch.search(local, q, nq, D, 10, D, null, true);
                same(new BatchedSearch(List.of(exactOne), nq, 0), new BatchedSearch(List.of(exactSharded), nq, 0),
                    "exact floats " + metric.id() + " " + precision.id());
              }
            }
          }
        }
      }
    }
  }

  private static void same(BatchedSearch want, BatchedSearch got, String what) {
    assertEquals(want.parts().size(), got.parts().size(), what);
    for (int b = 0; b < want.parts().size(); b++) {
      Hits w = want.parts().get(b), g = got.parts().get(b);
      assertEquals(w.k(), g.k(), what);
      assertArrayEquals(w.found(), g.found(), what + " batch " + b);
      assertArrayEquals(w.ids(), g.ids(), what + " batch " + b);
      assertArrayEquals(w.scores(), g.scores(), what + " batch " + b);
      assertArrayEquals(w.reranked(), g.reranked(), what + " batch " + b);
    }
  }

  @Test
  void theShardsCoverTheRowsAndTheManifestRoundTrips() throws Exception {
    float[] x = rows();
    long[] ids = shuffledIds();
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      texts.add("row " + i);
    }
    Path sharded = dir.resolve("texts");
    ShardedIndex.Manifest m = ShardedIndex.write(sharded, RowSource.of(x, N, D), ids, texts, Metric.COSINE,
        Precision.INT8, 4);
    assertEquals(m, ShardedIndex.read(sharded));
    assertEquals(4, m.shards().size());
    long rows = 0;
    for (ShardedIndex.Shard s : m.shards()) {
      assertEquals(rows, s.firstRow());
      rows += s.rows();
    }
    assertEquals(N, rows);
    try (WorkerPool pool = new WorkerPool(1); ShardedIndex.Local local = new ShardedIndex.Local(sharded, pool)) {
      for (int r = 0; r < N; r += 211) {
        assertEquals("row " + r, local.text(ids[r]));
      }
    }
    try (VectorIndex ix = ShardedIndex.openShard(sharded, m, 2)) {
      float[] row = new float[D];
      ix.rows().row(0, row);
      int first = (int) m.shards().get(2).firstRow();
      assertArrayEquals(java.util.Arrays.copyOfRange(x, first * D, first * D + D), row);
      assertEquals(ids[first], ix.ids()[0]);
    }
  }

  @Test
  void aCorruptedOrMissingShardIsNamed() throws Exception {
    Path sharded = dir.resolve("bad");
    ShardedIndex.write(sharded, RowSource.of(rows(), N, D), null, null, Metric.IP, Precision.F32, 3);
    Path file = ShardedIndex.shardDir(sharded, 1).resolve(IndexFile.FILE_NAME);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4}), Files.size(file) / 2);
    }
    try (WorkerPool pool = new WorkerPool(1)) {
      IOException e = assertThrows(IOException.class, () -> new ShardedIndex.Local(sharded, pool));
      assertTrue(e.getMessage().startsWith("shard 1 of " + sharded + " (shard-00001)"), e.getMessage());
      Files.delete(file);
      e = assertThrows(IOException.class, () -> new ShardedIndex.Local(sharded, pool));
      assertTrue(e.getMessage().contains("shard 1 of"), e.getMessage());
      Files.writeString(sharded.resolve(ShardedIndex.MANIFEST), "{\"format\": \"mtk-sharded-index\", \"version\": 1}");
      e = assertThrows(IOException.class, () -> ShardedIndex.read(sharded));
      assertTrue(e.getMessage().endsWith("missing \"dim\""), e.getMessage());
    }
  }

  /** A part's entries put best first equal a plain comparator sort (ties, ±0, negatives, ragged rows). */
  @Test
  void bestFirstEqualsAComparatorSort() {
    SplittableRandom rnd = new SplittableRandom(11);
    int nq = 50, w = 40;
    long[] ids = new long[nq * w];
    float[] keys = new float[nq * w], scores = new float[nq * w];
    int[] found = new int[nq];
    float[] few = {-0.0f, 0.0f, 1.5f, -2.25f, Float.MAX_VALUE, -Float.MAX_VALUE, 1e-30f};
    for (int q = 0; q < nq; q++) {
      found[q] = q == 0 ? 0 : rnd.nextInt(w + 1);
      for (int i = 0; i < found[q]; i++) {
        ids[q * w + i] = rnd.nextLong(1_000_000_000_000L);
        keys[q * w + i] = q % 2 == 0 ? few[rnd.nextInt(few.length)] : (float) rnd.nextGaussian();
        scores[q * w + i] = (float) rnd.nextGaussian();
      }
    }
    long[] ids0 = ids.clone();
    float[] keys0 = keys.clone(), scores0 = scores.clone();
    new ShardedSearch.Part(w, ids, keys, scores, found).bestFirst();
    for (int q = 0; q < nq; q++) {
      List<Integer> order = new ArrayList<>();
      for (int i = 0; i < found[q]; i++) {
        order.add(q * w + i);
      }
      order.sort((a, b) -> {
        int c = Float.compare(keys0[b], keys0[a]);
        return c != 0 ? c : Long.compare(ids0[a], ids0[b]);
      });
      for (int i = 0; i < found[q]; i++) {
        int e = order.get(i);
        assertEquals(ids0[e], ids[q * w + i], "query " + q + " entry " + i);
        assertEquals(Float.floatToIntBits(keys0[e]), Float.floatToIntBits(keys[q * w + i]));
        assertEquals(Float.floatToIntBits(scores0[e]), Float.floatToIntBits(scores[q * w + i]));
      }
    }
  }
}
