package dev.mtk.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mtk.core.io.Npy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** mtk index build/add/info/search end to end, checked against a brute-force scan. */
class IndexCommandTest {

  @TempDir
  Path dir;

  static float[] gaussian(int n, int d, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[n * d];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (r.nextDouble(-1, 1) + r.nextDouble(-1, 1));
    }
    return x;
  }

  /** The ids of the k best rows by inner product, ties to the lower row. */
  static long[] brute(float[] x, int n, int d, float[] q, int qi, int k) {
    Integer[] order = new Integer[n];
    double[] s = new double[n];
    for (int r = 0; r < n; r++) {
      order[r] = r;
      for (int j = 0; j < d; j++) {
        s[r] += (double) x[r * d + j] * q[qi * d + j];
      }
    }
    java.util.Arrays.sort(order, (a, b) -> s[a] != s[b] ? Double.compare(s[b], s[a]) : Integer.compare(a, b));
    long[] ids = new long[k];
    for (int i = 0; i < k; i++) {
      ids[i] = order[i];
    }
    return ids;
  }

  @Test
  void buildSearchAddAndInfo() throws Exception {
    int n = 500, d = 32, nq = 7;
    float[] x = gaussian(n, d, 1), q = gaussian(nq, d, 2);
    Path v = dir.resolve("v.npy"), qs = dir.resolve("q.npy"), ix = dir.resolve("ix");
    Npy.writeFloat32(v, x, n, d);
    Npy.writeFloat32(qs, q, nq, d);
    MainTest.Result r = MainTest.run("index", "build", "--vectors", v.toString(), "--metric", "ip",
        "--output", ix.toString());
    assertEquals(0, r.code(), r.err());
    for (String batch : List.of("1", "1000")) {
      Path out = dir.resolve("r" + batch + ".jsonl");
      r = MainTest.run("index", "search", "--warmup", "0", "--index", ix.toString(), "--queries", qs.toString(),
          "--k", "5", "--batch", batch, "--output", out.toString(), "--json");
      assertEquals(0, r.code(), r.err());
      JsonNode summary = Inputs.json().readTree(r.lastLine());
      assertTrue(summary.get("qps").asDouble() > 0);
      assertEquals((long) n * d * 4, summary.get("bytes_read_per_query").asLong());
      List<String> lines = Files.readAllLines(out);
      assertEquals(nq, lines.size());
      for (int i = 0; i < nq; i++) {
        JsonNode hit = Inputs.json().readTree(lines.get(i));
        long[] expected = brute(x, n, d, q, i, 5);
        for (int j = 0; j < 5; j++) {
          assertEquals(expected[j], hit.get("ids").get(j).asLong(), "query " + i + " rank " + j);
        }
      }
    }
    // append: the new rows get ids after the largest, and a query equal to one of them finds it
    float[] more = gaussian(3, d, 3);
    Path m = dir.resolve("more.npy");
    Npy.writeFloat32(m, more, 3, d);
    r = MainTest.run("index", "add", "--index", ix.toString(), "--vectors", m.toString());
    assertEquals(0, r.code(), r.err());
    r = MainTest.run("index", "info", "--index", ix.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals(n + 3, Inputs.json().readTree(r.lastLine()).get("count").asInt());
    Path one = dir.resolve("one.npy"), res = dir.resolve("one.jsonl");
    float[] twice = new float[d];
    for (int j = 0; j < d; j++) {
      twice[j] = 10 * more[d + j];
    }
    Npy.writeFloat32(one, twice, 1, d);
    r = MainTest.run("index", "search", "--warmup", "0", "--index", ix.toString(), "--queries", one.toString(),
        "--k", "1", "--output", res.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals(n + 1, Inputs.json().readTree(Files.readAllLines(res).get(0)).get("ids").get(0).asLong());
  }

  @Test
  void funnelsAndPrefixesFromTheCommandLine() throws Exception {
    int n = 400, d = 64;
    float[] x = gaussian(n, d, 4);
    Path v = dir.resolve("v.npy"), ix = dir.resolve("ix"), out = dir.resolve("r.jsonl");
    Npy.writeFloat32(v, x, n, d);
    assertEquals(0, MainTest.run("index", "build", "--vectors", v.toString(), "--precision", "int8",
        "--output", ix.toString()).code());
    MainTest.Result r = MainTest.run("index", "search", "--warmup", "0", "--index", ix.toString(), "--queries",
        v.toString(), "--k", "3", "--funnel", "16:" + n + ",32:" + n, "--output", out.toString(), "--json");
    assertEquals(0, r.code(), r.err());
    // every row's best cosine match is itself when the funnel keeps everything
    List<String> lines = Files.readAllLines(out);
    for (int i = 0; i < n; i++) {
      assertEquals(i, Inputs.json().readTree(lines.get(i)).get("ids").get(0).asLong());
    }
    var summary = Inputs.json().readTree(r.lastLine());
    assertEquals("16:400,32:400", summary.get("funnel").asText());
    assertEquals(1.0, summary.get("recall_vs_exact").asDouble(), 0, "a funnel that keeps everything is exact");
    assertEquals(n, summary.get("reranked_per_query").asDouble(), 0);
    // auto: fitted on other queries, then measured on these against exact search
    float[] cal = gaussian(100, d, 5);
    Path c = dir.resolve("cal.npy");
    Npy.writeFloat32(c, cal, 100, d);
    r = MainTest.run("index", "search", "--warmup", "0", "--index", ix.toString(), "--queries", v.toString(),
        "--k", "10", "--funnel", "16:auto:0.9", "--calibration", c.toString(), "--output", out.toString(), "--json");
    assertEquals(0, r.code(), r.err());
    summary = Inputs.json().readTree(r.lastLine());
    var calibration = summary.get("calibration");
    assertTrue(calibration.get("adaptive_recall").asDouble() >= 0.9, calibration.toString());
    assertTrue(summary.get("funnel").asText().startsWith("16:") && summary.get("funnel").asText().contains("~"), summary.toString());
    assertTrue(summary.get("recall_vs_exact").asDouble() > 0.8, summary.toString());
    assertTrue(summary.get("reranked_per_query").asDouble() >= 10 && summary.get("qps").asDouble() > 0);
    assertTrue(r.err().contains("funnel 16:auto:0.9: 16:"), r.err());
    r = MainTest.run("index", "search", "--warmup", "0", "--index", ix.toString(), "--queries", v.toString(),
        "--dim", "16", "--output", out.toString());
    assertEquals(0, r.code(), r.err());
  }

  @Test
  void badInputIsOneLineNotAStackTrace() throws Exception {
    Path v = dir.resolve("v.npy"), ix = dir.resolve("ix"), out = dir.resolve("r.jsonl");
    Npy.writeFloat32(v, gaussian(20, 8, 5), 20, 8);
    assertEquals(0, MainTest.run("index", "build", "--vectors", v.toString(), "--output", ix.toString()).code());
    Path ids = dir.resolve("ids.txt");
    Files.writeString(ids, "1\n2\nthree\n");
    assertOneLine(MainTest.run("index", "build", "--vectors", v.toString(), "--ids", ids.toString(),
        "--output", dir.resolve("x").toString()), "20 vectors");
    Files.writeString(ids, "1\n".repeat(20));
    assertOneLine(MainTest.run("index", "build", "--vectors", v.toString(), "--ids", ids.toString(),
        "--output", dir.resolve("x").toString()), "appears twice");
    assertOneLine(MainTest.run("index", "search", "--warmup", "0", "--index", ix.toString(), "--queries", v.toString(),
        "--funnel", "4:2", "--output", out.toString()), "fewer than the k = 10");
    assertOneLine(MainTest.run("index", "search", "--warmup", "0", "--index", ix.toString(), "--queries", v.toString(),
        "--dim", "9", "--output", out.toString()), "needs at least");
    assertOneLine(MainTest.run("index", "build", "--vectors", v.toString(), "--metric", "dot",
        "--output", ix.toString()), "ip, cosine or l2");
    // a damaged index is refused by name
    Path file = ix.resolve("index.mtk");
    byte[] b = Files.readAllBytes(file);
    b[b.length - 5] ^= 1;
    Files.write(file, b);
    assertOneLine(MainTest.run("index", "search", "--warmup", "0", "--index", ix.toString(), "--queries", v.toString(),
        "--output", out.toString()), "checksum");
    assertOneLine(MainTest.run("index", "info", "--index", dir.resolve("none").toString()), "no index here");
  }

  static void assertOneLine(MainTest.Result r, String expected) {
    assertEquals(1, r.code(), r.out() + r.err());
    String err = r.err().strip();
    assertTrue(err.startsWith("mtk: error: ") && !err.contains("\n") && err.contains(expected), err);
  }

  @Test
  void aShardedIndexSearchesAsOneIndex() throws Exception {
    int n = 3000, d = 32, nq = 40;
    float[] x = gaussian(n, d, 5), q = gaussian(nq, d, 6);
    Path v = dir.resolve("v.npy"), qs = dir.resolve("q.npy"), one = dir.resolve("one"), sharded = dir.resolve("sharded");
    Npy.writeFloat32(v, x, n, d);
    Npy.writeFloat32(qs, q, nq, d);
    MainTest.Result r = MainTest.run("index", "build", "--vectors", v.toString(), "--precision", "int8",
        "--output", one.toString());
    assertEquals(0, r.code(), r.err());
    dev.mtk.search.index.ShardedIndex.write(sharded, dev.mtk.search.index.RowSource.of(x, n, d), null, null,
        dev.mtk.search.index.Metric.COSINE, dev.mtk.search.index.Precision.INT8, 3);
    for (String funnel : new String[] {null, "8:300,16:50"}) {
      List<String> a = new java.util.ArrayList<>(List.of("index", "search", "--warmup", "0", "--queries", qs.toString(),
          "--batch", "16", "--json"));
      if (funnel != null) {
        a.addAll(List.of("--funnel", funnel));
      }
      List<String> b = new java.util.ArrayList<>(a);
      a.addAll(List.of("--index", one.toString(), "--output", dir.resolve("one.jsonl").toString()));
      b.addAll(List.of("--index", sharded.toString(), "--output", dir.resolve("sharded.jsonl").toString()));
      MainTest.Result ra = MainTest.run(a.toArray(String[]::new)), rb = MainTest.run(b.toArray(String[]::new));
      assertEquals(0, ra.code(), ra.err());
      assertEquals(0, rb.code(), rb.err());
      assertEquals(Files.readString(dir.resolve("one.jsonl")), Files.readString(dir.resolve("sharded.jsonl")),
          "funnel " + funnel);
      assertEquals(MainTest.number(ra.lastLine(), "recall_vs_exact"), MainTest.number(rb.lastLine(), "recall_vs_exact"));
      assertTrue(rb.err().contains("over 3 shards"), rb.err());
    }
    r = MainTest.run("index", "info", "--index", sharded.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("\"shards\" : 3") || r.out().contains("\"shards\":3"), r.out());
    r = MainTest.run("index", "search", "--index", sharded.toString(), "--queries", qs.toString(), "--funnel", "auto",
        "--output", dir.resolve("x.jsonl").toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("--funnel auto is fitted on one index"), r.err());
  }
}
