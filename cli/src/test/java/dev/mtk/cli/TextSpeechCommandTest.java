package dev.mtk.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Text↔speech end to end on synthesised words: mtk train with task text-speech writes one model
 * directory with both towers; embed gives texts (JSON Lines) the text tower's rows and clips the
 * audio tower's; a written word finds its spoken clips in an index of clips, and a clip finds its
 * word in an index of words. Needs espeak-ng and flite (.ci/run).
 */
class TextSpeechCommandTest {

  static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aWrittenWordFindsItsClipsAndAClipItsWord(@TempDir Path dir) throws Exception {
    Path data = SpokenWordsCommandTest.corpus(dir, "yes", "no", "stop", "left", "seven", "up");
    Path cfg = TokenizerCommandTest.write(dir, "c.yaml", String.join("\n", "task: text-speech",
        "data: " + data.resolve("synthetic.jsonl"), "seed: 3", "audio: {mels: 80, frames: 48, band_rate: 8000}",
        "model: {d_model: 32, heads: 2, ffn: 64, layers: 1, max_seq_len: 15, patch_dim: 256, nesting: [8, 32]}",
        "text_model: {vocab_size: 300, d_model: 32, heads: 2, ffn: 64, layers: 1, max_seq_len: 4}",
        "loss: {base: infonce, symmetric: true, temperature: 0.1, matryoshka: {dims: [8, 32]}}",
        "augment: {crop_padding: 2, flip: false}", "steps: 2000", "batch_pairs: 6", "lr: 0.005",
        "warmup_steps: 10", "log_every: 50"));
    Path run = dir.resolve("run"), model = run.resolve("model");
    MainTest.Result r = MainTest.run("train", "--config", cfg.toString(), "--output", run.toString());
    assertEquals(0, r.code(), r.err());
    JsonNode results = JSON.readTree(Files.readString(run.resolve("results.json")));
    assertEquals("text-speech", results.path("task").asText());
    assertTrue(Files.readString(run.resolve("report.html")).contains("Speech → text on the test split"));

    // texts through the text tower: the dual model's rows are the tower's own
    Path texts = TokenizerCommandTest.write(dir, "w.jsonl", "{\"text\": \"yes\"}\n{\"text\": \"no\"}\n{\"text\": \"stop\"}\n{\"text\": \"left\"}\n{\"text\": \"seven\"}\n{\"text\": \"up\"}\n");
    r = MainTest.run("embed", "--model", model.toString(), "--input", texts.toString(), "--output", dir.resolve("t.npy").toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.err().contains("embedded 6 texts at dim 32"), r.err());
    r = MainTest.run("embed", "--model", model.resolve("text").toString(), "--input", texts.toString(), "--output",
        dir.resolve("t2.npy").toString());
    assertEquals(0, r.code(), r.err());
    assertArrayEquals(Files.readAllBytes(dir.resolve("t2.npy")), Files.readAllBytes(dir.resolve("t.npy")));

    // text → speech: the word against an index of all clips; the nearest clips are its own
    Path clips = dir.resolve("clips-ix");
    r = MainTest.run("index", "build", "--model", model.toString(), "--input", data.resolve("clips").toString(),
        "--output", clips.toString());
    assertEquals(0, r.code(), r.err());
    for (String w : new String[] {"yes", "no", "stop"}) {
      r = MainTest.run("query", "--model", model.toString(), "--index", clips.toString(), "--k", "5", "--json", w);
      assertEquals(0, r.code(), r.err());
      JsonNode hits = JSON.readTree(r.lastLine()).get("hits");
      int own = 0;
      for (JsonNode h : hits) {
        own += h.get("text").asText().contains("/clips/" + w + "/") ? 1 : 0;
      }
      assertTrue(own >= 3 && hits.get(0).get("text").asText().contains("/clips/" + w + "/"), w + ": " + hits);
    }
    // speech → text: a clip against an index of the words
    Path wordsIx = dir.resolve("words-ix");
    r = MainTest.run("index", "build", "--model", model.toString(), "--input", texts.toString(), "--output", wordsIx.toString());
    assertEquals(0, r.code(), r.err());
    int right = 0;
    for (int i = 0; i < 10; i++) {
      r = MainTest.run("query", "--model", model.toString(), "--index", wordsIx.toString(), "--clip",
          data.resolve(String.format("clips/stop/%04d.wav", i)).toString(), "--k", "1", "--json");
      assertEquals(0, r.code(), r.err());
      right += JSON.readTree(r.lastLine()).get("hits").get(0).get("text").asText().equals("stop") ? 1 : 0;
    }
    assertTrue(right >= 7, right + " of 10 clips of 'stop' found the word stop (chance: 1 in 6)");

    // eval scores the saved model as the run did
    r = MainTest.run("eval", "--model", model.toString(), "--task", "text-speech", "--data",
        data.resolve("synthetic.jsonl").toString(), "--json");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("text_to_speech_recall@1"), r.out());
  }
}
