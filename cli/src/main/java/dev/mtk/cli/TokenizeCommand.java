package dev.mtk.cli;

import dev.mtk.core.io.Npy;
import dev.mtk.tokenizers.FloatTokens;
import dev.mtk.tokenizers.audio.AudioTokenizer;
import dev.mtk.tokenizers.image.ImageTokenizer;
import dev.mtk.tokenizers.image.ImageTransforms;
import dev.mtk.tokenizers.video.VideoTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Images, audio and video to float tokens in a .npy (tokens × features). */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
    description = "Turn an image, a WAV or a video into float tokens, written as a float32 .npy of "
        + "shape (tokens, features): ViT patches, wav2vec2 frames or Whisper log-mel, ViViT tubelets.",
    subcommands = {TokenizeCommand.ImageCmd.class, TokenizeCommand.AudioCmd.class,
        TokenizeCommand.VideoCmd.class})
final class TokenizeCommand extends Shared.Group {

  static void write(Path out, FloatTokens t) throws IOException {
    Npy.writeFloat32(out, t.values(), t.count(), t.dim());
    System.err.printf(Locale.ROOT, "%,d tokens × %d → %s%n", t.count(), t.dim(), out);
  }

  @Command(name = "image", mixinStandardHelpOptions = true,
      description = "PNG, JPEG, BMP or GIF → RGB in [0, 1] → optional resize and centre crop → "
          + "normalise → p×p patches in raster order, each flattened (channel, y, x).")
  static final class ImageCmd implements Callable<Integer> {
    @Option(names = "--input", required = true, description = "Image file.")
    Path input;

    @Option(names = "--size", description = "Resize the shorter side to SIZE and crop the centre "
        + "SIZE × SIZE (default: keep the image's size).")
    Integer size;

    @Option(names = "--patch", defaultValue = "16", description = "Patch side (default ${DEFAULT-VALUE}).")
    int patch;

    @Option(names = {"--pixel-norm", "--normalize"}, defaultValue = "vit", description = "Pixel "
        + "normalisation: vit (0.5/0.5), imagenet or none (default ${DEFAULT-VALUE}).")
    String normalize;

    @Option(names = "--fit", defaultValue = "error", description = "When a side is not a multiple "
        + "of the patch: error, crop or pad (default ${DEFAULT-VALUE}).")
    String fit;

    @Option(names = "--output", required = true, description = "tokens.npy to write.")
    Path output;

    @Override
    public Integer call() throws Exception {
      var tokenizer = new ImageTokenizer(size == null ? 0 : Inputs.positive(size, "--size"),
          Inputs.positive(patch, "--patch"), ImageTransforms.Norm.named(normalize), ImageTokenizer.fit(fit));
      write(output, tokenizer.tokenize(input));
      return 0;
    }
  }

  @Command(name = "audio", mixinStandardHelpOptions = true,
      description = {"WAV (PCM 8/16/24/32-bit or 32-bit float, channels averaged) → frames or "
          + "log-mel.",
          "--log-mel: Whisper's features at 16 kHz (resampled if needed): (⌊n/160⌋, mels).",
          "--window W:H: raw windows of W samples every H at --rate (wav2vec2: 400:320 at 16 kHz)."})
  static final class AudioCmd implements Callable<Integer> {
    @Option(names = "--input", required = true, description = "WAV file.")
    Path input;

    @Option(names = {"--window", "--frames"}, description = "WINDOW:HOP in samples (--frames is "
        + "the older name).")
    String window;

    @Option(names = "--log-mel", description = "80 or 128 mel bins.")
    Integer logMel;

    @Option(names = "--rate", defaultValue = "16000", description = "Sample rate for --window "
        + "(default ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--output", required = true, description = "tokens.npy to write.")
    Path output;

    @Override
    public Integer call() throws Exception {
      if ((window == null) == (logMel == null)) {
        throw new IllegalArgumentException("give exactly one of --window WINDOW:HOP or --log-mel 80|128");
      }
      AudioTokenizer tokenizer = logMel != null ? new AudioTokenizer.LogMelFeatures(logMel)
          : AudioTokenizer.RawFrames.parse(window, rate);
      write(output, tokenizer.tokenize(input));
      return 0;
    }
  }

  @Command(name = "video", mixinStandardHelpOptions = true,
      description = {"A .y4m (4:2:0 or 4:4:4, BT.601 limited range), an animated GIF, or a folder of "
          + "numbered frames → sampled frames → resize and centre crop → normalise → t×p×p "
          + "tubelets, time-major then raster order, each flattened (channel, t, y, x)."})
  static final class VideoCmd implements Callable<Integer> {
    @Option(names = "--input", required = true, description = ".y4m, .gif, or a folder of images.")
    Path input;

    @Option(names = "--frames", description = "Take N frames spread uniformly (default: all).")
    Integer frames;

    @Option(names = "--every", defaultValue = "1", description = "Take every K-th frame (default ${DEFAULT-VALUE}).")
    int every;

    @Option(names = "--size", description = "Resize the shorter side to SIZE and crop the centre "
        + "(default: keep the size).")
    Integer size;

    @Option(names = "--tubelet", defaultValue = "2x16x16", description = "TxPxP (default ${DEFAULT-VALUE}).")
    String tubelet;

    @Option(names = {"--pixel-norm", "--normalize"}, defaultValue = "vit", description = "Pixel "
        + "normalisation: vit, imagenet or none (default ${DEFAULT-VALUE}).")
    String normalize;

    @Option(names = "--output", required = true, description = "tokens.npy to write.")
    Path output;

    @Override
    public Integer call() throws Exception {
      int[] tp = VideoTokenizer.parseTubelet(tubelet);
      var tokenizer = new VideoTokenizer(Inputs.positive(frames, "--frames"),
          Inputs.positive(every, "--every"), Inputs.positive(size, "--size"), tp[0], tp[1],
          ImageTransforms.Norm.named(normalize));
      VideoTokenizer.Result r = tokenizer.tokenize(input);
      if (r.dropped() > 0) {
        System.err.printf("using %d of %d frames (a multiple of the tubelet's %d)%n", r.used(),
            r.used() + r.dropped(), tp[0]);
      }
      write(output, r.tokens());
      return 0;
    }
  }
}
