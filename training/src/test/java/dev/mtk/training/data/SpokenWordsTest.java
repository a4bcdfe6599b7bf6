package dev.mtk.training.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtk.tokenizers.audio.WavReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The spoken-word corpus: the same seed gives the same bytes for any thread count; each clip is
 * 16 kHz speech of about a word's length with the augmentation its manifest line names; the
 * manifests split as documented; the real recordings are listed as test. Needs espeak-ng and
 * flite (.ci/run installs them, and asterisk-core-sounds-en-wav).
 */
class SpokenWordsTest {


  @Test
  void theSameSeedGivesTheSameClipsForAnyThreadCount(@TempDir Path dir) throws Exception {
    assumeTrue(dev.mtk.training.data.SpokenWords.synthesisersInstalled(), "espeak-ng and flite are not installed");
    List<SpokenWords.Word> words = SpokenWords.defaultWords().subList(0, 3); // zero, one, two
    var one = SpokenWords.generate(new SpokenWords.Settings(words, 21, 7, 1), dir.resolve("a"), (d, t) -> {});
    var two = SpokenWords.generate(new SpokenWords.Settings(words, 21, 7, 2), dir.resolve("b"), (d, t) -> {});
    assertEquals(63, one.clips());
    assertEquals(Files.readString(one.synthetic()), Files.readString(two.synthetic()));
    List<JsonNode> lines = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    for (String l : Files.readAllLines(one.synthetic())) {
      lines.add(json.readTree(l));
    }
    int[] splits = new int[3];
    for (JsonNode o : lines) {
      Path a = dir.resolve("a").resolve(o.get("audio").asText()), b = dir.resolve("b").resolve(o.get("audio").asText());
      assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b), a.toString());
      var audio = WavReader.read(a);
      assertEquals(16_000, audio.sampleRate());
      // a word with up to 0.25 s of silence on each side, played at 0.88–1.12× speed
      assertTrue(audio.seconds() > 0.15 && audio.seconds() < 2.5, a + ": " + audio.seconds() + " s");
      float peak = 0;
      for (float v : audio.samples()) {
        peak = Math.max(peak, Math.abs(v));
      }
      double gain = o.get("gain").asDouble();
      // peak-normalised to the gain, noise adds a little on top
      assertTrue(peak >= gain * 0.98 && peak <= Math.min(1, gain * 1.6 + 0.05), a + ": peak " + peak + " gain " + gain);
      assertEquals(o.get("label").asText(), o.get("text").asText());
      assertTrue(o.get("voice").asText().startsWith("espeak-ng ") || o.get("voice").asText().startsWith("flite "));
      splits[switch (o.get("split").asText()) { case "train" -> 0; case "dev" -> 1; default -> 2; }]++;
    }
    // clip k % 20 == 0 is dev and == 1 test, per word (21 clips: 0 and 20 dev, 1 test)
    assertArrayEquals(new int[] {3 * 18, 3 * 2, 3}, splits);
    assertTrue(lines.stream().anyMatch(o -> o.get("voice").asText().startsWith("flite")), "both synthesisers");
    assertTrue(lines.stream().anyMatch(o -> o.get("snr_db").isNull()) && lines.stream().anyMatch(o -> !o.get("snr_db").isNull()));
    // manifest.jsonl: the synthetic clips as train and dev, then the real recordings (when installed) as test
    List<String> manifest = Files.readAllLines(one.manifest());
    if (one.real() > 0) {
      assertEquals(63 + 3, manifest.size());
      assertTrue(manifest.subList(0, 63).stream().noneMatch(l -> l.contains("\"split\":\"test\"")));
      JsonNode real = json.readTree(manifest.get(63));
      assertEquals("zero", real.get("label").asText());
      assertEquals("test", real.get("split").asText());
      assertEquals(8000, WavReader.read(Path.of(real.get("audio").asText())).sampleRate());
    } else {
      assertEquals(Files.readString(one.synthetic()), Files.readString(one.manifest()));
    }
  }

  @Test
  void wordFilesAreCheckedLineByLine(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("w.txt");
    Files.writeString(f, "# digits\nzero\tdigits/0.wav\nhello\n");
    assertEquals(List.of(new SpokenWords.Word("zero", "digits/0.wav"), new SpokenWords.Word("hello", null)),
        SpokenWords.readWords(f));
    Files.writeString(f, "zero\nzero\n");
    var e = assertThrows(IllegalArgumentException.class, () -> SpokenWords.readWords(f));
    assertTrue(e.getMessage().contains("w.txt:2: 'zero' again"), e.getMessage());
    Files.writeString(f, "ok\n$(rm -rf)\n");
    e = assertThrows(IllegalArgumentException.class, () -> SpokenWords.readWords(f));
    assertTrue(e.getMessage().contains("w.txt:2: a word is letters"), e.getMessage());
    assertEquals(36, SpokenWords.defaultWords().size());
    assertThrows(IllegalArgumentException.class, () -> new SpokenWords.Settings(SpokenWords.defaultWords(), 0, 1, 1));
  }
}
