package dev.mtk.cli;

import dev.mtk.core.io.Npy;
import dev.mtk.tokenizers.FloatTokens;
import dev.mtk.tokenizers.audio.Audio;
import dev.mtk.tokenizers.audio.Frames;
import dev.mtk.tokenizers.audio.LogMel;
import dev.mtk.tokenizers.audio.Resampler;
import dev.mtk.tokenizers.audio.WavReader;
import dev.mtk.tokenizers.image.Image;
import dev.mtk.tokenizers.image.ImageReader;
import dev.mtk.tokenizers.image.ImageTransforms;
import dev.mtk.tokenizers.image.Patches;
import dev.mtk.tokenizers.video.Tubelets;
import dev.mtk.tokenizers.video.Video;
import dev.mtk.tokenizers.video.Y4mReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Images, audio and video to float tokens in a .npy (tokens × features). */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
    description = "Turn an image, a WAV or a video into float tokens, written as a float32 .npy of "
        + "shape (tokens, features): ViT patches, wav2vec2 frames or Whisper log-mel, ViViT tubelets.",
    subcommands = {TokenizeCommand.ImageCmd.class, TokenizeCommand.AudioCmd.class,
        TokenizeCommand.VideoCmd.class})
final class TokenizeCommand implements Runnable {

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Problems with the content (too small, wrong shape) name the file, as format errors do. */
  static IllegalArgumentException about(Path input, IllegalArgumentException e) {
    String m = e.getMessage();
    return m != null && m.contains(input.toString()) ? e : new IllegalArgumentException(input + ": " + m, e);
  }

  static void write(Path out, FloatTokens t) throws IOException {
    Npy.writeFloat32(out, t.values(), t.count(), t.dim());
    System.err.printf(Locale.ROOT, "%,d tokens × %d → %s%n", t.count(), t.dim(), out);
  }

  /** Shorter side to size, then the central size × size (the ViT evaluation transform). */
  static Image square(Image img, int size) {
    return ImageTransforms.centerCrop(ImageTransforms.resizeShorter(img, size), size, size);
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

    @Option(names = "--normalize", defaultValue = "vit", description = "vit (0.5/0.5), imagenet "
        + "or none (default ${DEFAULT-VALUE}).")
    String normalize;

    @Option(names = "--fit", defaultValue = "error", description = "When a side is not a multiple "
        + "of the patch: error, crop or pad (default ${DEFAULT-VALUE}).")
    String fit;

    @Option(names = "--output", required = true, description = "tokens.npy to write.")
    Path output;

    @Override
    public Integer call() throws Exception {
      var norm = ImageTransforms.Norm.named(normalize);
      Image img = ImageReader.read(input);
      if (size != null) {
        img = square(img, size);
      }
      img = ImageTransforms.normalize(img, norm);
      Patches.Fit how = fit(fit);
      if (how == Patches.Fit.ERROR && img.height() >= patch && img.width() >= patch
          && (img.height() % patch != 0 || img.width() % patch != 0)) {
        throw new IllegalArgumentException(input + " is " + img.height() + "×" + img.width()
            + ", not a multiple of the patch size " + patch + ": use --size, or --fit crop|pad");
      }
      try {
        write(output, Patches.patchify(img, patch, how));
      } catch (IllegalArgumentException e) {
        throw about(input, e);
      }
      return 0;
    }
  }

  static Patches.Fit fit(String s) {
    return switch (s.toLowerCase(Locale.ROOT)) {
      case "error" -> Patches.Fit.ERROR;
      case "crop" -> Patches.Fit.CROP;
      case "pad" -> Patches.Fit.PAD;
      default -> throw new IllegalArgumentException("--fit must be error, crop or pad, got " + s);
    };
  }

  @Command(name = "audio", mixinStandardHelpOptions = true,
      description = {"WAV (PCM 8/16/24/32-bit or 32-bit float, channels averaged) → frames or "
          + "log-mel.",
          "--log-mel: Whisper's features at 16 kHz (resampled if needed): (⌊n/160⌋, mels).",
          "--frames W:H: raw windows of W samples every H at --rate (wav2vec2: 400:320 at 16 kHz)."})
  static final class AudioCmd implements Callable<Integer> {
    @Option(names = "--input", required = true, description = "WAV file.")
    Path input;

    @Option(names = "--frames", description = "WINDOW:HOP in samples.")
    String frames;

    @Option(names = "--log-mel", description = "80 or 128 mel bins.")
    Integer logMel;

    @Option(names = "--rate", defaultValue = "16000", description = "Sample rate for --frames "
        + "(default ${DEFAULT-VALUE}).")
    int rate;

    @Option(names = "--output", required = true, description = "tokens.npy to write.")
    Path output;

    @Override
    public Integer call() throws Exception {
      if ((frames == null) == (logMel == null)) {
        throw new IllegalArgumentException("give exactly one of --frames WINDOW:HOP or --log-mel 80|128");
      }
      Audio a = WavReader.read(input);
      try {
        if (logMel != null) {
          LogMel mel = new LogMel(logMel);
          write(output, mel.compute(Resampler.resample(a, LogMel.SAMPLE_RATE)));
        } else {
          String[] wh = frames.split(":");
          if (wh.length != 2) {
            throw new IllegalArgumentException("--frames takes WINDOW:HOP, e.g. 400:320");
          }
          write(output, Frames.frame(Resampler.resample(a, rate), Integer.parseInt(wh[0].trim()),
              Integer.parseInt(wh[1].trim())));
        }
      } catch (IllegalArgumentException e) {
        throw about(input, e);
      }
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

    @Option(names = "--normalize", defaultValue = "vit", description = "vit, imagenet or none (default ${DEFAULT-VALUE}).")
    String normalize;

    @Option(names = "--output", required = true, description = "tokens.npy to write.")
    Path output;

    @Override
    public Integer call() throws Exception {
      String[] tp = tubelet.toLowerCase(Locale.ROOT).split("x");
      if (tp.length != 3 || !tp[1].equals(tp[2])) {
        throw new IllegalArgumentException("--tubelet takes TxPxP, e.g. 2x16x16");
      }
      int t = Integer.parseInt(tp[0]), p = Integer.parseInt(tp[1]);
      if (every < 1 || (frames != null && frames < 1)) {
        throw new IllegalArgumentException("--every and --frames must be at least 1");
      }
      var norm = ImageTransforms.Norm.named(normalize);
      List<Image> list = readFrames();
      if (frames != null && frames < list.size()) {
        List<Image> picked = new ArrayList<>();
        for (int i = 0; i < frames; i++) {
          picked.add(list.get(frames == 1 ? 0 : (int) Math.round((double) i * (list.size() - 1) / (frames - 1))));
        }
        list = picked;
      }
      int keep = list.size() / t * t;
      if (keep == 0) {
        throw new IllegalArgumentException(input + ": " + list.size() + " frame(s), fewer than one "
            + "tubelet of " + t);
      }
      if (keep < list.size()) {
        System.err.printf("using %d of %d frames (a multiple of the tubelet's %d)%n", keep, list.size(), t);
      }
      Image first = null;
      float[] data = null;
      for (int i = 0; i < keep; i++) {
        Image img = list.get(i);
        if (size != null) {
          img = square(img, size);
        }
        img = ImageTransforms.normalize(img, norm);
        if (first == null) {
          first = img;
          data = new float[keep * img.data().length];
        } else if (img.height() != first.height() || img.width() != first.width()) {
          throw new IllegalArgumentException(input + ": frame " + i + " is " + img.height() + "×"
              + img.width() + ", frame 0 " + first.height() + "×" + first.width() + " (use --size)");
        }
        System.arraycopy(img.data(), 0, data, i * img.data().length, img.data().length);
      }
      Video v = new Video(data, keep, first.channels(), first.height(), first.width());
      try {
        write(output, Tubelets.tubeletize(v, t, p));
      } catch (IllegalArgumentException e) {
        throw about(input, e);
      }
      return 0;
    }

    private List<Image> readFrames() throws IOException {
      List<Image> out = new ArrayList<>();
      String name = input.getFileName().toString().toLowerCase(Locale.ROOT);
      if (Files.isDirectory(input)) {
        List<Path> files;
        try (Stream<Path> s = Files.list(input)) {
          files = s.filter(f -> f.getFileName().toString().toLowerCase(Locale.ROOT)
              .matches(".*\\.(png|jpe?g|bmp|gif)")).sorted(TokenizeCommand::byNumber).toList();
        }
        if (files.isEmpty()) {
          throw new IllegalArgumentException(input + ": no PNG, JPEG, BMP or GIF frames in this folder");
        }
        for (int i = 0; i < files.size(); i += every) {
          out.add(ImageReader.read(files.get(i)));
        }
      } else if (name.endsWith(".gif")) {
        List<Image> all = ImageReader.frames(input, Integer.MAX_VALUE);
        for (int i = 0; i < all.size(); i += every) {
          out.add(all.get(i));
        }
      } else {
        Video v = Y4mReader.read(input, every, Integer.MAX_VALUE);
        int plane = v.channels() * v.height() * v.width();
        for (int i = 0; i < v.frames(); i++) {
          out.add(new Image(java.util.Arrays.copyOfRange(v.data(), i * plane, (i + 1) * plane),
              v.channels(), v.height(), v.width()));
        }
      }
      return out;
    }
  }

  /** frame2.png before frame10.png: compare the digits as numbers. */
  static int byNumber(Path a, Path b) {
    String x = a.getFileName().toString(), y = b.getFileName().toString();
    String dx = x.replaceAll("\\D+", ""), dy = y.replaceAll("\\D+", "");
    if (!dx.isEmpty() && !dy.isEmpty() && dx.length() < 18 && dy.length() < 18) {
      int c = Long.compare(Long.parseLong(dx), Long.parseLong(dy));
      if (c != 0) {
        return c;
      }
    }
    return x.compareTo(y);
  }
}
