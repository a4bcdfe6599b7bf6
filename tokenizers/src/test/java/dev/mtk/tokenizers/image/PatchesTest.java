package dev.mtk.tokenizers.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.mtk.tokenizers.FloatTokens;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class PatchesTest {

  static Image random(int c, int h, int w, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] d = new float[c * h * w];
    for (int i = 0; i < d.length; i++) {
      d[i] = (float) r.nextDouble();
    }
    return new Image(d, c, h, w);
  }

  @Property(tries = 200)
  void unpatchifyInvertsPatchify(@ForAll @IntRange(min = 1, max = 4) int c,
      @ForAll @IntRange(min = 1, max = 6) int gh, @ForAll @IntRange(min = 1, max = 6) int gw,
      @ForAll @IntRange(min = 1, max = 9) int p, @ForAll long seed) {
    Image img = random(c, gh * p, gw * p, seed);
    FloatTokens t = Patches.patchify(img, p, Patches.Fit.ERROR);
    assertEquals(gh * gw, t.count());
    assertEquals(c * p * p, t.dim());
    assertArrayEquals(img.data(), Patches.unpatchify(t, c, gh * p, gw * p, p).data());
  }

  /** Token (py, px), element (c, y, x) is pixel (c, py·p + y, px·p + x): Conv2d's weight order. */
  @Test
  void tokensAreRasterOrderAndFlattenedChannelFirst() {
    int c = 3, h = 8, w = 12, p = 4;
    Image img = random(c, h, w, 1);
    FloatTokens t = Patches.patchify(img, p, Patches.Fit.ERROR);
    for (int py = 0; py < h / p; py++) {
      for (int px = 0; px < w / p; px++) {
        for (int ch = 0; ch < c; ch++) {
          for (int y = 0; y < p; y++) {
            for (int x = 0; x < p; x++) {
              float v = t.values()[(py * (w / p) + px) * t.dim() + (ch * p + y) * p + x];
              assertEquals(img.get(ch, py * p + y, px * p + x), v);
            }
          }
        }
      }
    }
  }

  @Test
  void awkwardSizesAreRefusedCroppedOrPadded() {
    Image img = random(3, 10, 7, 2);
    assertThrows(IllegalArgumentException.class, () -> Patches.patchify(img, 4, Patches.Fit.ERROR));
    assertEquals(2, Patches.patchify(img, 4, Patches.Fit.CROP).count());      // 8×4
    FloatTokens padded = Patches.patchify(img, 4, Patches.Fit.PAD);          // 12×8
    assertEquals(6, padded.count());
    Image back = Patches.unpatchify(padded, 3, 12, 8, 4);
    assertEquals(img.get(2, 9, 6), back.get(2, 9, 6));
    assertEquals(0f, back.get(0, 11, 7));
    var e = assertThrows(IllegalArgumentException.class,
        () -> Patches.patchify(random(3, 10, 7, 3), 16, Patches.Fit.PAD));
    assertEquals(true, e.getMessage().contains("smaller than one 16×16 patch"), e.getMessage());
  }
}
