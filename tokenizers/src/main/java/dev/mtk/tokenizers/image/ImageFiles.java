package dev.mtk.tokenizers.image;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The images an input names, in a fixed order: an image file itself; a folder's images (PNG,
 * JPEG, BMP, GIF, in any subfolder) in sorted path order; or a text file listing one image path per
 * line (relative paths from the list's folder; blank lines skipped).
 */
public final class ImageFiles {

  private ImageFiles() {}

  public static boolean isImage(Path p) {
    String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
    return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".bmp")
        || n.endsWith(".gif");
  }

  public static boolean isWav(Path p) {
    return p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".wav");
  }

  /** An image, a folder of images (sorted, recursively), or a text file listing image paths. */
  public static List<Path> list(Path input) throws IOException {
    return list(input, false);
  }

  public static boolean isY4m(Path p) {
    return p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".y4m");
  }

  /** What a patch model reads: images, audio clips (.wav) or video clips (.y4m). */
  public enum Kind {
    IMAGE("image", "PNG, JPEG, BMP or GIF images"), AUDIO("audio clip", "WAV files"),
    VIDEO("video clip", ".y4m or GIF clips");

    final String what, files;

    Kind(String what, String files) {
      this.what = what;
      this.files = files;
    }

    /** Whether a file is of this kind, by its name. */
    public boolean is(Path p) {
      return this == IMAGE ? isImage(p) : this == AUDIO ? isWav(p)
          : isY4m(p) || p.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gif");
    }

    /** "image", "audio clip", "video clip". */
    public String what() {
      return what;
    }
  }

  /** As above, of WAV clips when {@code audio}. */
  public static List<Path> list(Path input, boolean audio) throws IOException {
    return list(input, audio ? Kind.AUDIO : Kind.IMAGE);
  }

  /** A file, a folder (sorted, recursively) or a text file listing paths, of this kind. */
  public static List<Path> list(Path input, Kind kind) throws IOException {
    java.util.function.Predicate<Path> is = kind::is;
    String what = kind.what;
    if (Files.isDirectory(input)) {
      List<Path> out;
      try (Stream<Path> s = Files.walk(input)) {
        out = s.filter(Files::isRegularFile).filter(is).sorted().toList();
      }
      if (out.isEmpty()) {
        throw new IllegalArgumentException(input + ": no " + kind.files + " in this folder");
      }
      return out;
    }
    if (!Files.isRegularFile(input)) {
      throw new NoSuchFileException(input.toString(), null, "no such " + what + ", folder or list of " + what + "s");
    }
    if (is.test(input)) {
      return List.of(input);
    }
    List<Path> out = new ArrayList<>();
    Path base = input.toAbsolutePath().getParent();
    try (var lines = dev.mtk.tokenizers.text.formats.TextSources.lines(input)) {
      String line;
      while ((line = lines.next()) != null) {
        if (line.isBlank()) {
          continue;
        }
        Path p = Path.of(line.strip());
        p = p.isAbsolute() ? p : base.resolve(p);
        if (!Files.isRegularFile(p)) {
          throw new IllegalArgumentException(input + ":" + lines.lineNumber() + ": " + p + ": no such " + what);
        }
        out.add(p);
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(input + ": lists no " + what + "s (one path per line)");
    }
    return out;
  }
}
