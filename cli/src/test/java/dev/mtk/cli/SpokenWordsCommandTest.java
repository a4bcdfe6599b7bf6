package dev.mtk.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Audio end to end: mtk corpus spoken-words writes a small set, mtk train learns it with task
 * spoken-words, the model directory says how a WAV becomes patches (audio.json, image.json), and
 * embed, classify and eval read clips with no flags. Needs espeak-ng and flite (.ci/run).
 */
class SpokenWordsCommandTest {

  static final ObjectMapper JSON = new ObjectMapper();


  /** DIR/data: 40 synthetic clips of each word (skips the test without the synthesisers). */
  static Path corpus(Path dir, String... words) throws Exception {
    assumeTrue(dev.mtk.training.data.SpokenWords.synthesisersInstalled(), "espeak-ng and flite are not installed");
    Path list = TokenizerCommandTest.write(dir, "words.txt", String.join("\n", words) + "\n");
    Path data = dir.resolve("data");
    MainTest.Result r = MainTest.run("corpus", "spoken-words", "--output", data.toString(), "--words", list.toString(),
        "--per-word", "40", "--threads", "2");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("wrote " + 40 * words.length + " synthetic clips of " + words.length + " words"), r.err());
    return data;
  }

  @Test
  void aSynthesisedSetTrainsAnAudioModelThatEmbedsAndClassifiesClips(@TempDir Path dir) throws Exception {
    Path data = corpus(dir, "yes", "no", "stop");
    Path words = dir.resolve("words.txt");
    MainTest.Result r;
    assertEquals(120, Files.readAllLines(data.resolve("synthetic.jsonl")).size());

    Path cfg = TokenizerCommandTest.write(dir, "c.yaml", String.join("\n", "task: spoken-words",
        "data: " + data.resolve("synthetic.jsonl"), "seed: 3", "audio: {mels: 80, frames: 48, band_rate: 8000}",
        "model: {d_model: 32, heads: 2, ffn: 64, layers: 1, max_seq_len: 15, patch_dim: 256, nesting: [8, 32]}",
        "loss: {base: classification, matryoshka: {dims: [8, 32]}}",
        "augment: {crop_padding: 2, flip: false}",
        "steps: 300", "batch_pairs: 32", "lr: 0.01", "warmup_steps: 10", "log_every: 50"));
    Path run = dir.resolve("run"), model = run.resolve("model");
    r = MainTest.run("train", "--config", cfg.toString(), "--output", run.toString());
    assertEquals(0, r.code(), r.err());
    assertEquals("spoken-words", JSON.readTree(Files.readString(run.resolve("results.json"))).path("task").asText());
    JsonNode audio = JSON.readTree(Files.readString(model.resolve("audio.json")));
    assertEquals(48, audio.path("frames").asInt());
    JsonNode image = JSON.readTree(Files.readString(model.resolve("image.json")));
    assertEquals(80, image.path("height").asInt());
    assertEquals(48, image.path("width").asInt());
    assertEquals(16, image.path("patch").asInt());
    String report = Files.readString(run.resolve("report.html"));
    assertTrue(report.contains("Confusion on the test split") && report.contains("stop → stop"), "confusion matrices");

    // the held-out synthetic clips, through the saved heads: well above the third of chance
    r = MainTest.run("classify", "--model", model.toString(), "--task", "spoken-words", "--data",
        data.resolve("synthetic.jsonl").toString(), "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode c = JSON.readTree(r.lastLine());
    assertEquals(6, c.path("inputs").asInt());
    assertTrue(c.path("top1").asDouble() >= 0.66, c.toString());

    // embed reads a folder of clips with no flags; the row order is written beside the output
    Path out = dir.resolve("e.npy");
    r = MainTest.run("embed", "--model", model.toString(), "--input", data.resolve("clips/stop").toString(),
        "--output", out.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("embedded 40 clips at dim 32"), r.err());
    List<String> order = Files.readAllLines(dir.resolve("e.paths.txt"));
    assertEquals(40, order.size());
    assertTrue(order.getFirst().endsWith("0000.wav"), order.getFirst());
    // the same clips through classify --input: the labels the heads give the folder
    r = MainTest.run("classify", "--model", model.toString(), "--input", data.resolve("clips/stop").toString(),
        "--output", dir.resolve("l.jsonl").toString());
    assertEquals(0, r.code(), r.err());
    long stops = Files.readAllLines(dir.resolve("l.jsonl")).stream().filter(l -> l.contains("\"label\":\"stop\"")).count();
    assertTrue(stops >= 30, stops + " of 40 training clips of 'stop' labelled stop");

    // an index of the clips, searched by a clip: it finds itself first
    Path index = dir.resolve("ix");
    r = MainTest.run("index", "build", "--model", model.toString(), "--input", data.resolve("clips").toString(),
        "--output", index.toString());
    assertEquals(0, r.code(), r.err());
    Path probe = data.resolve("clips/no/0007.wav");
    r = MainTest.run("query", "--model", model.toString(), "--index", index.toString(), "--clip", probe.toString(),
        "--k", "3", "--json");
    assertEquals(0, r.code(), r.err());
    JsonNode hits = JSON.readTree(r.lastLine()).get("hits");
    assertEquals(probe.toString(), hits.get(0).get("text").asText(), r.out());
    assertEquals(1.0, hits.get(0).get("score").asDouble(), 1e-4);

    r = MainTest.run("embed", "--model", model.toString(), "--input", words.toString(), "--output", out.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("no such audio clip") || r.err().contains("words.txt:1"), r.err());
  }

  @Test
  void theRealRecordingsManifest(@TempDir Path dir) throws Exception {
    assumeTrue(Files.isRegularFile(Path.of("/usr/share/asterisk/sounds/en/digits/0.wav")),
        "asterisk-core-sounds-en-wav is not installed");
    MainTest.Result r = MainTest.run("corpus", "asterisk-words", "--output", dir.toString());
    assertEquals(0, r.code(), r.err());
    List<String> lines = Files.readAllLines(dir.resolve("manifest.jsonl"));
    assertEquals(36, lines.size());
    JsonNode first = JSON.readTree(lines.getFirst()), last = JSON.readTree(lines.getLast());
    assertEquals("zero", first.path("label").asText());
    assertEquals("/usr/share/asterisk/sounds/en/digits/0.wav", first.path("audio").asText());
    assertEquals("zulu", last.path("label").asText());
    assertEquals("test", last.path("split").asText());
  }
}
