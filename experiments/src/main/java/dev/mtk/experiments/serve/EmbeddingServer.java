package dev.mtk.experiments.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.mtk.models.inference.EmbedOptions;
import dev.mtk.models.inference.EmbeddingModel;
import dev.mtk.models.inference.Embeddings;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * {@code mtk serve}: OpenAI's {@code POST /v1/embeddings} (and {@code GET /v1/models}, {@code GET
 * /health}, {@code GET /metrics} in Prometheus' text format) over text models, on the JDK's HTTP server with a virtual thread per request. Requests
 * wait in one bounded queue (full: 429 with Retry-After); one worker takes what is waiting, up to
 * a number of inputs or a short wait, and embeds each model's share in one call of the inference
 * API at full width, then cuts each request's rows to its {@code dimensions} and renormalises —
 * the bits of {@code mtk embed --dim m}, whatever batch an input landed in. Every refusal is
 * OpenAI's error shape naming the field; no stack trace leaves the server.
 */
public final class EmbeddingServer implements AutoCloseable {

  /**
   * @param maxBodyBytes larger request bodies get 413
   * @param maxInputs inputs per request (OpenAI's limit is 2,048)
   * @param maxBatchInputs inputs gathered into one encoder call
   * @param maxWaitMs how long the worker waits for more requests to join a batch
   * @param queue requests waiting at most; beyond it 429
   * @param defaultDimensions the size when a request names none (0: the full width)
   * @param allowTruncation serve {@code dimensions} for models without Matryoshka nesting too
   * @param apiKeys the Bearer tokens accepted (empty: no key needed); /health needs none
   */
  public record Settings(String host, int port, int maxBodyBytes, int maxInputs, int maxBatchInputs,
      int maxWaitMs, int queue, int defaultDimensions, boolean allowTruncation, List<String> apiKeys) {
    public static Settings defaults() {
      return new Settings("127.0.0.1", 8080, 4 << 20, 2048, 256, 5, 256, 0, false, List.of());
    }

    public Settings(String host, int port, int maxBodyBytes, int maxInputs, int maxBatchInputs, int maxWaitMs,
        int queue, int defaultDimensions, boolean allowTruncation) {
      this(host, port, maxBodyBytes, maxInputs, maxBatchInputs, maxWaitMs, queue, defaultDimensions, allowTruncation,
          List.of());
    }

    public Settings {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("--port must be 0 to 65535, got " + port);
      }
      if (maxBodyBytes < 1 || maxInputs < 1 || maxBatchInputs < 1 || maxWaitMs < 0 || queue < 1 || defaultDimensions < 0) {
        throw new IllegalArgumentException("limits must be positive");
      }
      apiKeys = List.copyOf(apiKeys);
      if (apiKeys.stream().anyMatch(String::isBlank)) {
        throw new IllegalArgumentException("an API key is blank");
      }
    }
  }

  /**
   * A request's texts as token ids (tokenised once, on the request's own thread), the model and
   * size it asked for, and where its rows go.
   */
  private record Job(String modelName, EmbeddingModel model, List<dev.mtk.models.inference.Input.TokenIds> texts,
      int dimensions, CompletableFuture<float[]> rows) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Map<String, EmbeddingModel> models;
  private final Settings settings;
  private final HttpServer http;
  private final BlockingQueue<Job> queue;
  private final Thread worker;
  private final ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor();
  private volatile boolean running = true;

  // what GET /metrics shows, in the Prometheus client's registry (one per server)
  private final io.prometheus.metrics.model.registry.PrometheusRegistry registry =
      new io.prometheus.metrics.model.registry.PrometheusRegistry();
  private final io.prometheus.metrics.core.metrics.Counter requestsTotal = io.prometheus.metrics.core.metrics.Counter
      .builder().name("mtk_requests_total").help("HTTP requests by endpoint and status").labelNames("endpoint", "status")
      .register(registry);
  private final io.prometheus.metrics.core.metrics.Histogram latency = io.prometheus.metrics.core.metrics.Histogram
      .builder().name("mtk_request_duration_seconds").help("time from request to response").labelNames("endpoint")
      .register(registry);
  private final io.prometheus.metrics.core.metrics.Histogram batchInputs = io.prometheus.metrics.core.metrics.Histogram
      .builder().name("mtk_batch_inputs").help("inputs in each encoder call")
      .classicUpperBounds(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048).register(registry);
  private final io.prometheus.metrics.core.metrics.Gauge queueDepth = io.prometheus.metrics.core.metrics.Gauge
      .builder().name("mtk_queue_depth").help("requests waiting for the batcher").register(registry);
  private final io.prometheus.metrics.core.metrics.Counter inputsTotal = io.prometheus.metrics.core.metrics.Counter
      .builder().name("mtk_inputs_embedded_total").help("inputs embedded").labelNames("model").register(registry);
  private final io.prometheus.metrics.core.metrics.Counter tokensTotal = io.prometheus.metrics.core.metrics.Counter
      .builder().name("mtk_tokens_embedded_total").help("tokens of the inputs embedded").labelNames("model")
      .register(registry);

  private EmbeddingServer(Map<String, EmbeddingModel> models, Settings s) throws IOException {
    if (models.isEmpty()) {
      throw new IllegalArgumentException("serve needs at least one --model");
    }
    this.models = new LinkedHashMap<>();
    for (var e : models.entrySet()) {
      // a text↔speech model serves texts through its text tower, into the space of its clips
      EmbeddingModel text = e.getValue().textTower();
      if (text == null) {
        throw new IllegalArgumentException(e.getKey() + ": serve takes text models (and the text side of "
            + "text↔speech models) for now; this one takes "
            + (e.getValue().fileKind() == null ? "patches" : e.getValue().fileKind().what() + "s"));
      }
      this.models.put(e.getKey(), text);
    }
    this.settings = s;
    this.queue = new ArrayBlockingQueue<>(s.queue());
    this.http = HttpServer.create(new InetSocketAddress(s.host(), s.port()), 64);
    http.setExecutor(requests);
    http.createContext("/", this::handle);
    this.worker = Thread.ofPlatform().name("mtk-serve-batcher").daemon().start(this::batches);
    http.start();
  }

  /** Serves {@code models} (name → model) until closed. */
  public static EmbeddingServer start(Map<String, EmbeddingModel> models, Settings s) throws IOException {
    return new EmbeddingServer(models, s);
  }

  /** The port listened on (the one chosen when started with port 0). */
  public int port() {
    return http.getAddress().getPort();
  }

  /** Stops taking requests, lets the ones in flight finish (up to {@code drainSeconds}), stops. */
  public void close(int drainSeconds) {
    http.stop(drainSeconds);
    running = false;
    worker.interrupt();
    for (Job j; (j = queue.poll()) != null; ) {
      j.rows().completeExceptionally(new IllegalStateException("the server is shutting down"));
    }
    requests.shutdownNow();
  }

  @Override
  public void close() {
    close(1);
  }

  // ---- the batcher: one thread, so encoder passes never compete

  private void batches() {
    while (running) {
      List<Job> batch = new ArrayList<>();
      try {
        batch.add(queue.take());
        long until = System.nanoTime() + settings.maxWaitMs() * 1_000_000L;
        int inputs = batch.getFirst().texts().size();
        while (inputs < settings.maxBatchInputs()) {
          long left = until - System.nanoTime();
          Job j = left <= 0 ? queue.poll() : queue.poll(left, TimeUnit.NANOSECONDS);
          if (j == null) {
            break;
          }
          batch.add(j);
          inputs += j.texts().size();
        }
      } catch (InterruptedException e) {
        for (Job j : batch) {
          j.rows().completeExceptionally(new IllegalStateException("the server is shutting down"));
        }
        return;
      }
      embed(batch);
    }
  }

  /** Each model's texts of the batch in one call, then each job's rows cut to its size. */
  private void embed(List<Job> batch) {
    Map<String, List<Job>> byModel = new LinkedHashMap<>();
    for (Job j : batch) {
      byModel.computeIfAbsent(j.modelName(), k -> new ArrayList<>()).add(j);
    }
    for (List<Job> jobs : byModel.values()) {
      try {
        EmbeddingModel m = jobs.getFirst().model();
        List<dev.mtk.models.inference.Input.TokenIds> texts = new ArrayList<>();
        jobs.forEach(j -> texts.addAll(j.texts()));
        batchInputs.observe(texts.size());
        queueDepth.set(queue.size());
        // the ids take the path texts take (cut to max_seq_len, the template added): mtk embed's bits
        Embeddings e = m.embed(texts, EmbedOptions.DEFAULT.raw().withBatch(64));
        int w = e.dim(), at = 0;
        for (Job j : jobs) {
          int n = j.texts().size();
          float[] raw = java.util.Arrays.copyOfRange(e.vectors(), at * w, (at + n) * w);
          j.rows().complete(Embeddings.normalizedPrefix(raw, n, w, j.dimensions()));
          at += n;
        }
      } catch (RuntimeException ex) {
        jobs.forEach(j -> j.rows().completeExceptionally(ex));
      }
    }
  }

  // ---- HTTP

  /** A refusal in OpenAI's error shape. */
  static final class Refusal extends Exception {
    final int status;
    final String param, type;

    Refusal(int status, String message, String param) {
      super(message);
      this.status = status;
      this.param = param;
      this.type = status == 429 ? "rate_limit_error" : status == 401 ? "authentication_error"
          : status >= 500 ? "server_error" : "invalid_request_error";
    }
  }

  private void handle(HttpExchange x) throws IOException {
    long start = System.nanoTime();
    String path = x.getRequestURI().getPath();
    String endpoint = switch (path) {
      case "/v1/embeddings", "/v1/models", "/health", "/metrics" -> path;
      default -> "other"; // a label per unknown path would let clients grow the registry
    };
    x.setAttribute(START, start);
    x.setAttribute(ENDPOINT, endpoint);
    try (x) {
      try {
        if (!path.equals("/health")) {
          authorize(x);
        }
        switch (path) {
          case "/v1/embeddings" -> {
            method(x, "POST");
            send(x, 200, embeddings(body(x)));
          }
          case "/v1/models" -> {
            method(x, "GET");
            send(x, 200, modelList());
          }
          case "/health" -> {
            method(x, "GET");
            send(x, 200, JSON.createObjectNode().put("status", "ok"));
          }
          case "/metrics" -> {
            method(x, "GET");
            queueDepth.set(queue.size());
            var writer = io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter.create();
            var bytes = new java.io.ByteArrayOutputStream();
            writer.write(bytes, registry.scrape());
            x.getResponseHeaders().set("Content-Type", writer.getContentType());
            record(x, 200);
            x.sendResponseHeaders(200, bytes.size());
            x.getResponseBody().write(bytes.toByteArray());
          }
          default -> throw new Refusal(404, "no such endpoint: " + path
              + " (POST /v1/embeddings, GET /v1/models, GET /health, GET /metrics)", null);
        }
      } catch (Refusal r) {
        if (r.status == 429) {
          x.getResponseHeaders().add("Retry-After", "1");
        }
        send(x, r.status, error(r.getMessage(), r.type, r.param));
      } catch (RuntimeException | IOException e) {
        // the client sees what went wrong in one line, never a trace
        send(x, 500, error("internal error: " + e.getClass().getSimpleName()
            + (e.getMessage() == null ? "" : ": " + e.getMessage().lines().findFirst().orElse("")), "server_error", null));
      }
    } catch (IOException gone) {
      // the client hung up; nothing to tell it
    }
  }

  private static final String START = "mtk.start", ENDPOINT = "mtk.endpoint";

  /** Counted before the answer leaves, so a client that reads /metrics next sees its request. */
  private void record(HttpExchange x, int status) {
    String endpoint = (String) x.getAttribute(ENDPOINT);
    requestsTotal.labelValues(endpoint, String.valueOf(status)).inc();
    latency.labelValues(endpoint).observe((System.nanoTime() - (long) x.getAttribute(START)) / 1e9);
  }

  /**
   * With API keys set, the request's {@code Authorization: Bearer KEY} must be one of them; every
   * key is compared in full, in constant time, so the answer's timing says nothing about a key.
   */
  private void authorize(HttpExchange x) throws Refusal {
    if (settings.apiKeys().isEmpty()) {
      return;
    }
    String h = x.getRequestHeaders().getFirst("Authorization");
    byte[] given = h != null && h.startsWith("Bearer ") ? h.substring(7).trim().getBytes(java.nio.charset.StandardCharsets.UTF_8)
        : new byte[0];
    boolean ok = false;
    for (String k : settings.apiKeys()) {
      ok |= java.security.MessageDigest.isEqual(given, k.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    if (!ok) {
      throw new Refusal(401, h == null ? "missing Authorization: Bearer API_KEY" : "the API key is not valid", null);
    }
  }

  private static void method(HttpExchange x, String want) throws Refusal {
    if (!x.getRequestMethod().equals(want)) {
      throw new Refusal(405, x.getRequestURI().getPath() + " takes " + want + ", not " + x.getRequestMethod(), null);
    }
  }

  private JsonNode body(HttpExchange x) throws IOException, Refusal {
    byte[] b;
    try (InputStream in = x.getRequestBody()) {
      b = in.readNBytes(settings.maxBodyBytes() + 1);
    }
    if (b.length > settings.maxBodyBytes()) {
      throw new Refusal(413, "the request body is larger than " + settings.maxBodyBytes() + " bytes", null);
    }
    try {
      JsonNode o = JSON.readTree(b);
      if (o == null || !o.isObject()) {
        throw new Refusal(400, "the body must be a JSON object", null);
      }
      return o;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new Refusal(400, "the body is not valid JSON: " + e.getOriginalMessage(), null);
    }
  }

  private ObjectNode embeddings(JsonNode req) throws Refusal {
    String name;
    JsonNode mn = req.get("model");
    if (mn == null || mn.isNull()) {
      if (models.size() > 1) {
        throw new Refusal(400, "'model' is required when the server has several: " + models.keySet(), "model");
      }
      name = models.keySet().iterator().next();
    } else if (!mn.isTextual()) {
      throw new Refusal(400, "'model' must be a string", "model");
    } else {
      name = mn.asText();
    }
    EmbeddingModel m = models.get(name);
    if (m == null) {
      throw new Refusal(404, "the model '" + name + "' does not exist; this server has " + models.keySet(), "model");
    }
    List<String> texts = texts(req.get("input"));
    int width = m.width();
    int dims = settings.defaultDimensions() > 0 ? Math.min(settings.defaultDimensions(), width) : width;
    JsonNode dn = req.get("dimensions");
    if (dn != null && !dn.isNull()) {
      if (!dn.isIntegralNumber() || !dn.canConvertToInt()) {
        throw new Refusal(400, "'dimensions' must be a whole number from 1 to " + width, "dimensions");
      }
      dims = dn.asInt();
      if (dims < 1 || dims > width) {
        throw new Refusal(400, "'dimensions' must be from 1 to " + width + ", got " + dims, "dimensions");
      }
      if (dims < width && m.config().nesting().length < 2 && !settings.allowTruncation()) {
        throw new Refusal(400, "'dimensions': the model '" + name + "' was not trained with Matryoshka nesting, "
            + "so its prefixes are not embeddings; the server allows it only when started with --allow-truncation",
            "dimensions");
      }
    }
    String format = req.path("encoding_format").asText("float");
    if (!format.equals("float") && !format.equals("base64")) {
      throw new Refusal(400, "'encoding_format' must be float or base64, got '" + format + "'", "encoding_format");
    }
    List<dev.mtk.models.inference.Input.TokenIds> ids = new ArrayList<>(texts.size());
    int tokens = 0;
    for (String t : texts) {
      int[] id = m.tokenizer().encodeOrdinary(t);
      ids.add(new dev.mtk.models.inference.Input.TokenIds(id));
      tokens += Math.min(m.maxTokens(), id.length); // the text's own tokens, as many as the model reads
    }
    CompletableFuture<float[]> done = new CompletableFuture<>();
    if (!queue.offer(new Job(name, m, ids, dims, done))) {
      throw new Refusal(429, "the server is busy (" + settings.queue() + " requests waiting); retry shortly", null);
    }
    float[] rows;
    try {
      rows = done.get(120, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new Refusal(503, "the embedding took longer than 120 s", null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Refusal(503, "interrupted", null);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new Refusal(500, "embedding failed: " + e.getCause().getMessage(), null);
    }
    inputsTotal.labelValues(name).inc(texts.size());
    tokensTotal.labelValues(name).inc(tokens);
    ObjectNode out = JSON.createObjectNode().put("object", "list");
    ArrayNode data = out.putArray("data");
    for (int i = 0; i < texts.size(); i++) {
      ObjectNode d = data.addObject().put("object", "embedding");
      if (format.equals("float")) {
        ArrayNode v = d.putArray("embedding");
        for (int j = 0; j < dims; j++) {
          v.add(rows[i * dims + j]);
        }
      } else {
        ByteBuffer b = ByteBuffer.allocate(4 * dims).order(ByteOrder.LITTLE_ENDIAN);
        for (int j = 0; j < dims; j++) {
          b.putFloat(rows[i * dims + j]);
        }
        d.put("embedding", Base64.getEncoder().encodeToString(b.array()));
      }
      d.put("index", i);
    }
    out.put("model", name);
    out.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
    return out;
  }

  private List<String> texts(JsonNode in) throws Refusal {
    if (in == null || in.isNull()) {
      throw new Refusal(400, "'input' is required: a string or an array of strings", "input");
    }
    List<String> out = new ArrayList<>();
    if (in.isTextual()) {
      out.add(in.asText());
    } else if (in.isArray()) {
      if (in.size() > settings.maxInputs()) {
        throw new Refusal(400, "'input' holds " + in.size() + " items; at most " + settings.maxInputs()
            + " a request", "input");
      }
      for (int i = 0; i < in.size(); i++) {
        if (!in.get(i).isTextual()) {
          throw new Refusal(400, "'input[" + i + "]' must be a string (token-id arrays are not served yet)", "input");
        }
        out.add(in.get(i).asText());
      }
    } else {
      throw new Refusal(400, "'input' must be a string or an array of strings", "input");
    }
    if (out.isEmpty()) {
      throw new Refusal(400, "'input' is empty", "input");
    }
    for (int i = 0; i < out.size(); i++) {
      if (out.get(i).isEmpty()) {
        throw new Refusal(400, "'input[" + i + "]' is an empty string", "input");
      }
    }
    return out;
  }

  private ObjectNode modelList() {
    ObjectNode out = JSON.createObjectNode().put("object", "list");
    ArrayNode data = out.putArray("data");
    models.forEach((name, m) -> {
      ObjectNode o = data.addObject().put("id", name).put("object", "model").put("created", 0).put("owned_by", "mtk");
      o.put("modality", "text").put("width", m.width()).put("layers", m.layers());
      ArrayNode n = o.putArray("nesting");
      for (int d : m.config().nesting()) {
        n.add(d);
      }
    });
    return out;
  }

  private static ObjectNode error(String message, String type, String param) {
    ObjectNode o = JSON.createObjectNode();
    ObjectNode e = o.putObject("error").put("message", message).put("type", type);
    if (param == null) {
      e.putNull("param");
    } else {
      e.put("param", param);
    }
    e.putNull("code");
    return o;
  }

  private void send(HttpExchange x, int status, JsonNode body) throws IOException {
    byte[] b = JSON.writeValueAsBytes(body);
    record(x, status);
    x.getResponseHeaders().set("Content-Type", "application/json");
    x.sendResponseHeaders(status, b.length);
    x.getResponseBody().write(b);
  }
}
