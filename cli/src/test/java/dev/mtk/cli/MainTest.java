package dev.mtk.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The command line as a user meets it: help, version, the bench JSON contract, clean errors. */
class MainTest {

  record Result(int code, String out, String err) {
    String lastLine() {
      String[] lines = out.strip().split("\\R");
      return lines[lines.length - 1];
    }
  }

  static Result run(String... args) {
    PrintStream oldOut = System.out, oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int code = Main.run(args);
      return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  static double number(String json, String key) {
    Matcher m = Pattern.compile("\"" + key + "\":\\s*([-0-9.eE]+)").matcher(json);
    assertTrue(m.find(), key + " in " + json);
    return Double.parseDouble(m.group(1));
  }

  @Test
  void helpListsCommands() {
    Result r = run("--help");
    assertEquals(0, r.code());
    assertTrue(r.out().contains("bench"), r.out());
    assertTrue(r.out().contains("./mtk test"), r.out());
  }

  @Test
  void versionNamesJdkAndSimd() {
    Result r = run("--version");
    assertEquals(0, r.code());
    assertTrue(r.out().contains("JDK 25") || r.out().matches("(?s).*JDK 2[5-9].*"), r.out());
    assertTrue(r.out().contains("SIMD panama-") || r.out().contains("SIMD scalar"), r.out());
  }

  @Test
  void benchGemmPrintsJsonLastLine() {
    Result r = run("bench", "gemm", "--n", "96", "--threads", "2", "--runs", "3", "--warmup", "0.2", "--json");
    assertEquals(0, r.code(), r.err());
    String json = r.lastLine();
    assertTrue(json.startsWith("{") && json.endsWith("}"), json);
    assertTrue(number(json, "gflops") > 0, json);
    assertEquals(96, number(json, "n"));
    assertEquals(2, number(json, "threads"));
  }

  @Test
  void benchDotPrintsJsonLastLine() {
    Result r = run("bench", "dot", "--dim", "100", "--runs", "3", "--warmup", "0.2", "--json");
    assertEquals(0, r.code(), r.err());
    assertTrue(number(r.lastLine(), "gflops") > 0, r.lastLine());
    assertTrue(number(r.lastLine(), "scalar_gflops") > 0, r.lastLine());
  }

  @Test
  void badInputIsOneLineNotAStackTrace() {
    Result r = run("bench", "gemm", "--n", "0");
    assertEquals(1, r.code());
    assertTrue(r.err().startsWith("mtk: error:"), r.err());
    assertEquals(1, r.err().strip().split("\\R").length, r.err());
    Result unknown = run("bench", "gemm", "--bogus");
    assertEquals(2, unknown.code());
    assertTrue(unknown.err().contains("--bogus"), unknown.err());
  }
}
