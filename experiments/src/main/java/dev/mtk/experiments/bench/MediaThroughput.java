package dev.mtk.experiments.bench;

import dev.mtk.tokenizers.audio.Audio;
import dev.mtk.tokenizers.audio.LogMel;
import dev.mtk.tokenizers.image.Image;
import dev.mtk.tokenizers.image.ImageReader;
import dev.mtk.tokenizers.image.ImageTransforms;
import dev.mtk.tokenizers.image.Patches;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;

/**
 * Tokenizer throughput on one thread ({@code mtk bench media}): images per second from a file on
 * disk (decode, normalise, 16×16 patches) and log-mel speed as a multiple of real time. Without
 * an image it makes its own: a 224×224 JPEG (or PNG) of smooth noise; the audio is 60 s of 16 kHz
 * tones and noise.
 */
public final class MediaThroughput {

  private MediaThroughput() {}

  /** {@code image} null: a generated one in {@code format} (jpg or png). */
  public static BenchResult measure(Path image, String format, double seconds) throws IOException {
    if (!format.equals("jpg") && !format.equals("png")) {
      throw new IllegalArgumentException("format must be jpg or png, got '" + format + "'");
    }
    Path img = image;
    Path tmp = null;
    if (img == null) {
      tmp = Files.createTempFile("mtk-bench", "." + format);
      ImageIO.write(generated(224, 224), format, tmp.toFile());
      img = tmp;
    }
    try {
      Path file = img;
      double imagesPerS = Timing.rate(seconds, () -> {
        try {
          Image im = ImageTransforms.normalize(ImageReader.read(file), ImageTransforms.Norm.VIT);
          Patches.patchify(im, 16, Patches.Fit.CROP);
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      float[] x = new float[60 * LogMel.SAMPLE_RATE];
      SplittableRandom r = new SplittableRandom(0);
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) (0.3 * Math.sin(2 * Math.PI * 440 * i / 16000.0) + 0.05 * (r.nextDouble() - 0.5));
      }
      Audio audio = new Audio(x, LogMel.SAMPLE_RATE);
      LogMel mel = new LogMel(80);
      double clipsPerS = Timing.rate(seconds, () -> mel.compute(audio));
      return new BenchResult("media").put("images_per_s", imagesPerS)
          .put("image", file.getFileName().toString()).put("log_mel_x_real_time", clipsPerS * audio.seconds());
    } finally {
      if (tmp != null) {
        Files.deleteIfExists(tmp);
      }
    }
  }

  /** Smooth coloured noise, so that the JPEG is neither trivial nor pure noise. */
  public static BufferedImage generated(int w, int h) {
    BufferedImage b = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    SplittableRandom r = new SplittableRandom(1);
    double[] f = new double[9];
    for (int i = 0; i < f.length; i++) {
      f[i] = r.nextDouble(0.01, 0.1);
    }
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int red = (int) (127 + 120 * Math.sin(f[0] * x + f[1] * y + f[2] * x * y / 50));
        int green = (int) (127 + 120 * Math.sin(f[3] * x - f[4] * y));
        int blue = (int) (127 + 120 * Math.cos(f[5] * x + f[6] * y) * Math.sin(f[7] * y));
        b.setRGB(x, y, (red << 16) | (green << 8) | blue);
      }
    }
    return b;
  }
}
