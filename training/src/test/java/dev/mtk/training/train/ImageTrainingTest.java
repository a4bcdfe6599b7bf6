package dev.mtk.training.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.inference.EmbedOptions;
import dev.mtk.models.inference.EmbeddingModel;
import dev.mtk.models.inference.Input;
import dev.mtk.tokenizers.image.ImageFormat;
import dev.mtk.training.data.LabelledImages;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The image task end to end on small IDX files the test writes: learns, same bits, resumes. */
class ImageTrainingTest {

  /** n 28×28 images of 10 classes: class c is a bright 6×6 block at its own place, on noise. */
  static void writeSet(Path dir, String split, int n, long seed) throws Exception {
    SplittableRandom r = new SplittableRandom(seed);
    byte[] px = new byte[n * 784], labels = new byte[n];
    for (int i = 0; i < n; i++) {
      int c = r.nextInt(10);
      labels[i] = (byte) c;
      int top = (c / 5) * 14 + 4 + r.nextInt(3), left = (c % 5) * 5 + r.nextInt(2);
      for (int y = 0; y < 28; y++) {
        for (int x = 0; x < 28; x++) {
          boolean block = y >= top && y < top + 6 && x >= left && x < left + 6;
          px[i * 784 + y * 28 + x] = (byte) (block ? 200 + r.nextInt(56) : r.nextInt(60));
        }
      }
    }
    Files.write(dir.resolve(split + "-images-idx3-ubyte"), idx(new int[] {n, 28, 28}, px));
    Files.write(dir.resolve(split + "-labels-idx1-ubyte"), idx(new int[] {n}, labels));
  }

  static byte[] idx(int[] dims, byte[] data) {
    ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
    b.put(new byte[] {0, 0, 8, (byte) dims.length});
    for (int d : dims) {
      b.putInt(d);
    }
    return b.put(data).array();
  }

  static String config(Path data, String extra) {
    return String.join("\n", "task: fashion-mnist", "data: " + data, "seed: 3",
        "model: {d_model: 32, heads: 2, ffn: 64, layers: 1, max_seq_len: 49, patch_dim: 16,",
        "  nesting: [8, 16, 32]}", "steps: 80", "batch_pairs: 32", "lr: 0.003", "warmup_steps: 5",
        "log_every: 10", "augment: {crop_padding: 2, flip: false}", extra);
  }

  @Test
  void aViTLearnsTheClassesWithTheSameBitsForAnyThreadCountAndAfterAResume(@TempDir Path dir)
      throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    writeSet(data, "train", 1000, 1);
    writeSet(data, "t10k", 300, 2);
    Path cfg = dir.resolve("c.yaml");
    Files.writeString(cfg, config(data, "checkpoint_every: 30"));
    TrainConfig c = TrainConfig.read(cfg);
    Map<String, Map<String, Double>> results;
    byte[] first;
    try (WorkerPool one = new WorkerPool(1); WorkerPool two = new WorkerPool(2)) {
      results = Trainer.run(c, dir.resolve("one"), one, (s, n, l, t) -> {});
      Trainer.run(c, dir.resolve("two"), two, (s, n, l, t) -> {});
      first = Files.readAllBytes(dir.resolve("one/model/model.safetensors"));
      assertArrayEquals(first, Files.readAllBytes(dir.resolve("two/model/model.safetensors")),
          "1 and 2 threads: the same weights, augmentation included");
      // killed after step 50: the resume continues from the checkpoint at 30
      assertThrows(IllegalStateException.class, () -> Trainer.run(c, dir.resolve("crashed"), two, (s, n, l, t) -> {
        if (s == 50) {
          throw new IllegalStateException("simulated crash");
        }
      }));
      Trainer.run(c, dir.resolve("crashed"), two, (s, n, l, t) -> {}, RunDirectory.Mode.RESUME);
      assertArrayEquals(first, Files.readAllBytes(dir.resolve("crashed/model/model.safetensors")),
          "resumed = uninterrupted");
    }
    double probe = results.get("linear_probe_accuracy").get("32"), knn = results.get("knn_accuracy").get("8");
    double map = results.get("map_at_10").get("32");
    assertTrue(probe > 0.6 && knn > 0.4 && map > 0.4, results.toString()); // chance: 0.1
    // the model directory says how images become patches: a test image saved as a PNG embeds
    // to the row its bytes give
    Path model = dir.resolve("one/model");
    assertTrue(Files.isRegularFile(model.resolve(ImageFormat.FILE_NAME)));
    assertTrue(!Files.exists(model.resolve("tokenizer.json")));
    LabelledImages test = LabelledImages.readMnistLayout(data, LabelledImages.FASHION_CLASSES, "test").test();
    BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
    for (int i = 0; i < 784; i++) {
      img.getRaster().setSample(i % 28, i / 28, 0, test.pixels()[i] & 0xFF);
    }
    Path png = dir.resolve("t0.png");
    ImageIO.write(img, "png", png.toFile());
    try (WorkerPool pool = new WorkerPool(2)) {
      EmbeddingModel m = EmbeddingModel.load(model, pool);
      float[] patches = new float[49 * 16];
      m.imageFormat().patches(test.pixels(), 0, 0, 0, 0, false, patches, 0);
      assertArrayEquals(m.embed(List.of(new Input.Patches(patches, 49)), EmbedOptions.DEFAULT).vectors(),
          m.embedImages(List.of(png), EmbedOptions.DEFAULT).vectors());
      var text = assertThrows(IllegalArgumentException.class, () -> m.embedTexts(List.of("a coat"), EmbedOptions.DEFAULT));
      assertTrue(text.getMessage().contains("takes patches"), text.getMessage());
    }
  }

  @Test
  void supervisedContrastOfTwoViewsLearnsTheClassesWithoutAHead(@TempDir Path dir) throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    writeSet(data, "train", 1000, 1);
    writeSet(data, "t10k", 300, 2);
    Path cfg = dir.resolve("c.yaml");
    Files.writeString(cfg, config(data, "loss: {base: supcon, temperature: 0.1, matryoshka: {dims: [8, 16, 32]}}")
        .replace("augment: {crop_padding: 2, flip: false}", "augment: {crop_padding: 1, flip: false}"));
    TrainConfig c = TrainConfig.read(cfg);
    Map<String, Map<String, Double>> results;
    try (WorkerPool one = new WorkerPool(1); WorkerPool two = new WorkerPool(2)) {
      results = Trainer.run(c, dir.resolve("one"), one, (s, n, l, t) -> {});
      Trainer.run(c, dir.resolve("two"), two, (s, n, l, t) -> {});
    }
    assertArrayEquals(Files.readAllBytes(dir.resolve("one/model/model.safetensors")),
        Files.readAllBytes(dir.resolve("two/model/model.safetensors")), "1 and 2 threads: the same weights");
    String metrics = Files.readString(dir.resolve("one/metrics.jsonl"));
    assertTrue(metrics.contains("\"dim8\"") && metrics.contains("\"dim32\""), "a SupCon part per prefix");
    double knn = results.get("knn_accuracy").get("32"), knn8 = results.get("knn_accuracy").get("8");
    assertTrue(knn > 0.6 && knn8 > 0.4, results.toString()); // chance: 0.1
    // a text task has no views to contrast
    Files.writeString(cfg, "task: lexfile\nmodel: {vocab_size: 100, d_model: 16, heads: 2, ffn: 32, "
        + "layers: 1, max_seq_len: 8}\nloss: {base: supcon}\n");
    var e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.read(cfg));
    assertTrue(e.getMessage().contains("loss base supcon contrasts two augmented views"), e.getMessage());
  }

  @Test
  void missingDataAndMisfitModelsAreNamed(@TempDir Path dir) throws Exception {
    Path cfg = dir.resolve("c.yaml");
    Files.writeString(cfg, config(dir.resolve("nowhere"), ""));
    try (WorkerPool pool = new WorkerPool(1)) {
      var e = assertThrows(java.nio.file.NoSuchFileException.class,
          () -> Trainer.run(TrainConfig.read(cfg), dir.resolve("run"), pool, (s, n, l, t) -> {}));
      assertTrue(e.getMessage().contains("train-images-idx3-ubyte.gz")
          && e.getMessage().contains("apt-get install dataset-fashion-mnist"), e.getMessage());
    }
    for (String[] bad : new String[][] {{"patch_dim: 16", "patch_dim: 25", "is not a square patch of a grey 28×28"},
        {"max_seq_len: 49", "max_seq_len: 16", "max_seq_len 16 is below the 49 patches"},
        {", patch_dim: 16", ", vocab_size: 100", "task fashion-mnist takes images: the model needs patch_dim"},
        {"augment: {crop_padding: 2, flip: false}", "augment: {crop: 2}", "unknown augment setting \"crop\""}}) {
      Files.writeString(cfg, config(dir, "").replace(bad[0], bad[1]));
      var e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.read(cfg), bad[1]);
      assertTrue(e.getMessage().contains(bad[2]), e.getMessage());
    }
  }

  @Test
  void fashionMnistIsReadWhereDebianPutsIt() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.isRegularFile(LabelledImages.FASHION_MNIST.resolve("train-images-idx3-ubyte.gz")),
        "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist; .ci/run does)");
    LabelledImages.Split s = LabelledImages.fashionMnist(null);
    // the dataset's published shape: 60,000 + 10,000 grey 28×28 images, 6,000 and 1,000 per class
    assertEquals(60_000, s.train().count());
    assertEquals(10_000, s.test().count());
    assertEquals(List.of(1, 28, 28), List.of(s.train().channels(), s.train().height(), s.train().width()));
    int[] train = new int[10], test = new int[10];
    for (int l : s.train().labels()) {
      train[l]++;
    }
    for (int l : s.test().labels()) {
      test[l]++;
    }
    for (int c = 0; c < 10; c++) {
      assertEquals(6_000, train[c], "class " + c);
      assertEquals(1_000, test[c], "class " + c);
    }
  }
}
