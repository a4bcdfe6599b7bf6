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
          .put("image", file.getFileName().toString()).put("log_mel_x_real_time", clipsPerS * audio.seconds())
          .put("audio_clips_per_s", audioClipsPerSecond(seconds));
    } finally {
      if (tmp != null) {
        Files.deleteIfExists(tmp);
      }
    }
  }

  /** Clips a batch of the audio measurement. */
  static final int AUDIO_BATCH = 64;

  /**
   * One-second clips per second, log-mel to embedding, on one thread: spectrogram images
   * ({@code experiments/spoken-words.yaml}'s format: 80 mels × 96 frames, telephone band), 16×16
   * patches, and that config's encoder (4 layers, d 64, 30 tokens, seeded weights: speed does not
   * depend on them), a batch of {@value #AUDIO_BATCH} at a time.
   */
  static double audioClipsPerSecond(double seconds) {
    var format = new dev.mtk.tokenizers.audio.AudioFormat(80, 96, 8000);
    var image = format.imageFormat(16);
    var config = new dev.mtk.models.encoder.EncoderConfig(1, 64, 4, 256, 4, image.tokens(), 1e-5f,
        new int[] {8, 16, 32, 64}, dev.mtk.models.encoder.EncoderConfig.Pooling.MEAN, 0f, 0, image.patchDim());
    Audio[] clips = new Audio[AUDIO_BATCH];
    SplittableRandom r = new SplittableRandom(2);
    for (int c = 0; c < clips.length; c++) {
      float[] x = new float[LogMel.SAMPLE_RATE];
      double hz = 200 + 600 * r.nextDouble();
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) (0.3 * Math.sin(2 * Math.PI * hz * i / 16000.0) + 0.05 * (r.nextDouble() - 0.5));
      }
      clips[c] = new Audio(x, LogMel.SAMPLE_RATE);
    }
    try (var pool = new dev.mtk.core.parallel.WorkerPool(1)) {
      var model = dev.mtk.models.inference.EmbeddingModel.of(dev.mtk.models.encoder.Encoder.init(config, 1), image, pool)
          .withAudio(format);
      var options = dev.mtk.models.inference.EmbedOptions.DEFAULT.withBatch(AUDIO_BATCH);
      double batches = Timing.rate(seconds, () -> {
        java.util.List<dev.mtk.models.inference.Input> in = new java.util.ArrayList<>(clips.length);
        for (Audio a : clips) {
          float[] patches = new float[image.tokens() * image.patchDim()];
          image.patches(format.spectrogram(a), 0, 0, 0, 0, false, patches, 0);
          in.add(new dev.mtk.models.inference.Input.Patches(patches, image.tokens()));
        }
        model.embed(in, options);
      });
      return batches * AUDIO_BATCH;
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
