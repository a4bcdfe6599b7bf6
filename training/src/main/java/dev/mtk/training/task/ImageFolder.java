package dev.mtk.training.task;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mtk.tokenizers.image.ImageFiles;
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
 * 3×32×32 image is 3 KB), never held as floats.
 */
public final class ImageFolder {

  private record Item(Path file, String key, String label, ReverseDictionary.Split split) {}

  private ImageFolder() {}

  /** The three splits, decoded to {@code format}; errors name the file (and line). */
  public static Map<ReverseDictionary.Split, LabelledImages> read(Path data, ImageFormat format)
      throws IOException {
    List<Item> items = Files.isDirectory(data) ? folder(data) : jsonl(data);
    TreeSet<String> names = new TreeSet<>();
    items.forEach(i -> names.add(i.label()));
    if (names.size() < 2) {
      throw new IllegalArgumentException(data + ": " + names.size() + " class(es) " + names
          + "; classification needs at least 2");
    }
    List<String> classes = List.copyOf(names);
    Map<ReverseDictionary.Split, LabelledImages> out = new EnumMap<>(ReverseDictionary.Split.class);
    int size = format.channels() * format.height() * format.width();
    for (ReverseDictionary.Split s : ReverseDictionary.Split.values()) {
      List<Item> in = items.stream().filter(i -> i.split() == s).toList();
      if (in.isEmpty()) {
        throw new IllegalArgumentException(data + ": no image fell into the " + s.name().toLowerCase(Locale.ROOT)
            + " split (images are split 90/5/5 by a hash of their path; give a few hundred at least, "
            + "or a \"split\" per line of a .jsonl)");
      }
      byte[] px = new byte[Math.multiplyExact(in.size(), size)];
      int[] labels = new int[in.size()];
      for (int i = 0; i < in.size(); i++) {
        System.arraycopy(format.pixels(in.get(i).file(), true), 0, px, i * size, size);
        labels[i] = java.util.Collections.binarySearch(classes, in.get(i).label());
      }
      out.put(s, new LabelledImages(px, in.size(), format.channels(), format.height(), format.width(),
          labels, classes));
    }
    return out;
  }

  private static List<Item> folder(Path root) throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.walk(root)) {
      files = s.filter(Files::isRegularFile).filter(ImageFiles::isImage)
          .filter(p -> root.relativize(p).getNameCount() >= 2).sorted().toList();
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException(root + ": no images in class folders (expected ROOT/CLASS/*.png "
          + "or .jpg, e.g. " + root.resolve("cat/001.png") + ")");
    }
    List<Item> out = new ArrayList<>(files.size());
    for (Path f : files) {
      Path rel = root.relativize(f);
      String key = rel.toString().replace('\\', '/');
      out.add(new Item(f, key, rel.getName(0).toString(), ReverseDictionary.split(key)));
    }
    return out;
  }

  private static List<Item> jsonl(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null,
          "no such folder of images (ROOT/CLASS/*.png) or .jsonl of {\"image\", \"label\"}");
    }
    Path base = file.toAbsolutePath().getParent();
    List<Item> out = new ArrayList<>();
    DataFile.read(file, "labelled images", "a folder ROOT/CLASS/*.png or a .jsonl of "
        + "{\"image\": PATH, \"label\": …} per line", line -> {
          JsonNode o = line.json();
          if (o == null) {
            throw new IllegalArgumentException(line.where() + "expected {\"image\": PATH, \"label\": …}, not TSV");
          }
          if (!o.path("image").isTextual() || !(o.path("label").isTextual() || o.path("label").isIntegralNumber())) {
            throw new IllegalArgumentException(line.where() + "expected {\"image\": \"PATH\", \"label\": \"…\" or an integer}");
          }
          String path = o.get("image").asText(), label = o.get("label").asText().strip();
          Path f = Path.of(path).isAbsolute() ? Path.of(path) : base.resolve(path);
          if (!Files.isRegularFile(f)) {
            throw new IllegalArgumentException(line.where() + f + ": no such image");
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
      throw new IllegalArgumentException(file + ": no images listed");
    }
    return out;
  }
}
