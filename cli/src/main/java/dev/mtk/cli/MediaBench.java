package dev.mtk.cli;

import dev.mtk.tokenizers.audio.Audio;
import dev.mtk.tokenizers.audio.LogMel;
import dev.mtk.tokenizers.image.Image;
import dev.mtk.tokenizers.image.ImageReader;
import dev.mtk.tokenizers.image.ImageTransforms;
import dev.mtk.tokenizers.image.Patches;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Tokenizer throughput on one thread: images per second from a file on disk (decode, normalise,
 * 16×16 patches) and log-mel speed as a multiple of real time.
 */
@Command(name = "media", mixinStandardHelpOptions = true,
    description = {"Image and audio tokenizer throughput, one thread: a 224×224 image file → "
        + "ViT patches (images/s), and Whisper log-mel (× real time).",
        "Without --image / --wav it makes its own: a 224×224 JPEG of smooth noise and 60 s of "
            + "16 kHz tones and noise."})
final class MediaBench implements Callable<Integer> {

  @Option(names = "--image", description = "An image to tokenize (default: a generated 224×224 JPEG).")
  Path image;

  @Option(names = "--format", defaultValue = "jpg", description = "Format of the generated image: "
      + "jpg or png (default ${DEFAULT-VALUE}).")
  String format;

  @Option(names = "--seconds", defaultValue = "3", description = "Timing per measurement (default ${DEFAULT-VALUE}).")
  double seconds;

  @Option(names = "--json", description = "Print one JSON object as the last line.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    Path img = image;
    Path tmp = null;
    if (img == null) {
      tmp = Files.createTempFile("mtk-bench", "." + format);
      ImageIO.write(generated(224, 224), format.equals("png") ? "png" : "jpg", tmp.toFile());
      img = tmp;
    }
    try {
      Path file = img;
      double imagesPerS = Timing.rate(seconds, () -> {
        try {
          Image im = ImageTransforms.normalize(ImageReader.read(file), ImageTransforms.Norm.VIT);
          Patches.patchify(im, 16, Patches.Fit.CROP);
        } catch (java.io.IOException e) {
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
      double realTime = clipsPerS * audio.seconds();
      if (json) {
        System.out.println(BenchCommand.json("bench", "media", "images_per_s", imagesPerS,
            "image", file.getFileName().toString(), "log_mel_x_real_time", realTime));
      } else {
        System.out.printf(Locale.ROOT, "image %s → 196 patches: %.0f images/s; log-mel 80: %.0f× "
            + "real time (one thread)%n", file.getFileName(), imagesPerS, realTime);
      }
    } finally {
      if (tmp != null) {
        Files.deleteIfExists(tmp);
      }
    }
    return 0;
  }

  /** Smooth coloured noise, so that the JPEG is neither trivial nor pure noise. */
  static BufferedImage generated(int w, int h) {
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
