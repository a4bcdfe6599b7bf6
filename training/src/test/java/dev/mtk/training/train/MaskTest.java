package dev.mtk.training.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * SpecAugment-style masks: only whole rows and whole columns are blanked, at most the configured
 * number of bands of each, none wider than allowed; the rest is the image; a hash gives one mask.
 */
class MaskTest {

  @Test
  void masksBlankWholeBandsOfRowsAndColumnsAndNothingElse() {
    int c = 2, h = 20, w = 30, plane = h * w;
    byte[] px = new byte[5 + c * plane];
    for (int i = 0; i < px.length; i++) {
      px[i] = (byte) (1 + i % 250); // never 0, so every 0 out is a mask
    }
    for (long hash = 0; hash < 200; hash++) {
      byte[] out = new byte[c * plane];
      Trainer.mask(px, 5, c, h, w, 2, 6, hash, out);
      byte[] again = new byte[c * plane];
      Trainer.mask(px, 5, c, h, w, 2, 6, hash, again);
      assertArrayEquals(out, again);
      boolean[] row = new boolean[h], col = new boolean[w];
      for (int y = 0; y < h; y++) {
        boolean all = true;
        for (int x = 0; x < w; x++) {
          all &= out[y * w + x] == 0;
        }
        row[y] = all;
      }
      for (int x = 0; x < w; x++) {
        boolean all = true;
        for (int y = 0; y < h; y++) {
          all &= out[y * w + x] == 0;
        }
        col[x] = all;
      }
      for (int ch = 0; ch < c; ch++) {
        for (int y = 0; y < h; y++) {
          for (int x = 0; x < w; x++) {
            int i = ch * plane + y * w + x;
            if (row[y] || col[x]) {
              assertEquals(0, out[i], "channel " + ch + " masked like the first");
            } else {
              assertEquals(px[5 + i], out[i], "hash " + hash + " (" + y + ", " + x + ") untouched");
            }
          }
        }
      }
      assertTrue(count(row) <= 2 * 6 && count(col) <= 2 * 6, "two bands of at most 6 each");
      assertTrue(runs(row) <= 2 && runs(col) <= 2);
    }
  }

  private static int count(boolean[] b) {
    int n = 0;
    for (boolean v : b) {
      n += v ? 1 : 0;
    }
    return n;
  }

  private static int runs(boolean[] b) {
    int n = 0;
    for (int i = 0; i < b.length; i++) {
      n += b[i] && (i == 0 || !b[i - 1]) ? 1 : 0;
    }
    return n;
  }
}
