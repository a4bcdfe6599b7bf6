package dev.mtk.training.data;

import dev.mtk.tokenizers.image.Idx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Images with class labels, held as unsigned bytes (a 60,000-image training set of 28×28 is
 * 47 MB; floats are made per batch): {@code pixels} holds image i's channels × height × width
 * values at {@code i * size()}.
 */
public record LabelledImages(byte[] pixels, int count, int channels, int height, int width,
    int[] labels, List<String> classes) {

  /** Where Debian's package dataset-fashion-mnist puts the four files. */
  public static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

  /** Fashion-MNIST's ten classes, in label order. */
  public static final List<String> FASHION_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover",
      "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

  public LabelledImages {
    if ((long) count * channels * height * width != pixels.length || labels.length != count) {
      throw new IllegalArgumentException(count + " images of " + channels + "×" + height + "×" + width
          + " do not match " + pixels.length + " pixels and " + labels.length + " labels");
    }
  }

  /** Values per image. */
  public int size() {
    return channels * height * width;
  }

  /** The images {@code from} (inclusive) to {@code to} (exclusive), sharing nothing with this. */
  public LabelledImages range(int from, int to) {
    return new LabelledImages(java.util.Arrays.copyOfRange(pixels, from * size(), to * size()),
        to - from, channels, height, width, java.util.Arrays.copyOfRange(labels, from, to), classes);
  }

  /** The images at {@code rows}, in that order, sharing nothing with this. */
  public LabelledImages rows(int[] rows) {
    int size = size();
    byte[] px = new byte[rows.length * size];
    int[] lab = new int[rows.length];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(pixels, rows[i] * size, px, i * size, size);
      lab[i] = labels[rows[i]];
    }
    return new LabelledImages(px, rows.length, channels, height, width, lab, classes);
  }

  /** The training and test sets of an MNIST-layout folder (Fashion-MNIST, MNIST). */
  public record Split(LabelledImages train, LabelledImages test) {}

  /**
   * The four IDX files of MNIST's layout in {@code dir} ({@code train-images-idx3-ubyte},
   * {@code train-labels-idx1-ubyte}, {@code t10k-…}, each optionally {@code .gz}).
   *
   * @param what the dataset's name and how to get it, for the message when files are missing
   */
  public static Split readMnistLayout(Path dir, List<String> classes, String what) throws IOException {
    return new Split(read(dir, "train", classes, what), read(dir, "t10k", classes, what));
  }

  /** Fashion-MNIST from {@code dir}, or from Debian's place for it when {@code dir} is null. */
  public static Split fashionMnist(Path dir) throws IOException {
    return readMnistLayout(dir == null ? FASHION_MNIST : dir, FASHION_CLASSES, "Fashion-MNIST: "
        + "install it with `sudo apt-get install dataset-fashion-mnist` (Debian, Ubuntu), or get the "
        + "four .gz files from https://github.com/zalandoresearch/fashion-mnist and point data: at "
        + "their folder");
  }

  private static LabelledImages read(Path dir, String split, List<String> classes, String what)
      throws IOException {
    Path images = find(dir, split + "-images-idx3-ubyte", what);
    Path labels = find(dir, split + "-labels-idx1-ubyte", what);
    Idx x = Idx.read(images), y = Idx.read(labels);
    if (x.dims().length != 3) {
      throw new IllegalArgumentException(images + ": expected count × height × width, got "
          + x.dims().length + " dimensions");
    }
    if (y.dims().length != 1 || y.count() != x.count()) {
      throw new IllegalArgumentException(labels + ": " + y.count() + " labels for " + x.count()
          + " images in " + images.getFileName());
    }
    int[] l = new int[y.count()];
    for (int i = 0; i < l.length; i++) {
      l[i] = y.data()[i] & 0xFF;
      if (l[i] >= classes.size()) {
        throw new IllegalArgumentException(labels + ": label " + l[i] + " of item " + i
            + " is not one of the " + classes.size() + " classes");
      }
    }
    return new LabelledImages(x.data(), x.count(), 1, x.dims()[1], x.dims()[2], l, classes);
  }

  private static Path find(Path dir, String name, String what) throws IOException {
    for (Path p : new Path[] {dir.resolve(name + ".gz"), dir.resolve(name)}) {
      if (Files.isRegularFile(p)) {
        return p;
      }
    }
    throw new NoSuchFileException(dir.resolve(name + ".gz").toString(), null,
        "not found; this needs " + what);
  }
}
