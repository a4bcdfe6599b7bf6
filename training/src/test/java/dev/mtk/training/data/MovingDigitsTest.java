package dev.mtk.training.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtk.tokenizers.video.Y4mReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Moving digits: each clip's item really moves in its labelled direction (its centre of mass,
 * measured on the written frames), test clips come from the test items, and the same seed gives
 * the same files.
 */
class MovingDigitsTest {

  /** Items that say which set they came from: a bright square, train items in class 0–1, test in 2. */
  static LabelledImages.Split items() {
    byte[] train = new byte[4 * 28 * 28], test = new byte[2 * 28 * 28];
    for (byte[] px : new byte[][] {train, test}) {
      for (int i = 0; i < px.length / 784; i++) {
        for (int r = 8; r < 20; r++) {
          for (int c = 8; c < 20; c++) {
            px[i * 784 + r * 28 + c] = (byte) 200;
          }
        }
      }
    }
    List<String> classes = List.of("a", "b", "c");
    return new LabelledImages.Split(new LabelledImages(train, 4, 1, 28, 28, new int[] {0, 1, 0, 1}, classes),
        new LabelledImages(test, 2, 1, 28, 28, new int[] {2, 2}, classes));
  }

  @Test
  void itemsMoveTheWayTheirLabelsSayAndTheSetIsReproducible(@TempDir Path dir) throws Exception {
    var s = new MovingDigits.Settings(60, 6, 48, 5);
    Path m = MovingDigits.generate(s, items(), dir.resolve("a"), (d, t) -> {});
    MovingDigits.generate(s, items(), dir.resolve("b"), (d, t) -> {});
    assertEquals(Files.readString(m), Files.readString(dir.resolve("b/manifest.jsonl")));
    ObjectMapper json = new ObjectMapper();
    int[] perDirection = new int[4];
    for (String line : Files.readAllLines(m)) {
      JsonNode o = json.readTree(line);
      Path clip = dir.resolve("a").resolve(o.get("video").asText());
      assertArrayEquals(Files.readAllBytes(clip), Files.readAllBytes(dir.resolve("b").resolve(o.get("video").asText())));
      assertEquals(o.get("class").asText() + "|" + o.get("direction").asText(), o.get("label").asText());
      assertEquals(o.get("split").asText().equals("test"), o.get("class").asText().equals("c"), line);
      var v = Y4mReader.read(clip, 1, 100);
      assertEquals(6, v.frames());
      double[] first = centre(v, 0), last = centre(v, 5);
      double dx = last[0] - first[0], dy = last[1] - first[1], travel = o.get("speed").asDouble() * 5;
      String d = o.get("direction").asText();
      perDirection[MovingDigits.DIRECTIONS.indexOf(d)]++;
      // the whole path fits in 48 − 28 = 20 pixels at these speeds: no bounce, a straight line
      switch (d) {
        case "right" -> assertTrue(Math.abs(dx - travel) <= 1.01 && Math.abs(dy) <= 0.01, line + " " + dx + "," + dy);
        case "left" -> assertTrue(Math.abs(dx + travel) <= 1.01 && Math.abs(dy) <= 0.01, line + " " + dx + "," + dy);
        case "down" -> assertTrue(Math.abs(dy - travel) <= 1.01 && Math.abs(dx) <= 0.01, line + " " + dx + "," + dy);
        default -> assertTrue(Math.abs(dy + travel) <= 1.01 && Math.abs(dx) <= 0.01, line + " " + dx + "," + dy);
      }
    }
    for (int c : perDirection) {
      assertTrue(c >= 5, java.util.Arrays.toString(perDirection));
    }
  }

  /** The brightness-weighted centre (x, y) of frame t. */
  static double[] centre(dev.mtk.tokenizers.video.Video v, int t) {
    int plane = v.height() * v.width();
    double sx = 0, sy = 0, s = 0;
    for (int y = 0; y < v.height(); y++) {
      for (int x = 0; x < v.width(); x++) {
        double g = v.data()[t * 3 * plane + y * v.width() + x];
        sx += g * x;
        sy += g * y;
        s += g;
      }
    }
    return new double[] {sx / s, sy / s};
  }
}
