package dev.mtk.models.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.encoder.Encoder;
import dev.mtk.models.encoder.EncoderConfig;
import dev.mtk.models.io.ModelDirectory;
import dev.mtk.models.nn.autograd.Tensor;
import dev.mtk.tokenizers.text.bpe.BpeTrainer;
import dev.mtk.tokenizers.text.formats.HuggingFaceJson;
import dev.mtk.tokenizers.text.pretokenize.PreTokenizer;
import dev.mtk.tokenizers.text.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The inference API against an independent path: each text tokenised by the tokenizer itself,
 * run alone through the encoder's training graph (its forward is a different graph from the
 * inference one), pooled, cut and normalised in double precision.
 */
class EmbeddingModelTest {

  static final List<String> TEXTS = List.of("a large natural stream of water", "",
      "the quick brown fox jumps over the lazy dog and keeps running until the night falls far away",
      "<|endoftext|> is ordinary text here", "water", "a body of water smaller than a lake",
      "déjà vu — 東京 🙂", "x");

  static Tokenizer tokenizer(WorkerPool pool) {
    List<String> corpus = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      corpus.addAll(TEXTS);
    }
    return BpeTrainer.train(corpus.iterator(), new BpeTrainer.Config(300, 2, List.of(),
        PreTokenizer.named("o200k"), 0, null), pool, BpeTrainer.Progress.NONE);
  }

  static final EncoderConfig CONFIG = new EncoderConfig(300, 32, 4, 48, 3, 12, 1e-5f,
      new int[] {8, 16, 32});

  /** The pooled embedding of one sequence after {@code layers} layers, by the training graph. */
  static float[] reference(Encoder enc, int[] ids, int layers, WorkerPool pool) {
    int seq = enc.config().maxSeqLen();
    Encoder.Pass p = enc.build(pool, 1, seq, (g, a, e, taps) -> e, true, 0);
    int len = Math.min(seq, ids.length);
    System.arraycopy(ids, 0, p.ids, 0, len);
    p.lengths[0] = Math.max(1, len);
    p.graph.forward();
    Tensor t = layers == enc.config().layers() ? p.pooled : p.layerPooled[layers - 1];
    return Arrays.copyOfRange(t.data(), t.offset(), t.offset() + t.size());
  }

  @Test
  void rowsAreTheEncodersPrefixNormalisedAndDoNotDependOnBatchOrThreads() {
    float[][] byRun = new float[4][];
    int run = 0;
    for (int threads : new int[] {1, 2}) {
      try (WorkerPool pool = new WorkerPool(threads)) {
        Tokenizer tok = tokenizer(pool);
        Encoder enc = Encoder.init(CONFIG, 7);
        EmbeddingModel model = EmbeddingModel.of(enc, tok, pool);
        for (int batch : new int[] {1, 5}) {
          Embeddings e = model.embedTexts(TEXTS, new EmbedOptions(16, 2, batch, true));
          assertEquals(TEXTS.size(), e.rows());
          assertEquals(16, e.dim());
          assertEquals(1, e.empty());
          assertEquals(TEXTS.stream().filter(t -> tok.encodeOrdinary(t).length > 12).count(),
              e.truncated(), "texts longer than max_seq_len");
          assertTrue(e.truncated() > 0, "the test has a text to cut");
          for (int i = 0; i < TEXTS.size(); i++) {
            int[] ids = tok.encodeOrdinary(TEXTS.get(i));
            float[] got = Arrays.copyOfRange(e.vectors(), i * 16, (i + 1) * 16);
            if (ids.length == 0) {
              assertArrayEquals(new float[16], got, "an empty text is a zero row");
              continue;
            }
            float[] ref = reference(enc, ids, 2, pool);
            double ss = 0;
            for (int j = 0; j < 16; j++) {
              ss += (double) ref[j] * ref[j];
            }
            for (int j = 0; j < 16; j++) {
              assertEquals(ref[j] / Math.sqrt(ss), got[j], 1e-6, "text " + i + " dim " + j);
            }
          }
          byRun[run++] = e.vectors();
        }
      }
    }
    for (int r = 1; r < byRun.length; r++) {
      assertArrayEquals(byRun[0], byRun[r], "same bits for any batch and thread count (run " + r + ")");
    }
  }

  @Test
  void rawRowsAreThePooledEmbeddingAndTheLayerCutEqualsAShorterModel() {
    try (WorkerPool pool = new WorkerPool(2)) {
      Tokenizer tok = tokenizer(pool);
      Encoder enc = Encoder.init(CONFIG, 3);
      EmbeddingModel model = EmbeddingModel.of(enc, tok, pool);
      Embeddings raw = model.embedTexts(TEXTS, EmbedOptions.EVALUATION);
      for (int i = 0; i < TEXTS.size(); i++) {
        int[] ids = tok.encodeOrdinary(TEXTS.get(i));
        float[] want = ids.length == 0 ? new float[32] : reference(enc, ids, 3, pool);
        assertArrayEquals(want, Arrays.copyOfRange(raw.vectors(), i * 32, (i + 1) * 32), "text " + i);
      }
      Embeddings cut = model.embedTexts(TEXTS, EmbedOptions.DEFAULT.withLayer(1));
      Embeddings shorter = EmbeddingModel.of(enc.firstLayers(1), tok, pool)
          .embedTexts(TEXTS, EmbedOptions.DEFAULT);
      assertArrayEquals(shorter.vectors(), cut.vectors(), "layer 1 = the model cut after layer 1");
      Embeddings prefix = raw.prefix(8);
      assertArrayEquals(model.embedTexts(TEXTS, EmbedOptions.DEFAULT.withDim(8).withBatch(256)).vectors(),
          prefix.vectors());
    }
  }

  @Test
  void concurrentCallersGetTheBitsOfOneCaller() throws Exception {
    try (WorkerPool pool = new WorkerPool(2)) {
      Tokenizer tok = tokenizer(pool);
      EmbeddingModel model = EmbeddingModel.of(Encoder.init(CONFIG, 11), tok, pool);
      float[][] alone = new float[4][];
      for (int c = 0; c < 4; c++) {
        alone[c] = model.embedTexts(TEXTS.subList(c, TEXTS.size()), new EmbedOptions(0, 0, 1 + c, true)).vectors();
      }
      ExecutorService callers = Executors.newFixedThreadPool(4);
      try {
        for (int round = 0; round < 5; round++) {
          List<Future<float[]>> got = new ArrayList<>();
          for (int c = 0; c < 4; c++) {
            int from = c;
            got.add(callers.submit(() -> model.embedTexts(TEXTS.subList(from, TEXTS.size()),
                new EmbedOptions(0, 0, 1 + from, true)).vectors()));
          }
          for (int c = 0; c < 4; c++) {
            assertArrayEquals(alone[c], got.get(c).get(), "caller " + c + ", round " + round);
          }
        }
      } finally {
        callers.shutdown();
      }
    }
  }

  @Test
  void aModelDirectoryLoadsWithItsTokenizerAndPatchModelsTakePatches(@TempDir Path dir) throws Exception {
    try (WorkerPool pool = new WorkerPool(1)) {
      Tokenizer tok = tokenizer(pool);
      Encoder enc = Encoder.init(CONFIG, 5);
      ModelDirectory.save(enc, dir.resolve("m"));
      var e = assertThrows(IllegalArgumentException.class, () -> EmbeddingModel.load(dir.resolve("m"), pool));
      assertTrue(e.getMessage().contains("tokenizer.json"), e.getMessage());
      HuggingFaceJson.save(tok, dir.resolve("m").resolve(ModelDirectory.TOKENIZER));
      EmbeddingModel loaded = EmbeddingModel.load(dir.resolve("m"), pool);
      assertArrayEquals(EmbeddingModel.of(enc, tok, pool).embedTexts(TEXTS, EmbedOptions.DEFAULT).vectors(),
          loaded.embedTexts(TEXTS, EmbedOptions.DEFAULT).vectors());
      assertEquals(Input.Modality.TEXT, loaded.modality());
      assertThrows(IllegalArgumentException.class, () -> loaded.embedTexts(TEXTS, EmbedOptions.DEFAULT.withDim(33)));
      assertThrows(IllegalArgumentException.class, () -> loaded.embedTexts(TEXTS, EmbedOptions.DEFAULT.withLayer(4)));
      assertThrows(IllegalArgumentException.class, () -> loaded.embedTokenIds(List.of(new int[] {300}), EmbedOptions.DEFAULT));
      // mixed inputs: token ids give the rows their texts give
      float[] mixed = loaded.embed(List.of(new Input.Text("water"), new Input.TokenIds(tok.encodeOrdinary("x"))),
          EmbedOptions.DEFAULT).vectors();
      assertArrayEquals(loaded.embedTexts(List.of("water", "x"), EmbedOptions.DEFAULT).vectors(), mixed);

      EncoderConfig pc = new EncoderConfig(1, 16, 4, 20, 1, 8, 1e-5f, new int[] {8, 16},
          EncoderConfig.Pooling.MEAN, 0f, 0, 6);
      Encoder penc = Encoder.init(pc, 2);
      EmbeddingModel patches = EmbeddingModel.of(penc, (dev.mtk.tokenizers.image.ImageFormat) null, pool);
      assertEquals(Input.Modality.PATCHES, patches.modality());
      float[] values = new float[5 * 6];
      for (int i = 0; i < values.length; i++) {
        values[i] = (float) Math.sin(i);
      }
      Embeddings pe = patches.embed(List.of(new Input.Patches(values, 5)), EmbedOptions.EVALUATION);
      Encoder.Pass p = penc.build(pool, 1, 8, (g, a, x, taps) -> x, false, 0);
      System.arraycopy(values, 0, p.patches.data(), p.patches.offset(), values.length);
      p.lengths[0] = 5;
      p.graph.forward();
      assertArrayEquals(Arrays.copyOfRange(p.pooled.data(), p.pooled.offset(), p.pooled.offset() + 16), pe.vectors());
      assertThrows(IllegalArgumentException.class, () -> patches.embedTexts(List.of("x"), EmbedOptions.DEFAULT));
      assertThrows(IllegalArgumentException.class, () -> patches.embed(List.of(new Input.Text("x")), EmbedOptions.DEFAULT));
    }
  }
}
