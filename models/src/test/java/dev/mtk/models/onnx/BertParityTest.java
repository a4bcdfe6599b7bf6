package dev.mtk.models.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.encoder.EncoderConfig;
import dev.mtk.models.inference.EmbedOptions;
import dev.mtk.models.inference.EmbeddingModel;
import dev.mtk.models.inference.Embeddings;
import java.io.InputStream;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * all-MiniLM-L6-v2 imported from its ONNX file and run by mtk against ONNX Runtime running that
 * same file: the encoder alone (our ids into both, mean pooling and normalisation done the same
 * way in double), and end to end against langchain4j's embedding model (its tokenizer, its
 * pooling). Every component within 1e-5.
 */
class BertParityTest {

  @TempDir
  static Path dir;
  static EmbeddingModel model;
  static OnnxImport.Result imported;

  static final String[] WORDS = ("the a of to and in is it that for on with as was at by an be "
      + "this from or are not have but they his her which one you all were we there when can "
      + "more if no out so said what up its about into than them only other new some could time "
      + "these two may then do first any my now such like our over man me even most made after "
      + "matryoshka embedding dimension nested prefix search index cosine recall transformer "
      + "attention layer token vector quantization retrieval cheaper faster accuracy benchmark "
      + "naïve café résumé straße Zürich São Paulo Ελλάδα Москва 東京 北京 서울 😀 🚀 "
      + "don't isn't we'll they're 3.14 1,000 2024 42% $19.99 e-mail U.S.A. (parentheses) "
      + "\"quoted\" semi;colon colon: slash/path hyphen-ated under_score #hash @at").split(" ");

  static List<String> sentences() {
    List<String> s = new ArrayList<>(List.of(
        "A man is playing a guitar.",
        "A woman is slicing an onion.",
        "The cat sits outside.",
        "Matryoshka embeddings keep their first dimensions useful on their own.",
        "How many dimensions buy how much search quality?",
        "Le cœur a ses raisons que la raison ne connaît point.",
        "日本語のテキストも正しく分割されるべきです。",
        "Emoji 👍🏽 and flags 🇩🇪🇫🇷 in one sentence.",
        "x",
        "?",
        "supercalifragilisticexpialidocious antidisestablishmentarianism"));
    SplittableRandom rnd = new SplittableRandom(11);
    for (int i = 0; i < 289; i++) {
      // most of realistic length (5-30 words), one in eight long (60-120 words)
      int n = rnd.nextInt(8) == 0 ? 60 + rnd.nextInt(61) : 5 + rnd.nextInt(26);
      StringBuilder b = new StringBuilder();
      for (int k = 0; k < n; k++) {
        String w = WORDS[rnd.nextInt(WORDS.length)];
        b.append(k == 0 ? "" : " ").append(rnd.nextInt(10) == 0 ? w.toUpperCase() : w);
      }
      s.add(b.append(rnd.nextBoolean() ? "." : "").toString());
    }
    return s;
  }

  @BeforeAll
  static void importModel() throws Exception {
    imported = OnnxImport.builtin(OnnxImport.Builtin.ALL_MINILM_L6_V2, dir.resolve("minilm"), false, m -> {});
    model = EmbeddingModel.load(dir.resolve("minilm"), new WorkerPool(2));
  }

  @Test
  void theGraphSaysWhatTheModelIs() {
    EncoderConfig c = model.config();
    assertEquals(6, c.layers());
    assertEquals(384, c.dModel());
    assertEquals(12, c.heads());
    assertEquals(1536, c.ffn());
    assertEquals(30522, c.vocabSize());
    assertEquals(256, c.maxSeqLen());
    assertEquals(2, c.tokenTypes());
    assertEquals(EncoderConfig.Norm.POST, c.norm());
    assertEquals(1e-12f, c.layerNormEps());
    assertEquals(512, imported.plan().positionsInFile());
    // this export has no pooler: every float tensor of the file is used
    assertEquals(List.of(), imported.plan().ignored());
  }

  /** Our ids through ONNX Runtime: last_hidden_state, mean over tokens, L2 — in double. */
  static float[] onnxRuntime(OrtEnvironment env, OrtSession session, int[] ids) throws Exception {
    long[] in = new long[ids.length], mask = new long[ids.length], types = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      in[i] = ids[i];
      mask[i] = 1;
    }
    long[] shape = {1, ids.length};
    try (OnnxTensor a = OnnxTensor.createTensor(env, LongBuffer.wrap(in), shape);
        OnnxTensor b = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
        OnnxTensor c = OnnxTensor.createTensor(env, LongBuffer.wrap(types), shape);
        OrtSession.Result r = session.run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c))) {
      float[][][] h = (float[][][]) r.get(0).getValue();
      int d = h[0][0].length;
      double[] mean = new double[d];
      for (float[] row : h[0]) {
        for (int j = 0; j < d; j++) {
          mean[j] += row[j];
        }
      }
      double norm = 0;
      for (int j = 0; j < d; j++) {
        mean[j] /= ids.length;
        norm += mean[j] * mean[j];
      }
      float[] out = new float[d];
      for (int j = 0; j < d; j++) {
        out[j] = (float) (mean[j] / Math.sqrt(norm));
      }
      return out;
    }
  }

  @Test
  void encoderEqualsOnnxRuntimeOnTheSameFile() throws Exception {
    List<String> texts = sentences();
    List<int[]> ids = new ArrayList<>();
    for (String t : texts) {
      ids.add(model.tokenizer().cut(model.tokenizer().encodeOrdinary(t), model.maxTokens()));
    }
    Embeddings ours = model.embedTokenIds(ids, EmbedOptions.DEFAULT);
    byte[] onnx;
    try (InputStream in = BertParityTest.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2.onnx")) {
      onnx = in.readAllBytes();
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    double worst = 0;
    int longest = 0;
    try (OrtSession session = env.createSession(onnx, new OrtSession.SessionOptions())) {
      for (int i = 0; i < texts.size(); i++) {
        float[] ref = onnxRuntime(env, session, ids.get(i));
        longest = Math.max(longest, ids.get(i).length);
        for (int j = 0; j < ref.length; j++) {
          worst = Math.max(worst, Math.abs(ref[j] - ours.vectors()[i * ref.length + j]));
        }
      }
    }
    assertTrue(longest > 100, "some sentences are long: " + longest);
    assertTrue(worst <= 1e-5, "max abs difference " + worst);
  }

  /**
   * langchain4j tokenizes with the file's own settings, which cut at 128 tokens; mtk keeps 256
   * (sentence-transformers' limit for this model). Texts up to 128 tokens must agree as they are,
   * longer ones once mtk's ids are cut to 128 the same way — which also shows that the cut is
   * the only difference.
   */
  @Test
  void embeddingsEqualLangchain4jEndToEnd() {
    var peer = new AllMiniLmL6V2EmbeddingModel();
    List<String> texts = sentences().subList(0, 120);
    List<int[]> cut128 = new ArrayList<>();
    int longer = 0;
    for (String t : texts) {
      int[] ids = model.tokenizer().encodeOrdinary(t);
      longer += ids.length > 128 ? 1 : 0;
      cut128.add(model.tokenizer().cut(ids, 128));
    }
    assertTrue(longer >= 5, longer + " texts over 128 tokens");
    Embeddings ours = model.embedTokenIds(cut128, EmbedOptions.DEFAULT);
    double worst = 0;
    for (int i = 0; i < texts.size(); i++) {
      float[] ref = peer.embed(texts.get(i)).content().vector();
      assertEquals(384, ref.length);
      for (int j = 0; j < ref.length; j++) {
        worst = Math.max(worst, Math.abs(ref[j] - ours.vectors()[i * 384 + j]));
      }
    }
    assertTrue(worst <= 1e-5, "max abs difference " + worst);
    // and embedTexts is that model at 256 tokens: the same rows where nothing was cut
    Embeddings direct = model.embedTexts(texts, EmbedOptions.DEFAULT);
    for (int i = 0; i < texts.size(); i++) {
      if (cut128.get(i).length < 128) {
        assertArrayEquals(java.util.Arrays.copyOfRange(ours.vectors(), i * 384, i * 384 + 384),
            java.util.Arrays.copyOfRange(direct.vectors(), i * 384, i * 384 + 384), "row " + i);
      }
    }
  }

  @Test
  void reimportingGivesTheSameBits() throws Exception {
    OnnxImport.builtin(OnnxImport.Builtin.ALL_MINILM_L6_V2, dir.resolve("again"), false, m -> {});
    var again = EmbeddingModel.load(dir.resolve("again"), new WorkerPool(1));
    List<String> texts = sentences().subList(0, 40);
    assertArrayEquals(model.embedTexts(texts, EmbedOptions.DEFAULT).vectors(),
        again.embedTexts(texts, EmbedOptions.DEFAULT).vectors());
  }
}
