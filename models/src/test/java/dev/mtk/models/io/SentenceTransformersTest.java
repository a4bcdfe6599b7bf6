package dev.mtk.models.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.encoder.Encoder;
import dev.mtk.models.encoder.EncoderConfig;
import dev.mtk.models.inference.EmbedOptions;
import dev.mtk.models.inference.EmbeddingModel;
import dev.mtk.models.onnx.OnnxImport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Export to the sentence-transformers layout and import back: the same config and bits, the same
 * embeddings; Hugging Face's names hold the tensors the ONNX file gave those names (an
 * independent check of the name table); what has no BertModel form is refused in one line.
 */
class SentenceTransformersTest {

  @TempDir
  static Path dir;
  static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void importMiniLm() throws Exception {
    OnnxImport.builtin(OnnxImport.Builtin.ALL_MINILM_L6_V2, dir.resolve("minilm"), false, m -> {});
  }

  static List<String> sentences() {
    List<String> s = new ArrayList<>(List.of("A man is playing a guitar.", "The cat sits outside.",
        "Matryoshka embeddings keep their first dimensions useful on their own.", "x",
        "Le cœur a ses raisons que la raison ne connaît point.", "東京 北京 서울 😀"));
    for (int i = 0; i < 30; i++) {
      s.add("sentence number " + i + " repeats a few words " + "again ".repeat(i % 7));
    }
    return s;
  }

  @Test
  void exportThenImportGivesTheSameBitsAndEmbeddings() throws Exception {
    Path out = dir.resolve("st"), back = dir.resolve("back");
    var e = SentenceTransformers.export(dir.resolve("minilm"), out, false);
    assertTrue(e.files().containsAll(List.of("config.json", "model.safetensors", "tokenizer.json",
        "modules.json", "sentence_bert_config.json", "1_Pooling/config.json")), e.files().toString());
    assertTrue(Files.isDirectory(out.resolve("2_Normalize")));
    JsonNode modules = JSON.readTree(out.resolve("modules.json").toFile());
    assertEquals("sentence_transformers.models.Pooling", modules.get(1).path("type").asText());
    assertEquals("sentence_transformers.models.Normalize", modules.get(2).path("type").asText());
    JsonNode cfg = JSON.readTree(out.resolve("config.json").toFile());
    assertEquals("bert", cfg.path("model_type").asText());
    assertEquals(384, cfg.path("hidden_size").asInt());
    assertEquals(256, cfg.path("max_position_embeddings").asInt());
    assertTrue(JSON.readTree(out.resolve("1_Pooling/config.json").toFile()).path("pooling_mode_mean_tokens").asBoolean());

    SentenceTransformers.importDirectory(out, 0, back, false);
    Encoder a = ModelDirectory.load(dir.resolve("minilm")), b = ModelDirectory.load(back);
    assertEquals(a.config(), b.config());
    assertArrayEquals(a.parameters().data(), b.parameters().data());
    assertArrayEquals(Files.readAllBytes(dir.resolve("minilm/tokenizer.json")),
        Files.readAllBytes(back.resolve("tokenizer.json")));
    try (WorkerPool pool = new WorkerPool(2)) {
      float[] x = EmbeddingModel.load(dir.resolve("minilm"), pool).embedTexts(sentences(), EmbedOptions.EVALUATION).vectors();
      float[] y = EmbeddingModel.load(back, pool).embedTexts(sentences(), EmbedOptions.EVALUATION).vectors();
      assertArrayEquals(x, y);
    }
  }

  @Test
  void huggingFaceNamesHoldWhatTheOnnxFileCalledThem() throws Exception {
    // the ONNX export keeps PyTorch's names for everything but the MatMul weights: those tensors
    // must come out under the same names, element for element
    Path out = dir.resolve("names");
    SentenceTransformers.export(dir.resolve("minilm"), out, false);
    var onnx = dev.mtk.models.onnx.OnnxModel.read("minilm", () -> OnnxImport.class.getClassLoader()
        .getResourceAsStream(OnnxImport.Builtin.ALL_MINILM_L6_V2.onnx));
    List<String> names = List.of("embeddings.word_embeddings.weight", "embeddings.LayerNorm.bias",
        "encoder.layer.0.attention.self.key.bias", "encoder.layer.3.attention.output.LayerNorm.weight",
        "encoder.layer.5.intermediate.dense.bias", "encoder.layer.5.output.LayerNorm.bias");
    Map<String, float[]> fromOnnx = new java.util.HashMap<>();
    Map<String, dev.mtk.models.onnx.OnnxModel.Sink> sinks = new java.util.HashMap<>();
    for (String n : names) {
      sinks.put(n, (t, in) -> {
        float[] v = new float[(int) t.count()];
        in.read(v, 0, v.length);
        fromOnnx.put(n, v);
      });
    }
    onnx.readInitializers(() -> OnnxImport.class.getClassLoader()
        .getResourceAsStream(OnnxImport.Builtin.ALL_MINILM_L6_V2.onnx), sinks);
    try (SafeTensors.Reader r = SafeTensors.Reader.open(out.resolve("model.safetensors"))) {
      for (String n : names) {
        var entry = r.entries().get(n);
        float[] v = new float[fromOnnx.get(n).length];
        r.read(n, entry.shape(), v, 0);
        assertArrayEquals(fromOnnx.get(n), v, n);
      }
      assertEquals(6 * 16 + 5, r.entries().size());
    }
  }

  @Test
  void clsPoolingAProjectionAndTheLadderSurviveTheRoundTrip() throws Exception {
    EncoderConfig c = new EncoderConfig(30522, 16, 2, 24, 2, 12, 1e-6f, new int[] {4, 8, 12},
        EncoderConfig.Pooling.CLS, 0f, 12, 0, EncoderConfig.Norm.POST, 2);
    Path model = dir.resolve("small"), out = dir.resolve("small-st"), back = dir.resolve("small-back");
    ModelDirectory.create(Encoder.init(c, 5), dir.resolve("minilm/tokenizer.json"), model, false);
    SentenceTransformers.export(model, out, false);
    assertTrue(JSON.readTree(out.resolve("1_Pooling/config.json").toFile()).path("pooling_mode_cls_token").asBoolean());
    JsonNode modules = JSON.readTree(out.resolve("modules.json").toFile());
    assertEquals("sentence_transformers.models.Dense", modules.get(2).path("type").asText());
    assertEquals("3_Normalize", modules.get(3).path("path").asText());
    assertEquals(12, JSON.readTree(out.resolve("2_Dense/config.json").toFile()).path("out_features").asInt());
    SentenceTransformers.importDirectory(out, 0, back, false);
    assertEquals(c, ModelDirectory.load(back).config());
    assertArrayEquals(ModelDirectory.load(model).parameters().data(), ModelDirectory.load(back).parameters().data());
  }

  @Test
  void whatHasNoBertModelFormIsRefused() throws Exception {
    Path preLn = dir.resolve("preln");
    ModelDirectory.create(Encoder.init(new EncoderConfig(30522, 16, 2, 24, 1, 8, 1e-5f, new int[] {16}), 1),
        dir.resolve("minilm/tokenizer.json"), preLn, false);
    var ex = assertThrows(IllegalArgumentException.class,
        () -> SentenceTransformers.export(preLn, dir.resolve("preln-st"), false));
    assertTrue(ex.getMessage().contains("pre-LN"), ex.getMessage());

    Path out = dir.resolve("refuse");
    SentenceTransformers.export(dir.resolve("minilm"), out, false);
    ex = assertThrows(IllegalArgumentException.class,
        () -> SentenceTransformers.export(dir.resolve("minilm"), out, false));
    assertTrue(ex.getMessage().contains("not empty"), ex.getMessage());

    String cfg = Files.readString(out.resolve("config.json"));
    Files.writeString(out.resolve("config.json"), cfg.replace("\"bert\"", "\"roberta\""));
    ex = assertThrows(IllegalArgumentException.class,
        () -> SentenceTransformers.importDirectory(out, 0, dir.resolve("x1"), false));
    assertTrue(ex.getMessage().contains("model_type 'roberta'"), ex.getMessage());

    // a hostile header: 16 M × 16 M parameters are refused before anything is allocated
    Files.writeString(out.resolve("config.json"), cfg.replace("\"vocab_size\" : 30522", "\"vocab_size\" : 16000000")
        .replace("\"hidden_size\" : 384", "\"hidden_size\" : 3840000"));
    ex = assertThrows(IllegalArgumentException.class,
        () -> SentenceTransformers.importDirectory(out, 0, dir.resolve("x2"), false));
    assertTrue(ex.getMessage().contains("more than model.safetensors"), ex.getMessage());
    // fewer layers than the file holds: the rest is left out, and said so
    Files.writeString(out.resolve("config.json"), cfg.replace("\"num_hidden_layers\" : 6", "\"num_hidden_layers\" : 5"));
    var five = SentenceTransformers.importDirectory(out, 0, dir.resolve("x3"), false);
    assertEquals(5, five.config().layers());
    assertEquals(16, five.ignored().size());
    assertTrue(five.ignored().contains("encoder.layer.5.output.dense.weight"), five.ignored().toString());
  }
}
