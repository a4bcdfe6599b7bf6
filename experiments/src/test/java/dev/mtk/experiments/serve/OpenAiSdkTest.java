package dev.mtk.experiments.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.BadRequestException;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.inference.EmbedOptions;
import dev.mtk.models.inference.EmbeddingModel;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * mtk serve through OpenAI's official Java SDK (com.openai:openai-java), as an application would
 * call it: its requests, its parsing of our answers (float and base64, which the SDK decodes),
 * and its exceptions for our refusals. The rows are exactly the inference API's.
 */
class OpenAiSdkTest {

  @Test
  void theOfficialSdkGetsMtkEmbedsRows() throws Exception {
    try (WorkerPool pool = new WorkerPool(2)) {
      EmbeddingModel m = EmbeddingServerTest.model(pool, new int[] {8, 16, 32});
      List<String> texts = List.of("water", "a small boat", "fire and ice");
      var s = new EmbeddingServer.Settings("127.0.0.1", 0, 1 << 16, 16, 64, 5, 32, 0, false, List.of("sk-test"));
      try (EmbeddingServer server = EmbeddingServer.start(Map.of("tiny", m), s)) {
        OpenAIClient client = OpenAIOkHttpClient.builder().apiKey("sk-test")
            .baseUrl("http://127.0.0.1:" + server.port() + "/v1").maxRetries(0).build();
        try {
          for (int dims : new int[] {8, 32}) {
            float[] want = m.embedTexts(texts, EmbedOptions.DEFAULT.withDim(dims)).vectors();
            for (var format : List.of(EmbeddingCreateParams.EncodingFormat.FLOAT, EmbeddingCreateParams.EncodingFormat.BASE64)) {
              CreateEmbeddingResponse r = client.embeddings().create(EmbeddingCreateParams.builder()
                  .inputOfArrayOfStrings(texts).model("tiny").dimensions(dims).encodingFormat(format).build());
              assertEquals(texts.size(), r.data().size());
              for (int i = 0; i < texts.size(); i++) {
                assertEquals(i, r.data().get(i).index());
                List<Float> got = r.data().get(i).embedding();
                assertEquals(dims, got.size(), format + " at " + dims);
                for (int j = 0; j < dims; j++) {
                  assertEquals(want[i * dims + j], got.get(j), 0f, format + " at " + dims + ", row " + i);
                }
              }
              assertTrue(r.usage().promptTokens() >= texts.size());
              assertEquals("tiny", r.model());
            }
          }
          // token ids, as the SDK sends them
          int[] ids = m.tokenizer().encodeOrdinary("a small boat");
          var r = client.embeddings().create(EmbeddingCreateParams.builder()
              .inputOfArrayOfTokens(java.util.Arrays.stream(ids).mapToLong(x -> x).boxed().toList()).model("tiny").build());
          float[] want = m.embedTexts(List.of("a small boat"), EmbedOptions.DEFAULT).vectors();
          assertEquals(want[7], r.data().get(0).embedding().get(7), 0f);
          // a refusal reaches the application as the SDK's own exception, with our message
          var e = assertThrows(BadRequestException.class, () -> client.embeddings().create(EmbeddingCreateParams.builder()
              .input("water").model("tiny").dimensions(99).build()));
          assertTrue(e.getMessage().contains("'dimensions' must be from 1 to 32"), e.getMessage());
          OpenAIClient wrongKey = OpenAIOkHttpClient.builder().apiKey("sk-wrong")
              .baseUrl("http://127.0.0.1:" + server.port() + "/v1").maxRetries(0).build();
          try {
            assertThrows(com.openai.errors.UnauthorizedException.class, () -> wrongKey.embeddings().create(
                EmbeddingCreateParams.builder().input("water").model("tiny").build()));
          } finally {
            wrongKey.close();
          }
        } finally {
          client.close();
        }
      }
    }
  }
}
