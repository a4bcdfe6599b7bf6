package dev.mtk.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mtk.core.io.Npy;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.encoder.Encoder;
import dev.mtk.models.encoder.EncoderConfig;
import dev.mtk.models.inference.EmbedOptions;
import dev.mtk.models.inference.EmbeddingModel;
import dev.mtk.models.io.ModelDirectory;
import dev.mtk.tokenizers.image.ImageFormat;
import dev.mtk.tokenizers.image.ImageTransforms;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** mtk embed with an image model: a folder, a list, one image; modality mistakes named. */
class ImageCommandTest {

  @Test
  void anImageModelEmbedsFoldersListsAndFilesInAFixedOrder(@TempDir Path dir) throws Exception {
    Path model = dir.resolve("model");
    var config = new EncoderConfig(1, 32, 2, 64, 1, 49, 1e-5f, new int[] {8, 32},
        EncoderConfig.Pooling.MEAN, 0f, 0, 16);
    ModelDirectory.save(Encoder.init(config, 5), model);
    new ImageFormat(1, 28, 28, 4, ImageTransforms.Norm.VIT).save(model);
    Path images = Files.createDirectories(dir.resolve("imgs/sub"));
    for (int i = 0; i < 3; i++) {
      BufferedImage b = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
      b.getRaster().setSample(i * 5, i * 7, 0, 255);
      ImageIO.write(b, "png", (i == 2 ? images : images.getParent()).resolve("im" + i + ".png").toFile());
    }
    Path out = dir.resolve("e.npy");
    MainTest.Result r = MainTest.run("embed", "--model", model.toString(), "--input",
        dir.resolve("imgs").toString(), "--output", out.toString(), "--dim", "8");
    assertEquals(0, r.code(), r.err());
    List<String> order = Files.readAllLines(dir.resolve("e.paths.txt"));
    List<Path> expected = List.of(dir.resolve("imgs/im0.png"), dir.resolve("imgs/im1.png"),
        dir.resolve("imgs/sub/im2.png"));
    assertEquals(expected.stream().map(Path::toString).toList(), order, "sorted paths, subfolders too");
    float[] rows = Npy.readFloat32(out);
    try (WorkerPool pool = new WorkerPool(1)) {
      float[] direct = EmbeddingModel.load(model, pool).embedImages(expected, new EmbedOptions(8, 0, 64, true)).vectors();
      assertArrayEquals(direct, rows);
    }
    // a list of paths (relative to the list) gives the same rows
    Files.writeString(dir.resolve("list.txt"), "imgs/im0.png\n\nimgs/im1.png\n" + dir.resolve("imgs/sub/im2.png") + "\n");
    r = MainTest.run("embed", "--model", model.toString(), "--input", dir.resolve("list.txt").toString(),
        "--output", dir.resolve("l.npy").toString(), "--dim", "8");
    assertEquals(0, r.code(), r.err());
    assertArrayEquals(rows, Npy.readFloat32(dir.resolve("l.npy")));
    // an index of the images keeps their paths: an image query finds itself first, then the rest
    // in the order of an exact cosine search over the embed output
    Path index = dir.resolve("ix");
    r = MainTest.run("index", "build", "--model", model.toString(), "--input", dir.resolve("imgs").toString(),
        "--output", index.toString());
    assertEquals(0, r.code(), r.err());
    r = MainTest.run("query", "--model", model.toString(), "--index", index.toString(), "--dim", "8",
        "--image", expected.get(1).toString(), "--json");
    assertEquals(0, r.code(), r.err());
    var hits = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out()).get("hits");
    assertEquals(3, hits.size(), r.out());
    assertEquals(expected.get(1).toString(), hits.get(0).get("text").asText());
    int other = dot(rows, 1, 0) >= dot(rows, 1, 2) ? 0 : 2;
    assertEquals(expected.get(other).toString(), hits.get(1).get("text").asText(), r.out());
    IndexCommandTest.assertOneLine(MainTest.run("query", "--model", model.toString(), "--image",
        expected.get(0).toString()), "--image needs --index");
    IndexCommandTest.assertOneLine(MainTest.run("query", "--model", model.toString(), "--index",
        index.toString()), "give a text query or --image FILE");
    IndexCommandTest.assertOneLine(MainTest.run("query", "--model", model.toString(), "--index",
        index.toString(), "a", "coat"), "is an image model: query it with --image FILE");
    // texts for an image model, and a broken image, are one line each
    Files.writeString(dir.resolve("d.jsonl"), "{\"text\": \"a coat\"}\n");
    IndexCommandTest.assertOneLine(MainTest.run("embed", "--model", model.toString(), "--input",
        dir.resolve("d.jsonl").toString(), "--output", out.toString()), "takes images: give an image");
    Files.write(dir.resolve("imgs/bad.png"), new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
    IndexCommandTest.assertOneLine(MainTest.run("embed", "--model", model.toString(), "--input",
        dir.resolve("imgs").toString(), "--output", out.toString()), dir.resolve("imgs/bad.png").toString());
    assertTrue(Files.exists(out));
  }

  /** Dot product of rows i and j of 8-wide unit rows. */
  private static double dot(float[] rows, int i, int j) {
    double s = 0;
    for (int t = 0; t < 8; t++) {
      s += (double) rows[i * 8 + t] * rows[j * 8 + t];
    }
    return s;
  }
}
