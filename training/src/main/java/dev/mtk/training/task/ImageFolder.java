package dev.mtk.training.task;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mtk.tokenizers.image.ImageFiles;
import dev.mtk.tokenizers.audio.AudioFormat;
import dev.mtk.tokenizers.image.ImageFormat;
import dev.mtk.training.data.DataFile;
import dev.mtk.training.data.LabelledImages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The user's labelled images, in either of two layouts: a folder {@code ROOT/CLASS/…/*.png|jpg}
 * (torchvision's ImageFolder: the class is the first folder under the root; files directly in
 * the root are ignored), or JSON Lines {@code {"image": PATH, "label": …[, "split": "train" |
 * "dev" | "test"]}} with paths relative to the file's folder. Without a split, an image falls into
 * train/dev/test 90/5/5 by a fixed hash of its path as written (relative to the root), so the
 * split does not depend on the machine or the listing order. Classes are numbered in sorted
 * order of their names. Images are decoded once into the format's bytes (8 bits a value; a
 * 3×32×32 image is 3 KB), never held as floats. Audio clips the same way ({@code ROOT/CLASS/*.wav},
 * or {@code {"audio": PATH, "label": …}}), each decoded to its spectrogram image ({@link AudioFormat}).
 */
public final class ImageFolder {

  private record Item(Path file, String key, String label, ReverseDictionary.Split split) {}

  private ImageFolder() {}

  /** The three splits, decoded to {@code format}; errors name the file (and line). */
  public static Map<ReverseDictionary.Split, LabelledImages> read(Path data, ImageFormat format)
      throws IOException {
    return read(data, format, null);
  }

  /** As above; with {@code audio}, the files are WAV clips made spectrogram images of {@code format}. */
  public static Map<ReverseDictionary.Split, LabelledImages> read(Path data, ImageFormat format, AudioFormat audio)
      throws IOException {
    String what = audio != null ? "audio" : format.frames() > 1 ? "video" : "image";
    List<Item> items = Files.isDirectory(data) ? folder(data, what) : jsonl(data, what);
    TreeSet<String> names = new TreeSet<>();
    items.forEach(i -> names.add(i.label()));
    if (names.size() < 2) {
      throw new IllegalArgumentException(data + ": " + names.size() + " class(es) " + names
          + "; classification needs at least 2");
    }
    List<String> classes = List.copyOf(names);
    Map<ReverseDictionary.Split, LabelledImages> out = new EnumMap<>(ReverseDictionary.Split.class);
    int size = format.size();
    for (ReverseDictionary.Split s : ReverseDictionary.Split.values()) {
      List<Item> in = items.stream().filter(i -> i.split() == s).toList();
      if (in.isEmpty()) {
        throw new IllegalArgumentException(data + ": no " + what + " fell into the " + s.name().toLowerCase(Locale.ROOT)
            + " split (files are split 90/5/5 by a hash of their path; give a few hundred at least, "
            + "or a \"split\" per line of a .jsonl)");
      }
      byte[] px = new byte[Math.multiplyExact(in.size(), size)];
      int[] labels = new int[in.size()];
      for (int i = 0; i < in.size(); i++) {
        Path f = in.get(i).file();
        System.arraycopy(audio == null ? format.pixels(f, true) : audio.spectrogram(f), 0, px, i * size, size);
        labels[i] = java.util.Collections.binarySearch(classes, in.get(i).label());
      }
      // a clip's frames are held as its planes: frames · channels of height × width
      out.put(s, new LabelledImages(px, in.size(), format.frames() * format.channels(), format.height(),
          format.width(), labels, classes));
    }
    return out;
  }

  private static List<Item> folder(Path root, String what) throws IOException {
    boolean audio = what.equals("audio");
    ImageFiles.Kind kind = audio ? ImageFiles.Kind.AUDIO : what.equals("video") ? ImageFiles.Kind.VIDEO
        : ImageFiles.Kind.IMAGE;
    java.util.function.Predicate<Path> is = kind::is;
    List<Path> files;
    try (Stream<Path> s = Files.walk(root)) {
      files = s.filter(Files::isRegularFile).filter(is)
          .filter(p -> root.relativize(p).getNameCount() >= 2).sorted().toList();
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException(root + (audio ? ": no clips in class folders (expected ROOT/CLASS/*.wav, e.g. "
          + root.resolve("yes/001.wav") : what.equals("video") ? ": no clips in class folders (expected "
          + "ROOT/CLASS/*.y4m, e.g. " + root.resolve("wave/001.y4m") : ": no images in class folders (expected "
          + "ROOT/CLASS/*.png or .jpg, e.g. " + root.resolve("cat/001.png")) + ")");
    }
    List<Item> out = new ArrayList<>(files.size());
    for (Path f : files) {
      Path rel = root.relativize(f);
      String key = rel.toString().replace('\\', '/');
      out.add(new Item(f, key, rel.getName(0).toString(), ReverseDictionary.split(key)));
    }
    return out;
  }

  /** {@code key}: "image" or "audio", the field naming each line's file. */
  private static List<Item> jsonl(Path file, String key) throws IOException {
    String layout = key.equals("image") ? "ROOT/CLASS/*.png" : key.equals("video") ? "ROOT/CLASS/*.y4m"
        : "ROOT/CLASS/*.wav";
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null,
          "no such folder (" + layout + ") or .jsonl of {\"" + key + "\", \"label\"}");
    }
    Path base = file.toAbsolutePath().getParent();
    List<Item> out = new ArrayList<>();
    DataFile.read(file, "labelled " + (key.equals("image") ? "images" : key), "a folder " + layout
        + " or a .jsonl of {\"" + key + "\": PATH, \"label\": …} per line", line -> {
          JsonNode o = line.json();
          if (o == null) {
            throw new IllegalArgumentException(line.where() + "expected {\"" + key + "\": PATH, \"label\": …}, not TSV");
          }
          // a clip with its transcript ({"audio", "text"}: text↔speech pairs) is labelled by its text
          String field = !o.has("label") && key.equals("audio") && o.path("text").isTextual() ? "text" : "label";
          if (!o.path(key).isTextual() || !(o.path(field).isTextual() || o.path(field).isIntegralNumber())) {
            throw new IllegalArgumentException(line.where() + "expected {\"" + key + "\": \"PATH\", \"label\": \"…\" or an integer}"
                + (key.equals("audio") ? " (or {\"audio\": \"PATH\", \"text\": \"…\"})" : ""));
          }
          String path = o.get(key).asText(), label = o.get(field).asText().strip();
          Path f = Path.of(path).isAbsolute() ? Path.of(path) : base.resolve(path);
          // a video may be a folder of numbered frames
          if (!Files.isRegularFile(f) && !(key.equals("video") && Files.isDirectory(f))) {
            throw new IllegalArgumentException(line.where() + f + ": no such " + (key.equals("audio") ? "audio file" : key));
          }
          if (label.isEmpty()) {
            throw new IllegalArgumentException(line.where() + "empty label");
          }
          ReverseDictionary.Split split = ReverseDictionary.split(path);
          if (o.has("split")) {
            split = switch (o.get("split").asText()) {
              case "train" -> ReverseDictionary.Split.TRAIN;
              case "dev", "val", "validation" -> ReverseDictionary.Split.DEV;
              case "test" -> ReverseDictionary.Split.TEST;
              default -> throw new IllegalArgumentException(line.where() + "split must be train, dev or test, not "
                  + o.get("split"));
            };
          }
          out.add(new Item(f, path, label, split));
        });
    if (out.isEmpty()) {
      throw new IllegalArgumentException(file + ": no " + key + " files listed");
    }
    return out;
  }
}
