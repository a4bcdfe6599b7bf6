package dev.mtk.search.index;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mtk.core.parallel.WorkerPool;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file format: exact round trips, appends, and corruption reported instead of used. */
class IndexFileTest {

  @TempDir
  Path dir;

  @Test
  void roundTripsVectorsIdsAndCodes() throws Exception {
    int n = 37, d = 70;
    float[] x = SearchTest.gaussian(n, d, 1);
    long[] ids = new long[n];
    for (int i = 0; i < n; i++) {
      ids[i] = Long.MAX_VALUE - 3L * i;
    }
    for (Precision p : Precision.values()) {
      Path f = dir.resolve(p.id() + ".mtk");
      IndexFile.write(f, RowSource.of(x, n, d), ids, Metric.L2, p, null, IndexFile.Progress.NONE);
      try (VectorIndex ix = IndexFile.open(f)) {
        assertEquals(n, ix.count());
        assertEquals(d, ix.dim());
        assertEquals(Metric.L2, ix.metric());
        assertEquals(p, ix.precision());
        assertArrayEquals(ids, ix.ids());
        float[] row = new float[d];
        for (int r = 0; r < n; r++) {
          ix.rows().row(r, row);
          assertArrayEquals(Arrays.copyOfRange(x, r * d, r * d + d), row);
        }
      }
      try (var files = Files.list(dir)) {
        assertTrue(files.noneMatch(q -> q.getFileName().toString().endsWith(".tmp")));
      }
    }
  }

  @Test
  void appendingEqualsBuildingAllAtOnce() throws Exception {
    int d = 24;
    float[] a = SearchTest.gaussian(50, d, 2), b = SearchTest.gaussian(30, d, 3);
    float[] ab = new float[80 * d];
    System.arraycopy(a, 0, ab, 0, a.length);
    System.arraycopy(b, 0, ab, a.length, b.length);
    Path once = dir.resolve("once.mtk"), twice = dir.resolve("twice.mtk");
    IndexFile.write(once, RowSource.of(ab, 80, d), null, Metric.COSINE, Precision.F32, null,
        IndexFile.Progress.NONE);
    IndexFile.write(twice, RowSource.of(a, 50, d), null, Metric.COSINE, Precision.F32, null,
        IndexFile.Progress.NONE);
    try (VectorIndex first = IndexFile.open(twice)) {
      long[] ids = new long[80];
      for (int i = 0; i < 80; i++) {
        ids[i] = i;
      }
      IndexFile.write(twice, first.rows().concat(RowSource.of(b, 30, d)), ids, first.metric(),
          first.precision(), first.int8(), IndexFile.Progress.NONE);
    }
    assertArrayEquals(Files.readAllBytes(once), Files.readAllBytes(twice));
  }

  @Test
  void keepsATextPerRowThroughWritesAndAppends() throws Exception {
    int d = 12;
    float[] a = SearchTest.gaussian(5, d, 5), b = SearchTest.gaussian(3, d, 6);
    java.util.List<String> ta = java.util.List.of("first", "", "déjà vu — 東京 🙂", "line\nbreak \"q\"", "e");
    java.util.List<String> tb = java.util.List.of("six", "seven", "eight");
    long[] ids = {40, 10, 30, 20, 50};
    Path f = dir.resolve("t.mtk");
    IndexFile.write(f, RowSource.of(a, 5, d), ids, ta, Metric.COSINE, Precision.INT8, null, IndexFile.Progress.NONE);
    try (VectorIndex ix = IndexFile.open(f)) {
      assertTrue(ix.hasTexts());
      assertEquals(ta, ix.texts());
      for (int r = 0; r < 5; r++) {
        assertEquals(r, ix.rowOf(ids[r]), "unordered ids map back to their rows");
      }
      assertEquals(-1, ix.rowOf(11));
    }
    assertEquals(8, IndexFile.append(f, RowSource.of(b, 3, d), null, tb, IndexFile.Progress.NONE));
    try (VectorIndex ix = IndexFile.open(f)) {
      java.util.List<String> all = new java.util.ArrayList<>(ta);
      all.addAll(tb);
      assertEquals(all, ix.texts());
      assertArrayEquals(new long[] {40, 10, 30, 20, 50, 51, 52, 53}, ix.ids());
      // the hits file carries each hit's text, escaped as JSON
      Hits h = ix.searcher(new WorkerPool(1)).search(Arrays.copyOfRange(a, 3 * d, 4 * d), 1, d, 2, d, null);
      BatchedSearch run = new BatchedSearch(java.util.List.of(h), 1, 1);
      Path out = dir.resolve("hits.jsonl");
      run.writeJsonl(out, ix);
      var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(Files.readString(out));
      assertEquals(20, node.get("ids").get(0).asLong());
      assertEquals("line\nbreak \"q\"", node.get("texts").get(0).asText());
    }
    // an index of texts takes no bare vectors, and one without texts takes no texts
    assertThrows(IllegalArgumentException.class, () -> IndexFile.append(f, RowSource.of(b, 3, d), null, null, IndexFile.Progress.NONE));
    Path plain = dir.resolve("plain.mtk");
    IndexFile.write(plain, RowSource.of(a, 5, d), null, Metric.COSINE, Precision.F32, null, IndexFile.Progress.NONE);
    assertThrows(IllegalArgumentException.class, () -> IndexFile.append(plain, RowSource.of(b, 3, d), null, tb, IndexFile.Progress.NONE));
    try (VectorIndex ix = IndexFile.open(plain)) {
      assertTrue(!ix.hasTexts());
    }
    // a damaged texts section is named
    byte[] bad = Files.readAllBytes(f);
    bad[bad.length - 3] ^= 0x20;
    Path g = dir.resolve("badtexts.mtk");
    Files.write(g, bad);
    var e = assertThrows(IndexFile.CorruptIndexException.class, () -> IndexFile.open(g));
    assertTrue(e.getMessage().contains("texts") && e.getMessage().contains("checksum"), e.getMessage());
  }

  @Test
  void nonFiniteVectorsAndQueriesAreRefused() throws Exception {
    int d = 8;
    float[] x = SearchTest.gaussian(6, d, 7);
    x[3 * d + 5] = Float.NaN;
    Path f = dir.resolve("nan.mtk");
    var e = assertThrows(IllegalArgumentException.class, () -> IndexFile.write(f, RowSource.of(x, 6, d),
        null, Metric.COSINE, Precision.F32, null, IndexFile.Progress.NONE));
    assertTrue(e.getMessage().contains("vector 3") && e.getMessage().contains("dimension 5"), e.getMessage());
    assertTrue(!Files.exists(f), "nothing written");
    x[3 * d + 5] = 0.5f;
    IndexFile.write(f, RowSource.of(x, 6, d), null, Metric.COSINE, Precision.F32, null, IndexFile.Progress.NONE);
    float[] q = new float[d];
    q[2] = Float.POSITIVE_INFINITY;
    try (VectorIndex ix = IndexFile.open(f); WorkerPool pool = new WorkerPool(1)) {
      var qe = assertThrows(IllegalArgumentException.class, () -> ix.searcher(pool).search(q, 1, d, 3, d, null));
      assertTrue(qe.getMessage().contains("query 0 has a non-finite value"), qe.getMessage());
    }
  }

  @Test
  void anEmptyIndexOpensSearchesAndGrowsIntoTheIndexOfItsRows() throws Exception {
    int d = 12;
    float[] x = SearchTest.gaussian(40, d, 9);
    for (Precision p : Precision.values()) {
      Path empty = dir.resolve("empty-" + p.id() + ".mtk"), once = dir.resolve("once-" + p.id() + ".mtk");
      IndexFile.write(empty, RowSource.of(new float[0], 0, d), null, Metric.COSINE, p, null, IndexFile.Progress.NONE);
      try (VectorIndex ix = IndexFile.open(empty); WorkerPool pool = new WorkerPool(1)) {
        assertEquals(0, ix.count());
        assertEquals(0, ix.searcher(pool).search(Arrays.copyOf(x, d), 1, d, 5, d, null).found(0));
      }
      IndexFile.append(empty, RowSource.of(x, 40, d), null, null, IndexFile.Progress.NONE);
      IndexFile.write(once, RowSource.of(x, 40, d), null, Metric.COSINE, p, null, IndexFile.Progress.NONE);
      assertArrayEquals(Files.readAllBytes(once), Files.readAllBytes(empty), p.id() + ": grown = built at once");
    }
  }

  @Test
  void appendsAtTheSameTimeTakeTurnsAndLoseNoRow() throws Exception {
    int d = 8;
    Path f = dir.resolve("shared.mtk");
    IndexFile.write(f, RowSource.of(new float[0], 0, d), null, Metric.IP, Precision.F32, null, IndexFile.Progress.NONE);
    var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<Integer>> done = new java.util.ArrayList<>();
      for (int t = 0; t < 8; t++) {
        float[] rows = SearchTest.gaussian(25, d, 100 + t);
        done.add(pool.submit(() -> IndexFile.append(f, RowSource.of(rows, 25, d), null, null, IndexFile.Progress.NONE)));
      }
      for (var x : done) {
        x.get();
      }
    } finally {
      pool.shutdown();
    }
    try (VectorIndex ix = IndexFile.open(f)) {
      assertEquals(200, ix.count(), "every batch kept");
    }
  }

  @Test
  void everyDamagedSectionIsReportedByName() throws Exception {
    int n = 40, d = 20;
    Path f = dir.resolve("i.mtk");
    IndexFile.write(f, RowSource.of(SearchTest.gaussian(n, d, 4), n, d), null, Metric.COSINE,
        Precision.INT8, null, IndexFile.Progress.NONE);
    byte[] good = Files.readAllBytes(f);
    ByteBuffer h = ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN);
    int sections = h.getInt(32);
    for (int s = 0; s < sections; s++) {
      int kind = h.getInt(64 + 32 * s);
      long off = h.getLong(64 + 32 * s + 8), len = h.getLong(64 + 32 * s + 16);
      byte[] bad = good.clone();
      bad[(int) (off + len / 2)] ^= 0x10;
      Path g = dir.resolve("bad" + s + ".mtk");
      Files.write(g, bad);
      var e = assertThrows(IndexFile.CorruptIndexException.class, () -> IndexFile.open(g));
      assertTrue(e.getMessage().contains(IndexFile.KIND_NAMES[kind]) && e.getMessage().contains("checksum"),
          e.getMessage());
    }
    byte[] header = good.clone();
    header[16] ^= 1; // the dimension
    Path g = dir.resolve("header.mtk");
    Files.write(g, header);
    assertTrue(assertThrows(IndexFile.CorruptIndexException.class, () -> IndexFile.open(g))
        .getMessage().contains("header checksum"));

    Path cut = dir.resolve("cut.mtk");
    Files.write(cut, Arrays.copyOf(good, good.length - 100));
    assertTrue(assertThrows(IndexFile.CorruptIndexException.class, () -> IndexFile.open(cut))
        .getMessage().contains("outside the file"));

    Path other = dir.resolve("other.mtk");
    Files.write(other, Arrays.copyOf("PK\3\4 not an index".getBytes(), 100));
    assertTrue(assertThrows(IndexFile.CorruptIndexException.class, () -> IndexFile.open(other))
        .getMessage().contains("magic"));

    // a section table claiming a huge section must not be believed (nor allocated)
    byte[] huge = good.clone();
    ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putLong(64 + 16, Long.MAX_VALUE / 2);
    Path hg = dir.resolve("huge.mtk");
    Files.write(hg, huge);
    assertThrows(IndexFile.CorruptIndexException.class, () -> IndexFile.open(hg));
  }

  @Test
  void searchesAnIndexReopenedFromDisk() throws Exception {
    int n = 500, d = 32;
    float[] x = SearchTest.gaussian(n, d, 5);
    IndexFile.write(dir.resolve(IndexFile.FILE_NAME), RowSource.of(x, n, d), null, Metric.IP,
        Precision.F32, null, IndexFile.Progress.NONE);
    try (VectorIndex ix = IndexFile.open(dir); WorkerPool pool = new WorkerPool(2)) {
      float[] q = Arrays.copyOfRange(x, 7 * d, 8 * d);
      Hits h = ix.searcher(pool).search(q, 1, d, 3, d, null);
      SearchTest.assertMatches(Metric.IP, SearchTest.brute(Metric.IP, q, 0, x, ix.ids(), d, d), h, 0, 3);
    }
  }
}
