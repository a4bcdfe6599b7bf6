package dev.mtk.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mtk.core.io.Npy;
import java.awt.image.BufferedImage;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** mtk tokenize image/audio/video and mtk codebook end to end. */
class TokenizeCommandTest {

  @TempDir
  Path dir;

  static long[] shape(Path npy) throws Exception {
    try (Arena a = Arena.ofConfined()) {
      Npy.Matrix m = Npy.map(npy, a);
      return new long[] {m.rows(), m.cols()};
    }
  }

  /** A mono 16-bit PCM RIFF WAVE around raw little-endian samples. */
  static byte[] wav16(int rate, byte[] data) {
    ByteBuffer b = ByteBuffer.allocate(44 + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(0x46464952).putInt(36 + data.length).putInt(0x45564157);
    b.putInt(0x20746d66).putInt(16).putShort((short) 1).putShort((short) 1).putInt(rate)
        .putInt(rate * 2).putShort((short) 2).putShort((short) 16);
    b.putInt(0x61746164).putInt(data.length).put(data);
    return b.array();
  }

  @Test
  void imageAudioVideoAndCodebook() throws Exception {
    BufferedImage b = dev.mtk.experiments.bench.MediaThroughput.generated(100, 60);
    Path png = dir.resolve("a.png");
    ImageIO.write(b, "png", png.toFile());
    Path out = dir.resolve("a.npy");
    MainTest.Result r = MainTest.run("tokenize", "image", "--input", png.toString(), "--size", "32",
        "--patch", "8", "--output", out.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals(List.of(16L, 192L), List.of(shape(out)[0], shape(out)[1]));
    IndexCommandTest.assertOneLine(MainTest.run("tokenize", "image", "--input", png.toString(),
        "--output", out.toString()), "fit to crop or pad");
    IndexCommandTest.assertOneLine(MainTest.run("tokenize", "image", "--input", png.toString(),
        "--patch", "128", "--output", out.toString()), png + ": a 60×100 image is smaller than one 128×128 patch");
    // a size whose pixels would not fit in memory (100,000² × 3 overflows an int): said plainly
    IndexCommandTest.assertOneLine(MainTest.run("tokenize", "image", "--input", png.toString(),
        "--size", "100000", "--output", out.toString()), "resizing 60×100 to 100000×166667 would hold "
        + "50,000,100,000 values (200.0 GB); the limit is 268,435,456");

    // 0.5 s of 16-bit 8 kHz audio: resampled to 16 kHz, 8000 samples → 50 log-mel frames
    ByteBuffer d = ByteBuffer.allocate(8000).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 4000; i++) {
      d.putShort((short) (8000 * Math.sin(2 * Math.PI * 440 * i / 8000.0)));
    }
    Path wav = dir.resolve("a.wav");
    Files.write(wav, wav16(8000, d.array()));
    Path mel = dir.resolve("mel.npy");
    r = MainTest.run("tokenize", "audio", "--input", wav.toString(), "--log-mel", "80", "--output", mel.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals(50, shape(mel)[0]);
    assertEquals(80, shape(mel)[1]);
    Path frames = dir.resolve("fr.npy");
    r = MainTest.run("tokenize", "audio", "--input", wav.toString(), "--frames", "400:320", "--output", frames.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals(1 + (8000 - 400) / 320, shape(frames)[0]);
    IndexCommandTest.assertOneLine(MainTest.run("tokenize", "audio", "--input", wav.toString(),
        "--output", frames.toString()), "exactly one of");

    // a folder of 5 numbered frames, tubelets 2x8x8 on 16×16: 4 frames used → 2·2·2 tokens
    Path folder = dir.resolve("frames");
    Files.createDirectories(folder);
    for (int i = 0; i < 5; i++) {
      ImageIO.write(dev.mtk.experiments.bench.MediaThroughput.generated(20, 16), "png", folder.resolve("f" + (i + 1) * 5 + ".png").toFile());
    }
    Path vid = dir.resolve("v.npy");
    r = MainTest.run("tokenize", "video", "--input", folder.toString(), "--size", "16", "--tubelet",
        "2x8x8", "--output", vid.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals(8, shape(vid)[0]);
    assertEquals(3 * 2 * 8 * 8, shape(vid)[1]);

    Path cb = dir.resolve("cb.npy"), ids = dir.resolve("ids.txt");
    r = MainTest.run("codebook", "train", "--input", mel.toString(), "--k", "4", "--iterations", "5",
        "--output", cb.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals(4, shape(cb)[0]);
    r = MainTest.run("codebook", "encode", "--codebook", cb.toString(), "--input", mel.toString(),
        "--output", ids.toString());
    assertEquals(0, r.code(), r.err());
    List<String> lines = Files.readAllLines(ids);
    assertEquals(50, lines.size());
    assertTrue(lines.stream().allMatch(s -> s.matches("[0-3]")));
  }
}
