package dev.mtk.tokenizers.video;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mtk.tokenizers.image.ImageFormat;
import dev.mtk.tokenizers.image.ImageTransforms;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A clip format (an ImageFormat of several frames): its tubelets are {@link Tubelets}' (the
 * Conv3d order tested against PyTorch), written .y4m clips read back within a grey level, and a
 * file embeds to what its bytes give.
 */
class ClipFormatTest {

  static byte[] noise(int n, long seed) {
    byte[] b = new byte[n];
    new SplittableRandom(seed).nextBytes(b);
    return b;
  }

  @Test
  void tubeletsAreTheConv3dOrderOfTubelets() {
    int frames = 6, h = 8, w = 12, t = 3, p = 4;
    ImageFormat f = new ImageFormat(1, h, w, p, ImageTransforms.Norm.VIT, frames, t);
    assertEquals((frames / t) * (h / p) * (w / p), f.tokens());
    assertEquals(t * p * p, f.patchDim());
    byte[] px = noise(f.size(), 3);
    float[] mine = new float[f.tokens() * f.patchDim()];
    f.patches(px, 0, 0, 0, 0, false, mine, 0);
    float[] norm = new float[px.length];
    for (int i = 0; i < px.length; i++) {
      norm[i] = ((px[i] & 0xFF) / 255f - 0.5f) * (1f / 0.5f);
    }
    var ref = Tubelets.tubeletize(new Video(norm, frames, 1, h, w), t, p);
    assertArrayEquals(ref.values(), mine);
    // one frame, one-frame tubelets: exactly the image patches
    ImageFormat still = new ImageFormat(1, h, w, p, ImageTransforms.Norm.VIT);
    ImageFormat one = new ImageFormat(1, h, w, p, ImageTransforms.Norm.VIT, 1, 1);
    assertEquals(still, one);
    assertThrows(IllegalArgumentException.class, () -> new ImageFormat(1, h, w, p, ImageTransforms.Norm.VIT, 6, 4));
  }

  @Test
  void writtenClipsReadBackAndEmbedAsTheirBytes(@TempDir Path dir) throws Exception {
    int frames = 5, h = 6, w = 10;
    byte[] grey = noise(frames * h * w, 9);
    Path f = dir.resolve("c.y4m");
    Y4mWriter.write(f, grey, frames, h, w, 10);
    Video v = Y4mReader.read(f, 1, 100);
    assertEquals(frames, v.frames());
    for (int t = 0; t < frames; t++) {
      for (int i = 0; i < h * w; i++) {
        for (int c = 0; c < 3; c++) {
          float got = v.data()[(t * 3 + c) * h * w + i] * 255f;
          assertEquals(grey[t * h * w + i] & 0xFF, got, 1.0, "frame " + t + " pixel " + i);
        }
      }
    }
    // the model reads the first 4 frames, grey, in tubelets of 2 × 2×2
    ImageFormat clip = new ImageFormat(1, h, w, 2, ImageTransforms.Norm.VIT, 4, 2);
    byte[] bytes = clip.clip(f);
    assertEquals(4 * h * w, bytes.length);
    for (int i = 0; i < bytes.length; i++) {
      assertTrue(Math.abs((bytes[i] & 0xFF) - (grey[i] & 0xFF)) <= 1, "byte " + i);
    }
    float[] expect = new float[clip.tokens() * clip.patchDim()];
    clip.patches(bytes, 0, 0, 0, 0, false, expect, 0);
    assertArrayEquals(expect, clip.tokenize(f).values());
    // too short a clip for the model: the file is named
    ImageFormat longer = new ImageFormat(1, h, w, 2, ImageTransforms.Norm.VIT, 6, 2);
    var e = assertThrows(IllegalArgumentException.class, () -> longer.clip(f));
    assertTrue(e.getMessage().contains("c.y4m: 5 frames; this model takes 6"), e.getMessage());
    // image.json keeps frames and tubelet
    clip.save(dir);
    assertEquals(clip, ImageFormat.read(dir));
    assertTrue(Files.readString(dir.resolve(ImageFormat.FILE_NAME)).contains("\"tubelet\" : 2"));
  }

  @Test
  void aFolderOfNumberedFramesIsTheSameClip(@TempDir Path dir) throws Exception {
    int frames = 11, h = 6, w = 8;
    byte[] grey = noise(frames * h * w, 4);
    Path folder = Files.createDirectories(dir.resolve("clip"));
    for (int t = 0; t < frames; t++) { // f2 before f10: by number, not by name
      var img = new java.awt.image.BufferedImage(w, h, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          int g = grey[t * h * w + y * w + x] & 0xFF;
          img.getRaster().setSample(x, y, 0, g);
        }
      }
      javax.imageio.ImageIO.write(img, "png", folder.resolve("f" + t + ".png").toFile());
    }
    ImageFormat clip = new ImageFormat(1, h, w, 2, ImageTransforms.Norm.VIT, 10, 5);
    byte[] fromFrames = clip.clip(folder);
    assertArrayEquals(java.util.Arrays.copyOf(grey, 10 * h * w), fromFrames);
  }
}
