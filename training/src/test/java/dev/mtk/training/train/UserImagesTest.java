package dev.mtk.training.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.inference.EmbedOptions;
import dev.mtk.models.inference.EmbeddingModel;
import dev.mtk.tokenizers.image.ImageFormat;
import dev.mtk.tokenizers.image.ImageTransforms;
import dev.mtk.training.data.LabelledImages;
import dev.mtk.training.task.ImageFolder;
import dev.mtk.training.task.ReverseDictionary;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The user's images: ImageFolder and JSONL layouts, the hash split, training, and bad files named. */
class UserImagesTest {

  static final ImageFormat RGB16 = new ImageFormat(3, 16, 16, 4, ImageTransforms.Norm.VIT);

  /** A 16×16 RGB image of class c: a solid colour per class (red, green, blue) with noise. */
  static BufferedImage image(int c, SplittableRandom r) {
    BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 16; y++) {
      for (int x = 0; x < 16; x++) {
        int[] v = {r.nextInt(60), r.nextInt(60), r.nextInt(60)};
        v[c] = 160 + r.nextInt(90);
        img.setRGB(x, y, v[0] << 16 | v[1] << 8 | v[2]);
      }
    }
    return img;
  }

  static List<Path> folder(Path root, int n) throws Exception {
    SplittableRandom r = new SplittableRandom(4);
    String[] names = {"red", "green", "blue"};
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int c = i % 3;
      Path f = Files.createDirectories(root.resolve(names[c])).resolve(String.format("%04d.png", i));
      ImageIO.write(image(c, r), "png", f.toFile());
      files.add(f);
    }
    return files;
  }

  @Test
  void aFolderOfClassFoldersIsSplitByPathAndDecodedToTheFormat(@TempDir Path dir) throws Exception {
    Path root = dir.resolve("photos");
    List<Path> files = folder(root, 300);
    Files.writeString(root.resolve("README.txt"), "not an image");
    ImageIO.write(image(0, new SplittableRandom(1)), "png", root.resolve("stray.png").toFile()); // not in a class folder
    Map<ReverseDictionary.Split, LabelledImages> splits = ImageFolder.read(root, RGB16);
    int total = 0;
    for (ReverseDictionary.Split s : ReverseDictionary.Split.values()) {
      LabelledImages l = splits.get(s);
      assertEquals(List.of("blue", "green", "red"), l.classes(), "classes in sorted order");
      total += l.count();
    }
    assertEquals(300, total);
    // the split of each file is the fixed hash of its path under the root, and its bytes are the
    // file's; within a split, images come in sorted path order
    int[] seen = new int[3];
    for (Path f : files.stream().sorted().toList()) {
      String key = root.relativize(f).toString();
      ReverseDictionary.Split s = ReverseDictionary.split(key);
      LabelledImages l = splits.get(s);
      int row = seen[s.ordinal()]++;
      assertEquals(f.getParent().getFileName().toString(), l.classes().get(l.labels()[row]), key);
      byte[] px = java.util.Arrays.copyOfRange(l.pixels(), row * l.size(), (row + 1) * l.size());
      BufferedImage img = ImageIO.read(f.toFile());
      assertEquals((img.getRGB(3, 5) >> 16) & 0xFF, px[5 * 16 + 3] & 0xFF, key + " red at (3, 5)");
      assertEquals(img.getRGB(7, 2) & 0xFF, px[2 * 256 + 2 * 16 + 7] & 0xFF, key + " blue at (7, 2)");
    }
    assertTrue(seen[0] > 240 && seen[1] > 5 && seen[2] > 5, java.util.Arrays.toString(seen));
  }

  @Test
  void jsonLinesMayGiveTheSplitAndAModelTrainsOnThem(@TempDir Path dir) throws Exception {
    List<Path> files = folder(dir.resolve("img"), 240);
    StringBuilder jsonl = new StringBuilder();
    for (int i = 0; i < files.size(); i++) {
      String split = i % 10 == 8 ? "dev" : i % 10 == 9 ? "test" : "train";
      jsonl.append(String.format("{\"image\": \"img/%s/%s\", \"label\": \"%s\", \"split\": \"%s\"}%n",
          files.get(i).getParent().getFileName(), files.get(i).getFileName(),
          files.get(i).getParent().getFileName(), split));
    }
    Path list = dir.resolve("images.jsonl");
    Files.writeString(list, jsonl);
    var splits = ImageFolder.read(list, RGB16);
    assertEquals(192, splits.get(ReverseDictionary.Split.TRAIN).count());
    assertEquals(24, splits.get(ReverseDictionary.Split.DEV).count());
    assertEquals(24, splits.get(ReverseDictionary.Split.TEST).count());

    Path cfg = dir.resolve("c.yaml");
    Files.writeString(cfg, String.join("\n", "task: images", "data: images.jsonl", "image: {channels: 3, size: 16}",
        "seed: 2", "model: {d_model: 16, heads: 2, ffn: 32, layers: 1, max_seq_len: 16, patch_dim: 48,",
        "  nesting: [8, 16]}", "steps: 30", "batch_pairs: 16", "lr: 0.003", "warmup_steps: 3",
        "init: fan_in", "log_every: 10"));
    TrainConfig c = TrainConfig.read(cfg);
    Map<String, Map<String, Double>> results;
    try (WorkerPool pool = new WorkerPool(2)) {
      results = Trainer.run(c, dir.resolve("run"), pool, (s, n, l, t) -> {});
      // the model directory holds the format: embedding a file needs no flags, and gives what its
      // decoded bytes give in training
      EmbeddingModel m = EmbeddingModel.load(dir.resolve("run/model"), pool);
      assertEquals(RGB16, m.imageFormat());
      float[] fromFile = m.embedImages(List.of(files.get(9)), EmbedOptions.DEFAULT).vectors();
      LabelledImages test = splits.get(ReverseDictionary.Split.TEST);
      float[] patches = new float[16 * 48];
      m.imageFormat().patches(test.pixels(), 0, 0, 0, 0, false, patches, 0);
      assertArrayEquals(m.embed(List.of(new dev.mtk.models.inference.Input.Patches(patches, 16)),
          EmbedOptions.DEFAULT).vectors(), fromFile, "the first test image is file 9");
    }
    assertTrue(results.get("knn_accuracy").get("16") > 0.9, results.toString()); // three colours
  }

  @Test
  void badImagesAndLayoutsAreNamed(@TempDir Path dir) throws Exception {
    Path root = dir.resolve("r");
    folder(root, 60);
    Path broken = root.resolve("red/broken.png");
    byte[] good = Files.readAllBytes(root.resolve("red/0000.png"));
    Files.write(broken, java.util.Arrays.copyOf(good, good.length / 2));
    var e = assertThrows(java.io.IOException.class, () -> ImageFolder.read(root, RGB16));
    assertTrue(e.getMessage().contains("broken.png") && e.getMessage().contains("truncated"), e.getMessage());
    Files.delete(broken);

    var grey = new ImageFormat(1, 16, 16, 4, ImageTransforms.Norm.VIT);
    var colour = assertThrows(IllegalArgumentException.class, () -> ImageFolder.read(root, grey));
    assertTrue(colour.getMessage().contains(".png: a colour image, but the images are grey"), colour.getMessage());

    Path empty = Files.createDirectories(dir.resolve("empty/cat"));
    Files.writeString(empty.resolve("notes.txt"), "x");
    var none = assertThrows(IllegalArgumentException.class, () -> ImageFolder.read(dir.resolve("empty"), RGB16));
    assertTrue(none.getMessage().contains("no images in class folders"), none.getMessage());

    Path one = dir.resolve("one");
    folder(one, 1);
    var single = assertThrows(IllegalArgumentException.class, () -> ImageFolder.read(one, RGB16));
    assertTrue(single.getMessage().contains("1 class(es) [red]"), single.getMessage());

    Path list = dir.resolve("l.jsonl");
    Files.writeString(list, "{\"image\": \"r/red/0000.png\", \"label\": \"red\"}\n{\"image\": \"r/red/missing.png\", \"label\": \"red\"}\n");
    var missing = assertThrows(IllegalArgumentException.class, () -> ImageFolder.read(list, RGB16));
    assertTrue(missing.getMessage().startsWith(list + ":2: ") && missing.getMessage().contains("missing.png: no such image"),
        missing.getMessage());
    Files.writeString(list, "{\"image\": \"r/red/0000.png\", \"label\": \"red\", \"split\": \"holdout\"}\n");
    var split = assertThrows(IllegalArgumentException.class, () -> ImageFolder.read(list, RGB16));
    assertTrue(split.getMessage().contains(":1: split must be train, dev or test"), split.getMessage());

    Path cfg = dir.resolve("c.yaml");
    Files.writeString(cfg, "task: images\nmodel: {d_model: 16, heads: 2, ffn: 32, layers: 1, max_seq_len: 16, patch_dim: 48}\n");
    var noData = assertThrows(IllegalArgumentException.class, () -> TrainConfig.read(cfg));
    assertTrue(noData.getMessage().contains("task images needs data: a folder ROOT/CLASS/*.png"), noData.getMessage());
    Files.writeString(cfg, "task: images\ndata: r\nimage: {channels: 3, size: 16}\nmodel: {d_model: 16, heads: 2, ffn: 32, layers: 1, max_seq_len: 16, patch_dim: 16}\n");
    var patch = assertThrows(IllegalArgumentException.class, () -> TrainConfig.read(cfg));
    assertTrue(patch.getMessage().contains("patch_dim 16 is not a square patch of a RGB 16×16 image: use 3 (1×1), 12 (2×2), 48 (4×4)"),
        patch.getMessage());
  }
}
