package dev.mtk.experiments.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.encoder.Encoder;
import dev.mtk.models.encoder.EncoderConfig;
import dev.mtk.models.inference.EmbedOptions;
import dev.mtk.models.inference.EmbeddingModel;
import dev.mtk.tokenizers.text.bpe.BpeTrainer;
import dev.mtk.tokenizers.text.pretokenize.PreTokenizer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The embeddings server from a real HTTP client on a random loopback port: rows are exactly the
 * inference API's (as mtk embed writes them) at every dimensions, in float and base64, whatever
 * batch concurrent requests were gathered into; every bad request is a 4xx in OpenAI's error
 * shape naming the field.
 */
class EmbeddingServerTest {

  static final ObjectMapper JSON = new ObjectMapper();
  static final List<String> TEXTS = List.of("a large natural stream of water", "water", "a small boat",
      "déjà vu — 東京 🙂", "the quick brown fox jumps over the lazy dog again and again and again");

  static EmbeddingModel model(WorkerPool pool, int[] nesting) {
    List<String> corpus = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      corpus.addAll(TEXTS);
    }
    var tok = BpeTrainer.train(corpus.iterator(), new BpeTrainer.Config(300, 2, List.of(),
        PreTokenizer.named("o200k"), 0, null), pool, BpeTrainer.Progress.NONE);
    return EmbeddingModel.of(Encoder.init(new EncoderConfig(300, 32, 4, 48, 2, 12, 1e-5f, nesting), 5), tok, pool);
  }

  static HttpResponse<String> post(HttpClient c, int port, String path, String body) throws Exception {
    return c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void rowsAreTheInferenceApisAtEveryDimensionsAndEncoding() throws Exception {
    try (WorkerPool pool = new WorkerPool(2)) {
      EmbeddingModel m = model(pool, new int[] {8, 16, 32});
      var s = new EmbeddingServer.Settings("127.0.0.1", 0, 1 << 16, 8, 64, 20, 32, 0, false);
      try (EmbeddingServer server = EmbeddingServer.start(Map.of("tiny", m), s)) {
        HttpClient c = HttpClient.newHttpClient();
        for (int dims : new int[] {8, 16, 32}) {
          float[] want = m.embedTexts(TEXTS, EmbedOptions.DEFAULT.withDim(dims)).vectors();
          var r = post(c, server.port(), "/v1/embeddings", JSON.writeValueAsString(Map.of("input", TEXTS,
              "model", "tiny", "dimensions", dims)));
          assertEquals(200, r.statusCode(), r.body());
          JsonNode o = JSON.readTree(r.body());
          assertEquals("list", o.path("object").asText());
          assertEquals(TEXTS.size(), o.path("data").size());
          assertTrue(o.path("usage").path("prompt_tokens").asInt() > TEXTS.size());
          for (int i = 0; i < TEXTS.size(); i++) {
            JsonNode d = o.path("data").get(i);
            assertEquals(i, d.path("index").asInt());
            float[] got = new float[dims];
            for (int j = 0; j < dims; j++) {
              got[j] = d.path("embedding").get(j).floatValue();
            }
            assertArrayEquals(java.util.Arrays.copyOfRange(want, i * dims, (i + 1) * dims), got, "dims " + dims);
          }
          // base64: little-endian float32, the same bits
          r = post(c, server.port(), "/v1/embeddings", JSON.writeValueAsString(Map.of("input", TEXTS.get(0),
              "dimensions", dims, "encoding_format", "base64")));
          assertEquals(200, r.statusCode(), r.body());
          byte[] b = Base64.getDecoder().decode(JSON.readTree(r.body()).path("data").get(0).path("embedding").asText());
          ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
          float[] got = new float[dims];
          for (int j = 0; j < dims; j++) {
            got[j] = bb.getFloat();
          }
          assertArrayEquals(java.util.Arrays.copyOfRange(want, 0, dims), got);
        }
        // concurrent one-text requests, gathered into batches: each its own row
        float[] full = m.embedTexts(TEXTS, EmbedOptions.DEFAULT).vectors();
        List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
        for (int k = 0; k < 40; k++) {
          String t = TEXTS.get(k % TEXTS.size());
          inFlight.add(c.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/embeddings"))
              .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("input", t)))).build(),
              HttpResponse.BodyHandlers.ofString()));
        }
        for (int k = 0; k < inFlight.size(); k++) {
          var r = inFlight.get(k).get();
          if (r.statusCode() == 429) {
            continue; // the bounded queue refused it: allowed, and said so
          }
          assertEquals(200, r.statusCode(), r.body());
          JsonNode e = JSON.readTree(r.body()).path("data").get(0).path("embedding");
          int i = k % TEXTS.size();
          for (int j = 0; j < 32; j++) {
            assertEquals(full[i * 32 + j], e.get(j).floatValue(), 0f, "request " + k);
          }
        }
        var models = JSON.readTree(c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
            + "/v1/models")).build(), HttpResponse.BodyHandlers.ofString()).body());
        assertEquals("tiny", models.path("data").get(0).path("id").asText());
        assertEquals("[8,16,32]", models.path("data").get(0).path("nesting").toString());
        // /metrics: the Prometheus text format, counting what happened above
        var metrics = c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        String text = metrics.body();
        int ok = 0;
        for (var f : inFlight) {
          ok += f.get().statusCode() == 200 ? 1 : 0;
        }
        java.util.regex.Matcher mm = java.util.regex.Pattern.compile(
            "mtk_requests_total\\{endpoint=\"/v1/embeddings\",status=\"200\"\\} ([0-9.eE+]+)").matcher(text);
        assertTrue(mm.find(), text);
        assertEquals(6 + ok, Double.parseDouble(mm.group(1)), 0, "3 sizes × 2 encodings + the concurrent ones");
        mm = java.util.regex.Pattern.compile("mtk_inputs_embedded_total\\{model=\"tiny\"\\} ([0-9.eE+]+)").matcher(text);
        assertTrue(mm.find(), text);
        assertEquals(3 * (TEXTS.size() + 1) + ok, Double.parseDouble(mm.group(1)), 0);
        assertTrue(text.contains("mtk_batch_inputs_count") && text.contains("mtk_queue_depth")
            && text.contains("mtk_request_duration_seconds_bucket"), text);
      }
    }
  }

  @Test
  void badRequestsAreRefusedInOpenAisShapeNamingTheField() throws Exception {
    try (WorkerPool pool = new WorkerPool(1)) {
      EmbeddingModel flat = model(pool, new int[] {32});
      var s = new EmbeddingServer.Settings("127.0.0.1", 0, 4096, 3, 64, 1, 8, 0, false);
      try (EmbeddingServer server = EmbeddingServer.start(Map.of("flat", flat), s)) {
        HttpClient c = HttpClient.newHttpClient();
        Object[][] cases = {
            {"{", 400, null, "not valid JSON"},
            {"[1]", 400, null, "JSON object"},
            {"{}", 400, "input", "'input' is required"},
            {"{\"input\": 3}", 400, "input", "a string or an array"},
            {"{\"input\": []}", 400, "input", "empty"},
            {"{\"input\": [\"a\", 7]}", 400, "input", "input[1]"},
            {"{\"input\": [\"a\", \"\"]}", 400, "input", "empty string"},
            {"{\"input\": [\"a\", \"b\", \"c\", \"d\"]}", 400, "input", "at most 3"},
            {"{\"input\": \"a\", \"model\": \"nope\"}", 404, "model", "does not exist"},
            {"{\"input\": \"a\", \"dimensions\": 0}", 400, "dimensions", "from 1 to 32"},
            {"{\"input\": \"a\", \"dimensions\": \"8\"}", 400, "dimensions", "whole number"},
            {"{\"input\": \"a\", \"dimensions\": 8}", 400, "dimensions", "Matryoshka"},
            {"{\"input\": \"a\", \"encoding_format\": \"int4\"}", 400, "encoding_format", "float or base64"},
            {"{\"input\": \"" + "x".repeat(5000) + "\"}", 413, null, "larger than 4096"},
        };
        for (Object[] k : cases) {
          var r = post(c, server.port(), "/v1/embeddings", (String) k[0]);
          String what = ((String) k[0]).substring(0, Math.min(40, ((String) k[0]).length()));
          assertEquals((int) k[1], r.statusCode(), what + " → " + r.body());
          JsonNode e = JSON.readTree(r.body()).path("error");
          assertTrue(e.path("message").asText().contains((String) k[3]), what + " → " + r.body());
          assertEquals(k[2] == null ? "null" : "\"" + k[2] + "\"", e.path("param").toString(), what);
          assertTrue(!r.body().contains("at dev.mtk"), "no stack trace");
        }
        var r = c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/embeddings")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(405, r.statusCode());
        r = post(c, server.port(), "/v2/things", "{}");
        assertEquals(404, r.statusCode());
        assertTrue(r.body().contains("no such endpoint"), r.body());
        // unknown paths share one label: a client cannot grow the registry
        String text = c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        assertTrue(text.contains("mtk_requests_total{endpoint=\"other\",status=\"404\"} 1"), text);
        assertTrue(!text.contains("/v2/things"), text);
        // full width is always served, and truncation when the server allows it
        assertEquals(200, post(c, server.port(), "/v1/embeddings", "{\"input\": \"a\", \"dimensions\": 32}").statusCode());
      }
      var lenient = new EmbeddingServer.Settings("127.0.0.1", 0, 4096, 3, 64, 1, 8, 0, true);
      try (EmbeddingServer server = EmbeddingServer.start(Map.of("flat", flat), lenient)) {
        var r = post(HttpClient.newHttpClient(), server.port(), "/v1/embeddings", "{\"input\": \"a\", \"dimensions\": 8}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(8, JSON.readTree(r.body()).path("data").get(0).path("embedding").size());
      }
    }
  }

  @Test
  void withApiKeysOnlyTheirBearersAreServed() throws Exception {
    try (WorkerPool pool = new WorkerPool(1)) {
      EmbeddingModel m = model(pool, new int[] {8, 32});
      var s = new EmbeddingServer.Settings("127.0.0.1", 0, 4096, 8, 64, 1, 8, 0, false, List.of("k-one", "k-two-longer"));
      try (EmbeddingServer server = EmbeddingServer.start(Map.of("tiny", m), s)) {
        HttpClient c = HttpClient.newHttpClient();
        String body = "{\"input\": \"water\"}";
        var uri = URI.create("http://127.0.0.1:" + server.port() + "/v1/embeddings");
        var none = c.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(401, none.statusCode());
        assertTrue(none.body().contains("missing Authorization"), none.body());
        for (String[] k : new String[][] {{"k-one", "200"}, {"k-two-longer", "200"}, {"k-on", "401"}, {"k-one ", "200"},
            {"K-ONE", "401"}, {"", "401"}}) {
          var r = c.send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + k[0])
              .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
          assertEquals(Integer.parseInt(k[1]), r.statusCode(), "key '" + k[0] + "': " + r.body());
        }
        var health = c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/health")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode());
        var metrics = c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(401, metrics.statusCode());
      }
    }
  }

  @Test
  void theLoadBenchAnswersEveryRequest() throws Exception {
    try (WorkerPool pool = new WorkerPool(2)) {
      var r = dev.mtk.experiments.bench.ServeBench.measure(model(pool, new int[] {8, 32}), TEXTS, 4, 40,
          EmbeddingServer.Settings.defaults()).json();
      JsonNode o = JSON.readTree(r);
      assertEquals(0, o.path("errors").asInt(), r);
      assertEquals(40, o.path("requests").asInt());
      assertTrue(o.path("p99_ms").asDouble() >= o.path("p50_ms").asDouble() && o.path("p50_ms").asDouble() > 0, r);
      assertTrue(o.path("requests_per_s").asDouble() > 0 && o.path("offline_inputs_per_s").asDouble() > 0, r);
    }
  }
}
