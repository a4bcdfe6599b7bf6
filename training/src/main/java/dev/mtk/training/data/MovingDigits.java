package dev.mtk.training.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtk.core.io.AtomicFile;
import dev.mtk.tokenizers.video.Y4mWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Moving Fashion-MNIST (or MNIST) items, a video set whose labels need time: each clip shows one
 * 28×28 item moving in a straight line across a dark canvas — right, left, down or up, 1 to 2.5
 * pixels a frame — and bouncing off an edge if it reaches one. A clip's label is its item's class
 * and its direction of motion ("Trouser|left"): the class can be read off any frame, the direction
 * off no single one. Train and dev clips take items from the dataset's training images, test clips
 * from its test images, so the class must generalise to unseen items. Clip i's choices come from
 * the seed and i alone.
 */
public final class MovingDigits {

  public static final List<String> DIRECTIONS = List.of("right", "left", "down", "up");
  private static final int[][] STEP = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}}; // (dx, dy)
  /** Clip i goes to dev when i % 20 == 0, to test when i % 20 == 1. */
  static final int EVERY = 20;

  /**
   * @param n clips
   * @param frames frames per clip
   * @param size the canvas side in pixels (at least the item's 28)
   */
  public record Settings(int n, int frames, int size, long seed) {
    public Settings {
      if (n < EVERY || n > 1_000_000) {
        throw new IllegalArgumentException("--n must be " + EVERY + " to 1000000 clips, got " + n);
      }
      if (frames < 2 || frames > 256) {
        throw new IllegalArgumentException("--frames must be 2 to 256 (direction needs two), got " + frames);
      }
      if (size < 28 || size > 512) {
        throw new IllegalArgumentException("--size must be 28 (the item) to 512 pixels, got " + size);
      }
    }
  }

  private MovingDigits() {}

  /** Hears how many clips are done. */
  public interface Progress {
    void clips(int done, int total);
  }

  /** Writes {@code out}/clips/NNNNNN.y4m and {@code out}/manifest.jsonl; returns the manifest. */
  public static Path generate(Settings s, LabelledImages.Split items, Path out, Progress progress) throws IOException {
    if (items.train().height() != 28 || items.train().width() != 28 || items.train().channels() != 1) {
      throw new IllegalArgumentException("moving digits take grey 28×28 items");
    }
    Files.createDirectories(out.resolve("clips"));
    ObjectMapper json = new ObjectMapper();
    StringBuilder manifest = new StringBuilder();
    byte[] clip = new byte[s.frames() * s.size() * s.size()];
    for (int i = 0; i < s.n(); i++) {
      SplittableRandom rnd = new SplittableRandom(s.seed() * 0x9E3779B97F4A7C15L + i);
      String split = i % EVERY == 0 ? "dev" : i % EVERY == 1 ? "test" : "train";
      LabelledImages from = split.equals("test") ? items.test() : items.train();
      int item = rnd.nextInt(from.count()), dir = rnd.nextInt(DIRECTIONS.size());
      double speed = 1 + 1.5 * rnd.nextDouble();
      draw(from, item, dir, speed, rnd, s, clip);
      String name = String.format(Locale.ROOT, "clips/%06d.y4m", i);
      Y4mWriter.write(out.resolve(name), clip, s.frames(), s.size(), s.size(), 10);
      String cls = from.classes().get(from.labels()[item]), d = DIRECTIONS.get(dir);
      manifest.append(json.writeValueAsString(json.createObjectNode().put("video", name).put("label", cls + "|" + d)
          .put("class", cls).put("direction", d).put("speed", Math.round(speed * 100) / 100.0).put("split", split)))
          .append('\n');
      if ((i + 1) % Math.max(1, s.n() / 10) == 0 || i + 1 == s.n()) {
        progress.clips(i + 1, s.n());
      }
    }
    Path m = out.resolve("manifest.jsonl");
    AtomicFile.write(m, manifest.toString().getBytes(StandardCharsets.UTF_8));
    return m;
  }

  /**
   * One clip into {@code clip}: the item at a start drawn where the whole path fits when it can,
   * moving {@code speed} pixels a frame in direction {@code dir}, reflected at the edges.
   */
  static void draw(LabelledImages from, int item, int dir, double speed, SplittableRandom rnd, Settings s, byte[] clip) {
    int room = s.size() - 28, plane = s.size() * s.size();
    double travel = speed * (s.frames() - 1);
    double along = travel <= room ? rnd.nextDouble() * (room - travel) : rnd.nextDouble() * room;
    double across = rnd.nextDouble() * room;
    int dx = STEP[dir][0], dy = STEP[dir][1];
    // moving towards + starts low, towards − starts high
    double x = dx != 0 ? (dx > 0 ? along : room - along) : across;
    double y = dy != 0 ? (dy > 0 ? along : room - along) : across;
    double vx = dx * speed, vy = dy * speed;
    java.util.Arrays.fill(clip, (byte) 0);
    int px = item * from.size();
    for (int t = 0; t < s.frames(); t++) {
      int ox = (int) Math.round(x), oy = (int) Math.round(y);
      for (int r = 0; r < 28; r++) {
        for (int c = 0; c < 28; c++) {
          int v = from.pixels()[px + r * 28 + c] & 0xFF, at = t * plane + (oy + r) * s.size() + ox + c;
          if (v > (clip[at] & 0xFF)) {
            clip[at] = (byte) v;
          }
        }
      }
      x += vx;
      y += vy;
      if (x < 0 || x > room) { // bounce
        vx = -vx;
        x = x < 0 ? -x : 2 * room - x;
      }
      if (y < 0 || y > room) {
        vy = -vy;
        y = y < 0 ? -y : 2 * room - y;
      }
    }
  }
}
