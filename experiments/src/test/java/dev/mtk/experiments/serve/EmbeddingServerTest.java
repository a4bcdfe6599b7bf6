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
          // the last text is longer than max_seq_len: cut as mtk embed cuts it, because the request asks
          var r = post(c, server.port(), "/v1/embeddings", JSON.writeValueAsString(Map.of("input", TEXTS,
              "model", "tiny", "dimensions", dims, "truncate", true)));
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
              "dimensions", dims, "encoding_format", "base64", "truncate", true)));
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
              .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("input", t, "truncate", true)))).build(),
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
  void intAndBinaryEncodingsTokenIdsAndTruncation() throws Exception {
    // numpy's packbits documentation: [1,0,1] → 160, [0,1,0] → 64, [1,1,0] → 192, [0,0,1] → 32
    float[] signs = {0.5f, -0.1f, 0.2f, -1f, 0.3f, -0.2f, 0.4f, 0.1f, -0.3f, 0f, 0f, 0.9f};
    assertArrayEquals(new int[] {160}, EmbeddingServer.Encoding.packedSigns(signs, 0, 3));
    assertArrayEquals(new int[] {64}, EmbeddingServer.Encoding.packedSigns(signs, 3, 3));
    assertArrayEquals(new int[] {192}, EmbeddingServer.Encoding.packedSigns(signs, 6, 3));
    assertArrayEquals(new int[] {32}, EmbeddingServer.Encoding.packedSigns(signs, 9, 3));
    try (WorkerPool pool = new WorkerPool(2)) {
      EmbeddingModel m = model(pool, new int[] {8, 16, 32});
      var s = new EmbeddingServer.Settings("127.0.0.1", 0, 1 << 16, 8, 64, 20, 32, 0, false);
      try (EmbeddingServer server = EmbeddingServer.start(Map.of("tiny", m), s)) {
        HttpClient c = HttpClient.newHttpClient();
        List<String> shortTexts = List.of("water", "a small boat", "fire", "the fox");
        for (int dims : new int[] {8, 13, 32}) {
          float[] want = m.embedTexts(shortTexts, EmbedOptions.DEFAULT.withDim(dims)).vectors();
          for (String f : List.of("int8", "uint8", "binary", "ubinary")) {
            var r = post(c, server.port(), "/v1/embeddings", JSON.writeValueAsString(Map.of("input", shortTexts,
                "dimensions", dims, "encoding_format", f)));
            assertEquals(200, r.statusCode(), r.body());
            for (int i = 0; i < shortTexts.size(); i++) {
              JsonNode e = JSON.readTree(r.body()).path("data").get(i).path("embedding");
              boolean bits = f.endsWith("binary");
              assertEquals(bits ? (dims + 7) / 8 : dims, e.size(), f + " at " + dims);
              for (int j = 0; j < e.size(); j++) {
                int expect;
                if (bits) {
                  expect = 0;
                  for (int k = 0; k < 8; k++) {
                    int d = 8 * j + k;
                    expect = 2 * expect + (d < dims && want[i * dims + d] > 0 ? 1 : 0);
                  }
                  expect -= f.equals("binary") ? 128 : 0;
                } else {
                  // the documented rule: round(127·x), halves to even
                  expect = (int) Math.rint(127f * want[i * dims + j]) + (f.equals("uint8") ? 128 : 0);
                }
                assertEquals(expect, e.get(j).asInt(), f + " dims " + dims + " row " + i + " value " + j);
              }
            }
          }
        }
        // token ids: the tokenizer's ids as arrays are the texts' rows; one bare array is one input
        float[] want = m.embedTexts(shortTexts, EmbedOptions.DEFAULT).vectors();
        List<List<Integer>> ids = new ArrayList<>();
        for (String t : shortTexts) {
          ids.add(java.util.Arrays.stream(m.tokenizer().encodeOrdinary(t)).boxed().toList());
        }
        var r = post(c, server.port(), "/v1/embeddings", JSON.writeValueAsString(Map.of("input", ids)));
        assertEquals(200, r.statusCode(), r.body());
        for (int i = 0; i < shortTexts.size(); i++) {
          JsonNode e = JSON.readTree(r.body()).path("data").get(i).path("embedding");
          for (int j = 0; j < 32; j++) {
            assertEquals(want[i * 32 + j], e.get(j).floatValue(), 0f, "ids of text " + i);
          }
        }
        r = post(c, server.port(), "/v1/embeddings", JSON.writeValueAsString(Map.of("input", ids.get(2))));
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(1, JSON.readTree(r.body()).path("data").size());
        assertEquals(want[2 * 32], JSON.readTree(r.body()).path("data").get(0).path("embedding").get(0).floatValue(), 0f);
        assertEquals(ids.get(2).size(), JSON.readTree(r.body()).path("usage").path("prompt_tokens").asInt());
        // too long: refused naming the input and the limit, or cut on request exactly as mtk embed cuts
        String longText = TEXTS.get(4);
        int n = m.tokenizer().encodeOrdinary(longText).length;
        assertTrue(n > m.maxTokens());
        r = post(c, server.port(), "/v1/embeddings", JSON.writeValueAsString(Map.of("input", List.of("water", longText))));
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains("'input[1]' has " + n + " tokens; the model reads at most 12"), r.body());
        r = post(c, server.port(), "/v1/embeddings", JSON.writeValueAsString(Map.of("input", longText, "truncate", true)));
        assertEquals(200, r.statusCode(), r.body());
        float[] cut = m.embedTexts(List.of(longText), EmbedOptions.DEFAULT).vectors();
        assertEquals(cut[5], JSON.readTree(r.body()).path("data").get(0).path("embedding").get(5).floatValue(), 0f);
        assertEquals(12, JSON.readTree(r.body()).path("usage").path("prompt_tokens").asInt());
        // bad ids and formats name the place
        r = post(c, server.port(), "/v1/embeddings", "{\"input\": [[1, 2, 300]]}");
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains("'input[0]'[2] must be a token id from 0 to 299, got 300"), r.body());
        r = post(c, server.port(), "/v1/embeddings", "{\"input\": [[]]}");
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains("empty array of token ids"), r.body());
        r = post(c, server.port(), "/v1/embeddings", "{\"input\": \"x\", \"encoding_format\": \"int4\"}");
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains("float, base64, int8, uint8, binary or ubinary"), r.body());
        r = post(c, server.port(), "/v1/embeddings", "{\"input\": \"x\", \"truncate\": \"yes\"}");
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains("\"param\":\"truncate\""), r.body());
      }
    }
  }

  @Test
  void imagesAndClipsAsBase64AreTheirFilesRows(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    try (WorkerPool pool = new WorkerPool(2)) {
      // an image model (grey 16×16, 4×4 patches) and an audio model with a text tower (80 mels × 32 frames, 16×16 patches)
      var imgFormat = new dev.mtk.tokenizers.image.ImageFormat(1, 16, 16, 4, dev.mtk.tokenizers.image.ImageTransforms.Norm.VIT);
      EmbeddingModel images = EmbeddingModel.of(Encoder.init(new EncoderConfig(1, 32, 4, 48, 1, 16, 1e-5f,
          new int[] {8, 32}, EncoderConfig.Pooling.MEAN, 0f, 0, 16), 3), imgFormat, pool);
      var audio = new dev.mtk.tokenizers.audio.AudioFormat(80, 32, 8000);
      EmbeddingModel clips = EmbeddingModel.of(Encoder.init(new EncoderConfig(1, 32, 4, 48, 1, 10, 1e-5f,
          new int[] {8, 32}, EncoderConfig.Pooling.MEAN, 0f, 0, 256), 4), audio.imageFormat(16), pool).withAudio(audio);
      EmbeddingModel dual = clips.withTextTower(model(pool, new int[] {8, 32}));
      java.nio.file.Path png = dir.resolve("a.png"), wav = dir.resolve("a.wav");
      var bi = new java.awt.image.BufferedImage(20, 24, java.awt.image.BufferedImage.TYPE_INT_RGB);
      for (int y = 0; y < 24; y++) {
        for (int x = 0; x < 20; x++) {
          bi.setRGB(x, y, (x * 12) << 16 | (y * 10) << 8 | (x * y) & 0xFF);
        }
      }
      javax.imageio.ImageIO.write(bi, "png", png.toFile());
      float[] samples = new float[6000];
      for (int t = 0; t < samples.length; t++) {
        samples[t] = (float) (0.3 * Math.sin(t * 0.2) + 0.1 * Math.sin(t * 0.05));
      }
      dev.mtk.tokenizers.audio.WavWriter.write(wav, new dev.mtk.tokenizers.audio.Audio(samples, 16000));
      String png64 = Base64.getEncoder().encodeToString(java.nio.file.Files.readAllBytes(png));
      String wav64 = Base64.getEncoder().encodeToString(java.nio.file.Files.readAllBytes(wav));
      var s = new EmbeddingServer.Settings("127.0.0.1", 0, 1 << 20, 8, 64, 5, 32, 0, false);
      try (EmbeddingServer server = EmbeddingServer.start(Map.of("img", images, "speech", dual), s)) {
        HttpClient c = HttpClient.newHttpClient();
        float[] wantImg = images.embedImages(List.of(png), EmbedOptions.DEFAULT.withDim(8)).vectors();
        for (Object item : List.of(Map.of("image", png64), "data:image/png;base64," + png64)) {
          var r = post(c, server.port(), "/v1/embeddings", JSON.writeValueAsString(Map.of("model", "img",
              "input", List.of(item, item), "dimensions", 8)));
          assertEquals(200, r.statusCode(), r.body());
          for (int i = 0; i < 2; i++) {
            JsonNode e = JSON.readTree(r.body()).path("data").get(i).path("embedding");
            for (int j = 0; j < 8; j++) {
              assertEquals(wantImg[j], e.get(j).floatValue(), 0f, "the file's row");
            }
          }
          assertEquals(2 * 16, JSON.readTree(r.body()).path("usage").path("prompt_tokens").asInt(), "patches");
        }
        // a text↔speech model: a clip through the audio tower, a word through the text tower, one space
        float[] wantClip = clips.embedImages(List.of(wav), EmbedOptions.DEFAULT).vectors();
        float[] wantWord = dual.embedTexts(List.of("water"), EmbedOptions.DEFAULT).vectors();
        var r = post(c, server.port(), "/v1/embeddings", JSON.writeValueAsString(Map.of("model", "speech",
            "input", Map.of("audio", wav64))));
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(wantClip[3], JSON.readTree(r.body()).path("data").get(0).path("embedding").get(3).floatValue(), 0f);
        r = post(c, server.port(), "/v1/embeddings", JSON.writeValueAsString(Map.of("model", "speech", "input", "water")));
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(wantWord[3], JSON.readTree(r.body()).path("data").get(0).path("embedding").get(3).floatValue(), 0f);
        var models = JSON.readTree(c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
            + "/v1/models")).build(), HttpResponse.BodyHandlers.ofString()).body()).path("data");
        java.util.Set<String> kinds = new java.util.TreeSet<>();
        models.forEach(mo -> kinds.add(mo.path("id").asText() + ":" + mo.path("modality").asText()));
        assertEquals(java.util.Set.of("img:image", "speech:text+audio"), kinds);

        // a huge image is refused from its header, before any pixel is decoded
        var big = new java.awt.image.BufferedImage(4100, 4100, java.awt.image.BufferedImage.TYPE_BYTE_GRAY);
        var bytes = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(big, "png", bytes);
        String big64 = Base64.getEncoder().encodeToString(bytes.toByteArray());
        Object[][] cases = {
            {Map.of("model", "img", "input", "a text"), "takes images: send {\"image\": \"<base64>\"}"},
            {Map.of("model", "img", "input", Map.of("audio", png64)), "must be {\"image\": \"<base64>\"}"},
            {Map.of("model", "img", "input", Map.of("image", "not base64!")), "is not valid base64"},
            {Map.of("model", "img", "input", "data:audio/wav;base64," + wav64), "is audio/wav; this model takes image"},
            {Map.of("model", "img", "input", Map.of("image", wav64)), "not an image"},
            {Map.of("model", "img", "input", Map.of("image", big64)), "4100 × 4100 pixels; the server decodes at most"},
            {Map.of("model", "speech", "input", List.of("water", Map.of("audio", wav64))), "one request holds one kind of input"},
            {Map.of("model", "speech", "input", Map.of("audio", png64)), "not a RIFF WAVE file"},
        };
        for (Object[] k : cases) {
          r = post(c, server.port(), "/v1/embeddings", JSON.writeValueAsString(k[0]));
          assertEquals(400, r.statusCode(), r.body());
          String msg = JSON.readTree(r.body()).path("error").path("message").asText();
          assertTrue(msg.contains((String) k[1]), msg);
          assertTrue(!msg.contains("mtk-serve-"), "no scratch path: " + msg);
        }
      }
    }
  }

  @Test
  void searchFindsWhatMtkQueryFinds(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    try (WorkerPool pool = new WorkerPool(2)) {
      EmbeddingModel m = model(pool, new int[] {8, 16, 32});
      List<String> docs = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        docs.add("doc " + i + " " + TEXTS.get(0).substring(0, 4 + i % 20));
      }
      dev.mtk.experiments.search.TextIndex.build(m, docs, null, null, dev.mtk.search.index.Metric.COSINE,
          dev.mtk.search.index.Precision.INT8, dir, dev.mtk.search.index.IndexFile.Progress.NONE);
      var s = new EmbeddingServer.Settings("127.0.0.1", 0, 1 << 16, 8, 64, 5, 32, 0, false);
      try (var ix = dev.mtk.search.index.IndexFile.open(dir);
          EmbeddingServer server = EmbeddingServer.start(Map.of("tiny", m), s, ix, pool)) {
        HttpClient c = HttpClient.newHttpClient();
        for (String funnel : new String[] {null, "8:40", "auto:0.9"}) {
          var f = funnel == null ? null : funnel.startsWith("auto") ? null : dev.mtk.search.index.Funnel.parse(funnel);
          Map<String, Object> req = new java.util.HashMap<>(Map.of("query", "doc 17 water", "k", 5, "dimensions", 16));
          if (funnel != null) {
            req.put("funnel", funnel);
          }
          var r = post(c, server.port(), "/v1/search", JSON.writeValueAsString(req));
          assertEquals(200, r.statusCode(), r.body());
          JsonNode hits = JSON.readTree(r.body()).path("data");
          assertEquals(5, hits.size(), r.body());
          if (funnel != null && funnel.startsWith("auto")) {
            f = dev.mtk.search.index.Funnel.parse(JSON.readTree(r.body()).path("funnel").asText());
          }
          var want = dev.mtk.experiments.search.TextIndex.query(m, ix, "doc 17 water", 16, 5, f, pool);
          for (int j = 0; j < 5; j++) {
            assertEquals(want.get(j).id(), hits.get(j).path("id").asLong(), "funnel " + funnel);
            assertEquals(want.get(j).score(), hits.get(j).path("score").floatValue(), 0f);
            assertEquals(want.get(j).text(), hits.get(j).path("text").asText());
          }
        }
        // a vector: the query's own embedding finds the same
        float[] v = m.embedTexts(List.of("doc 17 water"), EmbedOptions.DEFAULT).vectors();
        List<Float> vec = new ArrayList<>();
        for (float x : v) {
          vec.add(x);
        }
        var r = post(c, server.port(), "/v1/search", JSON.writeValueAsString(Map.of("vector", vec, "k", 5, "dimensions", 16)));
        assertEquals(200, r.statusCode(), r.body());
        var want = dev.mtk.experiments.search.TextIndex.query(m, ix, "doc 17 water", 16, 5, null, pool);
        assertEquals(want.get(0).id(), JSON.readTree(r.body()).path("data").get(0).path("id").asLong());
        Object[][] cases = {
            {"{\"query\": \"a\", \"vector\": [1]}", "vector", "one of them"},
            {"{}", "query", "one of them"},
            {"{\"query\": \"a\", \"k\": 0}", "k", "from 1 to 1000"},
            {"{\"query\": \"a\", \"dimensions\": 33}", "dimensions", "from 1 to 32"},
            {"{\"vector\": [0.1, 0.2], \"dimensions\": 8}", "vector", "array of 8 to 32 numbers"},
            {"{\"query\": \"a\", \"funnel\": \"8:2\", \"k\": 5}", "funnel", "keeps fewer than the k = 5"},
            {"{\"query\": \"a\", \"funnel\": \"auto:2\"}", "funnel", "auto:RECALL"},
            {"{\"query\": [\"a\", \"b\"]}", "query", "one input"},
        };
        for (Object[] k : cases) {
          r = post(c, server.port(), "/v1/search", (String) k[0]);
          assertEquals(400, r.statusCode(), k[0] + " → " + r.body());
          JsonNode e = JSON.readTree(r.body()).path("error");
          assertEquals(k[1], e.path("param").asText(), r.body());
          assertTrue(e.path("message").asText().contains((String) k[2]), r.body());
        }
      }
      try (EmbeddingServer server = EmbeddingServer.start(Map.of("tiny", m), new EmbeddingServer.Settings("127.0.0.1",
          0, 1 << 16, 8, 64, 5, 32, 0, false))) {
        var r = post(HttpClient.newHttpClient(), server.port(), "/v1/search", "{\"query\": \"a\"}");
        assertEquals(404, r.statusCode());
        assertTrue(r.body().contains("--index"), r.body());
      }
    }
  }

  @Test
  void requestsBeyondTheInFlightBoundGet429BeforeTheirBodyIsRead() throws Exception {
    try (WorkerPool pool = new WorkerPool(1)) {
      EmbeddingModel m = model(pool, new int[] {8, 32});
      var s = new EmbeddingServer.Settings("127.0.0.1", 0, 4096, 8, 64, 1, 8, 0, false).withMaxInFlight(1);
      try (EmbeddingServer server = EmbeddingServer.start(Map.of("tiny", m), s)) {
        HttpClient c = HttpClient.newHttpClient();
        // a client that announces a body and never sends it holds the one place
        try (var slow = new java.net.Socket("127.0.0.1", server.port())) {
          slow.getOutputStream().write(("POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
              .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
          slow.getOutputStream().flush();
          HttpResponse<String> r = null;
          for (int tries = 0; tries < 50; tries++) { // until the server has taken the slow one in
            r = post(c, server.port(), "/v1/embeddings", "{\"input\": \"water\"}");
            if (r.statusCode() == 429) {
              break;
            }
            Thread.sleep(20);
          }
          assertEquals(429, r.statusCode(), r.body());
          assertTrue(r.body().contains("1 requests in flight"), r.body());
          assertEquals("1", r.headers().firstValue("Retry-After").orElse(""));
          // /health answers whatever the load
          assertEquals(200, c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/health"))
              .build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        }
        // the slow client gone, its place is free again
        HttpResponse<String> r = null;
        for (int tries = 0; tries < 50; tries++) {
          r = post(c, server.port(), "/v1/embeddings", "{\"input\": \"water\"}");
          if (r.statusCode() == 200) {
            break;
          }
          Thread.sleep(20);
        }
        assertEquals(200, r.statusCode(), r.body());
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
            {"{\"input\": 3}", 400, "input", "a string, an array of strings, or arrays of token ids"},
            {"{\"input\": []}", 400, "input", "empty"},
            {"{\"input\": [\"a\", 7]}", 400, "input", "input[1]"},
            {"{\"input\": [[1, 2], \"a\", {}]}", 400, "input", "'input[2]' must be a string or an array of token ids"},
            {"{\"input\": [1, \"a\"]}", 400, "input", "'input'[1] must be a token id"},
            {"{\"input\": [\"a\", \"\"]}", 400, "input", "empty string"},
            {"{\"input\": [\"a\", \"b\", \"c\", \"d\"]}", 400, "input", "at most 3"},
            {"{\"input\": \"a\", \"model\": \"nope\"}", 404, "model", "does not exist"},
            {"{\"input\": \"a\", \"dimensions\": 0}", 400, "dimensions", "from 1 to 32"},
            {"{\"input\": \"a\", \"dimensions\": \"8\"}", 400, "dimensions", "whole number"},
            {"{\"input\": \"a\", \"dimensions\": 8}", 400, "dimensions", "Matryoshka"},
            {"{\"input\": \"a\", \"encoding_format\": \"int4\"}", 400, "encoding_format", "binary or ubinary"},
            {"{\"input\": \"a\", \"encoding_format\": 8}", 400, "encoding_format", "must be a string"},
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
