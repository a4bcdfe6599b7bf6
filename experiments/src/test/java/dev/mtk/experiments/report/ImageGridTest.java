package dev.mtk.experiments.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.training.data.LabelledImages;
import dev.mtk.training.train.Trainer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** The neighbour grid against a brute-force cosine search written here. */
class ImageGridTest {

  @Test
  void eachRowShowsTheQueryAndItsNearestImagesFramedByClass() throws Exception {
    int refs = 60, tests = 9, width = 12, k = 5, m = 4, side = 6;
    SplittableRandom r = new SplittableRandom(7);
    float[] ref = new float[refs * width], q = new float[tests * width];
    for (int i = 0; i < ref.length; i++) {
      ref[i] = (float) r.nextGaussian();
    }
    for (int i = 0; i < q.length; i++) {
      q[i] = (float) r.nextGaussian();
    }
    LabelledImages refImages = images(refs, side, r), testImages = images(tests, side, r);
    var f = new Trainer.Features(ref, refImages.labels(), q, testImages.labels(), width, 3, true,
        refImages, testImages);
    int[] picked = {0, 4, 8};
    int[] nn;
    try (WorkerPool pool = new WorkerPool(2)) {
      nn = ImageGrid.neighbours(pool, f, picked, m, k);
    }
    for (int i = 0; i < picked.length; i++) {
      assertEquals(bruteForce(ref, refs, q, picked[i], width, m, k),
          java.util.Arrays.stream(java.util.Arrays.copyOfRange(nn, i * k, (i + 1) * k)).boxed().toList(),
          "query " + picked[i]);
    }
    BufferedImage png = ImageIO.read(new ByteArrayInputStream(ImageGrid.png(refImages, testImages, picked, nn, k)));
    int cell = side * ImageGrid.SCALE + 2 * ImageGrid.FRAME, rowH = cell + ImageGrid.GAP;
    assertEquals(cell * (k + 1) + ImageGrid.GAP, png.getWidth());
    assertEquals(picked.length * rowH, png.getHeight());
    for (int i = 0; i < picked.length; i++) {
      int top = i * rowH;
      assertEquals(0xffffff, png.getRGB(0, top) & 0xffffff, "the query's frame");
      // the query's pixels, scaled up: pixel (x, y) of the image at (FRAME + 2x, FRAME + 2y)
      int grey = testImages.pixels()[picked[i] * side * side + 2 * side + 3] & 0xff;
      assertEquals(grey * 0x010101, png.getRGB(ImageGrid.FRAME + 3 * ImageGrid.SCALE,
          top + ImageGrid.FRAME + 2 * ImageGrid.SCALE) & 0xffffff);
      for (int j = 0; j < k; j++) {
        boolean same = refImages.labels()[nn[i * k + j]] == testImages.labels()[picked[i]];
        assertEquals(same ? 0x2ca02c : 0xd62728, png.getRGB(cell * (j + 1) + ImageGrid.GAP, top) & 0xffffff,
            "row " + i + " neighbour " + j);
      }
    }
    String html;
    try (WorkerPool pool = new WorkerPool(1)) {
      html = ImageGrid.section(pool, f, new int[] {m, width}, 3, k);
    }
    assertTrue(html.contains("<h2>4 dimensions: ") && html.contains("<h2>12 dimensions: ")
        && html.contains("data:image/png;base64,"), html.substring(0, 300));
  }

  private static LabelledImages images(int n, int side, SplittableRandom r) {
    byte[] px = new byte[n * side * side];
    int[] labels = new int[n];
    for (int i = 0; i < px.length; i++) {
      px[i] = (byte) r.nextInt(256);
    }
    for (int i = 0; i < n; i++) {
      labels[i] = r.nextInt(3);
    }
    return new LabelledImages(px, n, 1, side, side, labels, List.of("a", "b", "c"));
  }

  /** The k rows of highest cosine with query row qi over the first m dimensions, ties to the lower row. */
  private static List<Integer> bruteForce(float[] ref, int refs, float[] q, int qi, int width, int m, int k) {
    double[] score = new double[refs];
    double qn = 0;
    for (int t = 0; t < m; t++) {
      qn += (double) q[qi * width + t] * q[qi * width + t];
    }
    for (int i = 0; i < refs; i++) {
      double dot = 0, rn = 0;
      for (int t = 0; t < m; t++) {
        dot += (double) ref[i * width + t] * q[qi * width + t];
        rn += (double) ref[i * width + t] * ref[i * width + t];
      }
      score[i] = dot / Math.sqrt(qn * rn);
    }
    return java.util.stream.IntStream.range(0, refs).boxed()
        .sorted((a, b) -> score[a] != score[b] ? Double.compare(score[b], score[a]) : Integer.compare(a, b))
        .limit(k).toList();
  }
}
