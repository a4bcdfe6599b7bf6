package dev.mtk.training.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.inference.EmbedOptions;
import dev.mtk.models.inference.EmbeddingModel;
import dev.mtk.tokenizers.audio.Audio;
import dev.mtk.tokenizers.audio.WavWriter;
import dev.mtk.training.task.ReverseDictionary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The text↔speech dual encoder on clips the test writes: three "words" that are tones of three
 * pitches (with noise, any phase and loudness), so that a word is easy to hear and the test is
 * about the two towers, not about speech. Both towers learn one space; the run is the same bits
 * for any thread count and after a crash and resume; the model directory pairs the towers.
 */
class TextSpeechTrainingTest {

  static final String[] WORDS = {"low", "middle", "high"};
  static final double[] HZ = {300, 900, 2400};

  /** 40 clips a word (28 train, 4 dev, 8 test) as a manifest of {"audio", "text", "split"}. */
  static Path data(Path dir) throws Exception {
    SplittableRandom rnd = new SplittableRandom(7);
    List<String> lines = new ArrayList<>();
    for (int w = 0; w < WORDS.length; w++) {
      for (int i = 0; i < 40; i++) {
        float[] s = new float[8000];
        double f = HZ[w] * (0.9 + 0.2 * rnd.nextDouble()), phase = rnd.nextDouble() * 6.28, gain = 0.2 + 0.6 * rnd.nextDouble();
        for (int t = 0; t < s.length; t++) {
          s[t] = (float) (gain * Math.sin(phase + 2 * Math.PI * f * t / 16000) + 0.05 * (rnd.nextDouble() - 0.5));
        }
        Path clip = dir.resolve("clips/" + WORDS[w] + i + ".wav");
        Files.createDirectories(clip.getParent());
        WavWriter.write(clip, new Audio(s, 16000));
        String split = i < 28 ? "train" : i < 32 ? "dev" : "test";
        // the transcript as "text" (no label): what a user's text↔speech pairs look like
        lines.add("{\"audio\": \"clips/" + WORDS[w] + i + ".wav\", \"text\": \"" + WORDS[w] + "\", \"split\": \"" + split + "\"}");
      }
    }
    Path manifest = dir.resolve("pairs.jsonl");
    Files.write(manifest, lines);
    return manifest;
  }

  static TrainConfig config(Path dir, Path data, String... extra) throws Exception {
    List<String> lines = new ArrayList<>(List.of("task: text-speech", "data: " + data, "seed: 2",
        "audio: {mels: 80, frames: 48, band_rate: 8000}",
        "model: {d_model: 32, heads: 2, ffn: 64, layers: 1, max_seq_len: 15, patch_dim: 256, nesting: [8, 32]}",
        "text_model: {vocab_size: 300, d_model: 32, heads: 2, ffn: 64, layers: 1, max_seq_len: 4}",
        "loss: {base: infonce, symmetric: true, temperature: 0.1, matryoshka: {dims: [8, 32]}}",
        "augment: {crop_padding: 1, flip: false}", "lr: 0.005", "warmup_steps: 5", "log_every: 1"));
    lines.addAll(List.of(extra));
    if (lines.stream().noneMatch(l -> l.startsWith("batch_pairs:"))) {
      lines.add("batch_pairs: 3");
    }
    Path cfg = dir.resolve("c" + extra.length + ".yaml");
    Files.write(cfg, lines);
    return TrainConfig.read(cfg);
  }

  @Test
  void twoTowersLearnOneSpaceAndTheModelDirectoryPairsThem(@TempDir Path dir) throws Exception {
    Path data = data(dir);
    TrainConfig c = config(dir, data, "steps: 600");
    Path run = dir.resolve("run");
    Map<String, Map<String, Double>> results;
    try (WorkerPool pool = new WorkerPool(2)) {
      results = Trainer.run(c, run, pool, (s, n, l, t) -> {});
      assertEquals(1.0, results.get("text_to_speech_recall@1").get("32"), results.toString());
      assertTrue(results.get("speech_to_text_top1").get("32") >= 0.88, results.toString());
      assertTrue(results.get("speech_to_text_top1").get("8") >= 0.77, results.toString());

      EmbeddingModel dual = EmbeddingModel.load(run.resolve("model"), pool);
      EmbeddingModel text = EmbeddingModel.load(run.resolve("model/text"), pool);
      assertEquals(text, text.textTower());
      // texts given to the dual model go through its text tower: the same bits
      List<String> words = List.of("low", "high", "a word it never saw");
      assertArrayEquals(text.embedTexts(words, EmbedOptions.DEFAULT).vectors(),
          dual.embedTexts(words, EmbedOptions.DEFAULT).vectors());
      assertArrayEquals(text.embed(List.of(new dev.mtk.models.inference.Input.Text("middle")), EmbedOptions.DEFAULT).vectors(),
          dual.embed(List.of(new dev.mtk.models.inference.Input.Text("middle")), EmbedOptions.DEFAULT).vectors());
      // the saved model scores as the run did
      assertEquals(results, Trainer.evaluate(dual, "text-speech", data.toString(), ReverseDictionary.Split.TEST,
          Trainer.ladder(32), pool, 2));
      // the audio tower alone has no text side: the task says so
      EmbeddingModel audioOnly = EmbeddingModel.of(dual.encoder(), dual.imageFormat(), pool).withAudio(dual.audioFormat());
      var e = assertThrows(IllegalArgumentException.class, () -> Trainer.evaluate(audioOnly, "text-speech",
          data.toString(), ReverseDictionary.Split.TEST, Trainer.ladder(32), pool, 2));
      assertTrue(e.getMessage().contains("no text tower"), e.getMessage());
    }
  }

  @Test
  void theSameBitsForAnyThreadCountAndAfterACrash(@TempDir Path dir) throws Exception {
    Path data = data(dir);
    TrainConfig c = config(dir, data, "steps: 8", "checkpoint_every: 3");
    Path one = dir.resolve("one"), two = dir.resolve("two"), crashed = dir.resolve("crashed");
    try (WorkerPool p1 = new WorkerPool(1); WorkerPool p2 = new WorkerPool(2)) {
      Trainer.run(c, one, p1, (s, n, l, t) -> {});
      Trainer.run(c, two, p2, (s, n, l, t) -> {});
      assertThrows(IllegalStateException.class, () -> Trainer.run(c, crashed, p2, (s, n, l, t) -> {
        if (s == 7) {
          throw new IllegalStateException("simulated crash");
        }
      }));
      assertTrue(Files.isRegularFile(crashed.resolve("checkpoints/step-6/text.safetensors")));
      Trainer.run(c, crashed, p2, (s, n, l, t) -> {}, true);
    }
    for (String f : List.of("model/model.safetensors", "model/text/model.safetensors", "model/text/tokenizer.json")) {
      byte[] ref = Files.readAllBytes(one.resolve(f));
      assertArrayEquals(ref, Files.readAllBytes(two.resolve(f)), "1 thread = 2 threads: " + f);
      assertArrayEquals(ref, Files.readAllBytes(crashed.resolve(f)), "resumed = uninterrupted: " + f);
    }
    // the text tower trained: its weights moved from the initial draw of a fresh run
    assertFalse(java.util.Arrays.equals(Files.readAllBytes(one.resolve("model/text/model.safetensors")),
        Files.readAllBytes(one.resolve("checkpoints/step-3/text.safetensors"))));
  }

  @Test
  void configsThatCannotWorkAreRefusedBeforeAnyTraining(@TempDir Path dir) throws Exception {
    Path data = data(dir);
    Path cfg = dir.resolve("bad.yaml");
    Files.writeString(cfg, String.join("\n", "task: text-speech", "data: " + data,
        "model: {d_model: 32, heads: 2, ffn: 64, layers: 1, max_seq_len: 15, patch_dim: 256}",
        "loss: {base: infonce, symmetric: true}"));
    var e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.read(cfg));
    assertTrue(e.getMessage().contains("needs text_model:"), e.getMessage());
    Files.writeString(cfg, String.join("\n", "task: text-speech", "data: " + data,
        "model: {d_model: 32, heads: 2, ffn: 64, layers: 1, max_seq_len: 15, patch_dim: 256}",
        "text_model: {vocab_size: 300, d_model: 16, heads: 2, ffn: 64, layers: 1, max_seq_len: 4}",
        "loss: {base: infonce, symmetric: true}"));
    e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.read(cfg));
    assertTrue(e.getMessage().contains("one space needs one width"), e.getMessage());

    // four clips a batch of three words: refused, and the run folder takes a corrected retry as it is
    TrainConfig tooWide = config(dir, data, "steps: 2", "batch_pairs: 4");
    Path run = dir.resolve("run");
    try (WorkerPool pool = new WorkerPool(2)) {
      e = assertThrows(IllegalArgumentException.class, () -> Trainer.run(tooWide, run, pool, (s, n, l, t) -> {}));
      assertTrue(e.getMessage().contains("batch_pairs 4 is more than the 3 words"), e.getMessage());
      Trainer.run(config(dir, data, "steps: 2"), run, pool, (s, n, l, t) -> {});
    }
    assertTrue(Files.isRegularFile(run.resolve("model/text/config.json")));
  }
}
