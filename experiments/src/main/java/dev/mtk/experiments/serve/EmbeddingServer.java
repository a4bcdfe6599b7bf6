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
   * @param truncate cut inputs longer than the model's max_seq_len when a request does not say
   *     (its {@code "truncate"} field); false: refuse them with a 400
   * @param maxInFlight requests being read, parsed, queued or answered at once; one more gets a
   *     429 before its body is read, so that memory holds at most this many bodies
   */
  public record Settings(String host, int port, int maxBodyBytes, int maxInputs, int maxBatchInputs,
      int maxWaitMs, int queue, int defaultDimensions, boolean allowTruncation, List<String> apiKeys,
      boolean truncate, int maxInFlight) {
    public static Settings defaults() {
      return new Settings("127.0.0.1", 8080, 4 << 20, 2048, 256, 5, 256, 0, false, List.of());
    }

    public Settings(String host, int port, int maxBodyBytes, int maxInputs, int maxBatchInputs, int maxWaitMs,
        int queue, int defaultDimensions, boolean allowTruncation, List<String> apiKeys) {
      this(host, port, maxBodyBytes, maxInputs, maxBatchInputs, maxWaitMs, queue, defaultDimensions, allowTruncation,
          apiKeys, false, Math.max(queue, 1));
    }

    /** These settings with long inputs cut (true) or refused (false) by default. */
    public Settings withTruncate(boolean cut) {
      return new Settings(host, port, maxBodyBytes, maxInputs, maxBatchInputs, maxWaitMs, queue, defaultDimensions,
          allowTruncation, apiKeys, cut, maxInFlight);
    }

    /** These settings with at most {@code n} requests in flight. */
    public Settings withMaxInFlight(int n) {
      return new Settings(host, port, maxBodyBytes, maxInputs, maxBatchInputs, maxWaitMs, queue, defaultDimensions,
          allowTruncation, apiKeys, truncate, n);
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
      if (maxBodyBytes < 1 || maxInputs < 1 || maxBatchInputs < 1 || maxWaitMs < 0 || queue < 1 || defaultDimensions < 0
          || maxInFlight < 1) {
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
  private record Job(EmbeddingModel model, List<? extends dev.mtk.models.inference.Input> texts,
      int dimensions, CompletableFuture<float[]> rows) {}

  /**
   * A request's inputs ready for the encoder: token ids (for {@code model}, a text model or a
   * text↔speech model's text tower) or patches (a patch model), and their tokens for usage.
   */
  private record Parsed(EmbeddingModel model, List<? extends dev.mtk.models.inference.Input> inputs, int tokens) {}

  /** Pixels an image sent to the server may have (4096 × 4096): the decode is bounded before it starts. */
  static final long MAX_SERVED_PIXELS = 4096L * 4096;

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Seconds a client has to send its whole request (headers and body), unless set otherwise. */
  static final int REQUEST_SECONDS = 30;

  static {
    // A client that announces a body and sends it slowly would hold one of --max-in-flight's
    // places forever; the JDK's server closes a connection whose request is still arriving after
    // maxReqTime (read once, when its first server is made). A request that has arrived is not cut.
    if (System.getProperty("sun.net.httpserver.maxReqTime") == null) {
      System.setProperty("sun.net.httpserver.maxReqTime", String.valueOf(REQUEST_SECONDS));
      System.setProperty("sun.net.httpserver.timerMillis", "1000");
    }
  }

  private final Map<String, EmbeddingModel> models;
  private final Settings settings;
  /** The index POST /v1/search searches (null: none given); read-only, shared by all requests. */
  private final dev.mtk.search.index.VectorIndex index;
  private final dev.mtk.core.parallel.WorkerPool searchPool;
  /** Searches at once (each uses the pool's threads); more wait their turn. */
  private final java.util.concurrent.Semaphore searching = new java.util.concurrent.Semaphore(2, true);
  /** Funnels fitted for "auto" specs, by spec, k and prefix: fitted once, on the index's own rows. */
  private final Map<String, dev.mtk.search.index.Funnel> fitted = new java.util.concurrent.ConcurrentHashMap<>();
  private final HttpServer http;
  private final BlockingQueue<Job> queue;
  private final Thread worker;
  private final ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor();
  /** Requests in flight, at most settings.maxInFlight: the bound on bodies held in memory. */
  private final java.util.concurrent.Semaphore inFlight;
  /** Images and clips decoded at once: each may take up to MAX_SERVED_PIXELS · 12 bytes while it decodes. */
  private final java.util.concurrent.Semaphore decoding = new java.util.concurrent.Semaphore(2, true);
  /** Where a media input is written for the one file reader its modality has, then deleted. */
  private final java.nio.file.Path scratch;
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

  private EmbeddingServer(Map<String, EmbeddingModel> models, Settings s, dev.mtk.search.index.VectorIndex index,
      dev.mtk.core.parallel.WorkerPool pool) throws IOException {
    this.index = index;
    this.searchPool = pool;
    if (models.isEmpty()) {
      throw new IllegalArgumentException("serve needs at least one --model");
    }
    for (var e : models.entrySet()) {
      if (e.getValue().textTower() == null && e.getValue().fileKind() == null) {
        throw new IllegalArgumentException(e.getKey() + ": a patch model without image.json: nothing says how an "
            + "image becomes its patches");
      }
    }
    this.models = new LinkedHashMap<>(models);
    this.inFlight = new java.util.concurrent.Semaphore(s.maxInFlight());
    this.scratch = java.nio.file.Files.createTempDirectory("mtk-serve-");
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
    return new EmbeddingServer(models, s, null, null);
  }

  /**
   * As above, with {@code index} searched by POST /v1/search on {@code pool} (its queries embedded
   * by the models served); the caller closes the index after the server.
   */
  public static EmbeddingServer start(Map<String, EmbeddingModel> models, Settings s,
      dev.mtk.search.index.VectorIndex index, dev.mtk.core.parallel.WorkerPool pool) throws IOException {
    return new EmbeddingServer(models, s, index, pool);
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
    try (var files = java.nio.file.Files.list(scratch)) {
      for (var f : files.toList()) {
        java.nio.file.Files.deleteIfExists(f);
      }
      java.nio.file.Files.deleteIfExists(scratch);
    } catch (IOException e) {
      // a file still being written by a request that was cut off: the OS's temp cleaning takes it
    }
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
    // by the encoder they need (a model, or a text↔speech model's text tower): one call each
    Map<EmbeddingModel, List<Job>> byModel = new java.util.IdentityHashMap<>();
    List<EmbeddingModel> order = new ArrayList<>();
    for (Job j : batch) {
      byModel.computeIfAbsent(j.model(), k -> {
        order.add(k);
        return new ArrayList<>();
      }).add(j);
    }
    for (EmbeddingModel key : order) {
      List<Job> jobs = byModel.get(key);
      try {
        EmbeddingModel m = key;
        List<dev.mtk.models.inference.Input> texts = new ArrayList<>();
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
      case "/v1/embeddings", "/v1/search", "/v1/models", "/health", "/metrics" -> path;
      default -> "other"; // a label per unknown path would let clients grow the registry
    };
    x.setAttribute(START, start);
    x.setAttribute(ENDPOINT, endpoint);
    boolean admitted = path.equals("/health") || path.equals("/metrics") || inFlight.tryAcquire();
    try (x) {
      try {
        if (!admitted) {
          throw new Refusal(429, "the server has " + settings.maxInFlight() + " requests in flight; retry shortly", null);
        }
        if (!path.equals("/health")) {
          authorize(x);
        }
        switch (path) {
          case "/v1/embeddings" -> {
            method(x, "POST");
            send(x, 200, embeddings(body(x)));
          }
          case "/v1/search" -> {
            method(x, "POST");
            send(x, 200, search(body(x)));
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
              + " (POST /v1/embeddings, POST /v1/search, GET /v1/models, GET /health, GET /metrics)", null);
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
    } finally {
      if (admitted && !path.equals("/health") && !path.equals("/metrics")) {
        inFlight.release();
      }
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

  private String modelName(JsonNode req) throws Refusal {
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
    if (!models.containsKey(name)) {
      throw new Refusal(404, "the model '" + name + "' does not exist; this server has " + models.keySet(), "model");
    }
    return name;
  }

  private boolean truncate(JsonNode req) throws Refusal {
    JsonNode tn = req.get("truncate");
    if (tn != null && !tn.isNull() && !tn.isBoolean()) {
      throw new Refusal(400, "'truncate' must be true or false", "truncate");
    }
    return tn == null || tn.isNull() ? settings.truncate() : tn.asBoolean();
  }

  /** The request's {@code dimensions} (or the default) for model {@code m}, checked. */
  private int dimensions(JsonNode req, EmbeddingModel m, String name) throws Refusal {
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
    return dims;
  }

  /** The rows of parsed inputs through the batcher, cut to {@code dims} and renormalised. */
  private float[] embedded(Parsed parsed, int dims) throws Refusal {
    CompletableFuture<float[]> done = new CompletableFuture<>();
    if (!queue.offer(new Job(parsed.model(), parsed.inputs(), dims, done))) {
      throw new Refusal(429, "the server is busy (" + settings.queue() + " requests waiting); retry shortly", null);
    }
    try {
      return done.get(120, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new Refusal(503, "the embedding took longer than 120 s", null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Refusal(503, "interrupted", null);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new Refusal(500, "embedding failed: " + e.getCause().getMessage(), null);
    }
  }

  private ObjectNode embeddings(JsonNode req) throws Refusal {
    String name = modelName(req);
    EmbeddingModel m = models.get(name);
    boolean truncate = truncate(req);
    int dims = dimensions(req, m, name);
    JsonNode fn = req.get("encoding_format");
    if (fn != null && !fn.isNull() && !fn.isTextual()) {
      throw new Refusal(400, "'encoding_format' must be a string: " + Encoding.NAMES, "encoding_format");
    }
    Encoding format = Encoding.parse(fn == null || fn.isNull() ? "float" : fn.asText());
    Parsed parsed = inputs(req.get("input"), m, name, truncate);
    var ids = parsed.inputs();
    int tokens = parsed.tokens();
    float[] rows = embedded(parsed, dims);
    inputsTotal.labelValues(name).inc(ids.size());
    tokensTotal.labelValues(name).inc(tokens);
    ObjectNode out = JSON.createObjectNode().put("object", "list");
    ArrayNode data = out.putArray("data");
    for (int i = 0; i < ids.size(); i++) {
      ObjectNode d = data.addObject().put("object", "embedding");
      format.write(rows, i * dims, dims, d);
      d.put("index", i);
    }
    out.put("model", name);
    out.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
    return out;
  }

  /**
   * A request's {@code input} made ready for the encoder. Texts: a string, an array of strings,
   * one array of token ids, or an array of such arrays (OpenAI's four forms), for a text model or
   * a text↔speech model's text tower; texts are tokenised here, on the request's own thread, as
   * the inference API does; token ids are taken as given (the model's ids, with its template's
   * [CLS]/[SEP] if it has one); an input longer than max_seq_len is refused unless {@code
   * truncate}, which cuts it as the inference API does. Media, for a patch model: items {"image"
   * | "audio" | "video": BASE64} or data URLs ("data:image/png;base64,…"), each through the
   * reader of its modality as if it were a file ({@link #media}). One request, one kind of input.
   */
  private Parsed inputs(JsonNode in, EmbeddingModel m, String name, boolean truncate) throws Refusal {
    if (in == null || in.isNull()) {
      throw new Refusal(400, "'input' is required: a string, an array of strings, or arrays of token ids"
          + (m.fileKind() != null ? "; for this model {\"" + kindName(m) + "\": \"<base64>\"} items" : ""), "input");
    }
    List<JsonNode> items = new ArrayList<>();
    boolean single = in.isTextual() || in.isObject() || (in.isArray() && in.size() > 0 && in.get(0).isNumber());
    if (single) {
      items.add(in); // one text, one medium, or one sequence of token ids
    } else if (in.isArray()) {
      if (in.size() > settings.maxInputs()) {
        throw new Refusal(400, "'input' holds " + in.size() + " items; at most " + settings.maxInputs()
            + " a request", "input");
      }
      in.forEach(items::add);
    } else {
      throw new Refusal(400, "'input' must be a string, an array of strings, or arrays of token ids", "input");
    }
    if (items.isEmpty()) {
      throw new Refusal(400, "'input' is empty", "input");
    }
    boolean media = isMedia(items.getFirst());
    EmbeddingModel target = media ? m : m.textTower();
    if (target == null || (media && m.fileKind() == null)) {
      throw new Refusal(400, media ? "the model '" + name + "' takes text, not images or clips"
          : "the model '" + name + "' takes " + m.fileKind().what() + "s: send {\"" + kindName(m)
              + "\": \"<base64>\"} items or data URLs", "input");
    }
    List<dev.mtk.models.inference.Input> out = new ArrayList<>(items.size());
    int tokens = 0;
    for (int i = 0; i < items.size(); i++) {
      JsonNode it = items.get(i);
      String at = single ? "'input'" : "'input[" + i + "]'";
      if (isMedia(it) != media) {
        throw new Refusal(400, m.fileKind() == null ? at + " must be a string or an array of token ids"
            : at + ": one request holds one kind of input (texts, or " + kindName(m) + " items), not both", "input");
      }
      var one = media ? media(it, at, m) : ids(it, at, target, truncate);
      tokens += one instanceof dev.mtk.models.inference.Input.TokenIds t ? t.ids().length
          : ((dev.mtk.models.inference.Input.Patches) one).tokens();
      out.add(one);
    }
    return new Parsed(target, out, tokens);
  }

  private static boolean isMedia(JsonNode it) {
    return it.isObject() || (it.isTextual() && it.asText().startsWith("data:"));
  }

  /** "image", "audio" or "video": the key a patch model's items carry. */
  private static String kindName(EmbeddingModel m) {
    return switch (m.fileKind()) {
      case IMAGE -> "image";
      case AUDIO -> "audio";
      case VIDEO -> "video";
    };
  }

  /** A text or an array of token ids as the model's ids. */
  private static dev.mtk.models.inference.Input.TokenIds ids(JsonNode it, String at, EmbeddingModel m, boolean truncate)
      throws Refusal {
    int vocab = m.config().vocabSize(), max = m.maxTokens();
    int[] ids;
    if (it.isTextual()) {
      if (it.asText().isEmpty()) {
        throw new Refusal(400, at + " is an empty string", "input");
      }
      ids = m.tokenizer().encodeOrdinary(it.asText());
    } else if (it.isArray()) {
      if (it.isEmpty()) {
        throw new Refusal(400, at + " is an empty array of token ids", "input");
      }
      ids = new int[it.size()]; // as many as the body holds, and the body is bounded
      for (int j = 0; j < ids.length; j++) {
        JsonNode t = it.get(j);
        if (!t.isIntegralNumber() || !t.canConvertToInt() || t.asInt() < 0 || t.asInt() >= vocab) {
          throw new Refusal(400, at + "[" + j + "] must be a token id from 0 to " + (vocab - 1) + ", got " + t,
              "input");
        }
        ids[j] = t.asInt();
      }
    } else {
      throw new Refusal(400, at + " must be a string or an array of token ids", "input");
    }
    if (ids.length > max) {
      if (!truncate) {
        throw new Refusal(400, at + " has " + ids.length + " tokens; the model reads at most " + max
            + " (max_seq_len): send less, or \"truncate\": true to cut it as mtk embed does (the server's "
            + "default with --truncate)", "input");
      }
      ids = m.tokenizer().cut(ids, max);
    }
    return new dev.mtk.models.inference.Input.TokenIds(ids);
  }

  /**
   * An image or clip item as the model's patches: its base64 bytes written to a scratch file and
   * read by the same reader as {@code mtk embed} reads files (so the rows are the file's bits),
   * at most two at a time, an image's size checked from its header first.
   */
  private dev.mtk.models.inference.Input.Patches media(JsonNode it, String at, EmbeddingModel m) throws Refusal {
    String want = kindName(m), data;
    if (it.isObject()) {
      if (it.size() != 1 || !it.has(want) || !it.get(want).isTextual()) {
        throw new Refusal(400, at + " must be {\"" + want + "\": \"<base64>\"} for this model", "input");
      }
      data = it.get(want).asText();
      if (data.startsWith("data:")) {
        data = dataUrl(data, at, want);
      }
    } else {
      data = dataUrl(it.asText(), at, want);
    }
    byte[] bytes;
    try {
      bytes = Base64.getMimeDecoder().decode(data);
    } catch (IllegalArgumentException e) {
      throw new Refusal(400, at + " is not valid base64: " + e.getMessage(), "input");
    }
    if (bytes.length == 0) {
      throw new Refusal(400, at + " is empty", "input");
    }
    String suffix = switch (m.fileKind()) {
      case IMAGE -> ".img";
      case AUDIO -> ".wav";
      case VIDEO -> startsWith(bytes, "YUV4MPEG2") ? ".y4m" : startsWith(bytes, "GIF8") ? ".gif" : null;
    };
    if (suffix == null) {
      throw new Refusal(400, at + ": a video is a .y4m (YUV4MPEG2) or an animated GIF", "input");
    }
    java.nio.file.Path file = null;
    boolean held = false;
    try {
      held = decoding.tryAcquire(10, TimeUnit.SECONDS);
      if (!held) {
        throw new Refusal(429, "the server is busy decoding images and clips; retry shortly", null);
      }
      file = java.nio.file.Files.createTempFile(scratch, "input-", suffix);
      java.nio.file.Files.write(file, bytes);
      if (m.fileKind() == dev.mtk.tokenizers.image.ImageFiles.Kind.IMAGE || suffix.equals(".gif")) {
        int[] wh = dev.mtk.tokenizers.image.ImageReader.size(file);
        if ((long) wh[0] * wh[1] > MAX_SERVED_PIXELS) {
          throw new Refusal(400, at + " is " + wh[0] + " × " + wh[1] + " pixels; the server decodes at most "
              + MAX_SERVED_PIXELS + " (4096 × 4096)", "input");
        }
      }
      return m.tokenize(file);
    } catch (IOException | IllegalArgumentException e) {
      String msg = String.valueOf(e.getMessage());
      throw new Refusal(400, at + ": " + (file == null ? msg : msg.replace(file.toString() + ": ", "")
          .replace(file.toString(), "the " + want)), "input");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Refusal(503, "interrupted", null);
    } finally {
      if (held) {
        decoding.release();
      }
      if (file != null) {
        try {
          java.nio.file.Files.deleteIfExists(file);
        } catch (IOException ignored) {
          // left for close() to remove
        }
      }
    }
  }

  /** The base64 part of a data URL whose media type is {@code want}'s ("data:image/png;base64,…"). */
  private static String dataUrl(String url, String at, String want) throws Refusal {
    int comma = url.indexOf(',');
    String head = comma < 0 ? url : url.substring(0, comma);
    if (comma < 0 || !head.endsWith(";base64")) {
      throw new Refusal(400, at + " must be a base64 data URL (data:" + want + "/…;base64,…)", "input");
    }
    if (!head.startsWith("data:" + want + "/")) {
      throw new Refusal(400, at + " is " + head.substring(5, head.length() - 7) + "; this model takes " + want,
          "input");
    }
    return url.substring(comma + 1);
  }

  private static boolean startsWith(byte[] b, String magic) {
    if (b.length < magic.length()) {
      return false;
    }
    for (int i = 0; i < magic.length(); i++) {
      if (b[i] != magic.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** Hits a search returns at most. */
  static final int MAX_K = 1000;

  /**
   * POST /v1/search: {@code query} (anything /v1/embeddings takes as one input, embedded by
   * {@code model} at full width) or {@code vector} (floats, at least {@code dimensions} of them),
   * searched at prefix {@code dimensions} through {@code funnel} — "16:100,64:30" or "auto[:RECALL]",
   * fitted once per k and prefix on the index's own rows — for the {@code k} best rows: ids,
   * scores and the text or path the index keeps. The hits of mtk query / mtk index search.
   */
  private ObjectNode search(JsonNode req) throws Refusal {
    if (index == null) {
      throw new Refusal(404, "this server has no index: start it with --index IX for /v1/search", null);
    }
    boolean hasQuery = req.hasNonNull("query"), hasVector = req.hasNonNull("vector");
    if (hasQuery == hasVector) {
      throw new Refusal(400, "give 'query' (a text, or an image or clip item) or 'vector' (floats): one of them",
          hasQuery ? "vector" : "query");
    }
    int d = index.dim();
    JsonNode kn = req.get("k");
    int k = 10;
    if (kn != null && !kn.isNull()) {
      if (!kn.isIntegralNumber() || !kn.canConvertToInt() || kn.asInt() < 1 || kn.asInt() > MAX_K) {
        throw new Refusal(400, "'k' must be a whole number from 1 to " + MAX_K, "k");
      }
      k = kn.asInt();
    }
    k = Math.min(k, index.count());
    int m = d;
    JsonNode dn = req.get("dimensions");
    if (dn != null && !dn.isNull()) {
      if (!dn.isIntegralNumber() || !dn.canConvertToInt() || dn.asInt() < 1 || dn.asInt() > d) {
        throw new Refusal(400, "'dimensions' must be a whole number from 1 to " + d + " (the index's width)",
            "dimensions");
      }
      m = dn.asInt();
    } else if (settings.defaultDimensions() > 0) {
      m = Math.min(settings.defaultDimensions(), d);
    }
    float[] q;
    String model = null;
    if (hasQuery) {
      model = modelName(req);
      EmbeddingModel em = models.get(model);
      if (em.width() != d) {
        throw new Refusal(400, "the model '" + model + "' embeds " + em.width() + " dimensions but the index holds "
            + d + ": search it with the model that built it", "model");
      }
      if (m < d && em.config().nesting().length < 2 && !settings.allowTruncation()) {
        throw new Refusal(400, "'dimensions': the model '" + model + "' was not trained with Matryoshka nesting; "
            + "the server allows prefixes only when started with --allow-truncation", "dimensions");
      }
      JsonNode qn = req.get("query");
      if (qn.isArray() && (qn.isEmpty() || !qn.get(0).isNumber())) {
        throw new Refusal(400, "'query' is one input (a text, token ids, or an image or clip item), not a list", "query");
      }
      q = embedded(inputs(qn, em, model, truncate(req)), d);
    } else {
      JsonNode v = req.get("vector");
      if (!v.isArray() || v.size() < m || v.size() > d) {
        throw new Refusal(400, "'vector' must be an array of " + m + " to " + d + " numbers (at least 'dimensions')",
            "vector");
      }
      q = new float[v.size()];
      for (int j = 0; j < q.length; j++) {
        if (!v.get(j).isNumber() || !Float.isFinite(v.get(j).floatValue())) {
          throw new Refusal(400, "'vector[" + j + "]' must be a finite number", "vector");
        }
        q[j] = v.get(j).floatValue();
      }
    }
    dev.mtk.search.index.Funnel funnel = funnel(req, k, m);
    boolean held = false;
    dev.mtk.search.index.Hits h;
    try {
      held = searching.tryAcquire(30, TimeUnit.SECONDS);
      if (!held) {
        throw new Refusal(429, "the server is busy searching; retry shortly", null);
      }
      h = index.searcher(searchPool).search(q, 1, q.length, k, m, funnel);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Refusal(503, "interrupted", null);
    } catch (IllegalArgumentException e) {
      throw new Refusal(400, e.getMessage(), "funnel");
    } finally {
      if (held) {
        searching.release();
      }
    }
    ObjectNode out = JSON.createObjectNode().put("object", "list");
    ArrayNode data = out.putArray("data");
    for (int j = 0; j < h.found(0); j++) {
      long id = h.id(0, j);
      ObjectNode o = data.addObject().put("id", id).put("score", h.score(0, j));
      if (index.hasTexts()) {
        o.put("text", index.text(index.rowOf(id)));
      }
    }
    out.put("dimensions", m).put("k", k);
    if (model != null) {
      out.put("model", model);
    }
    if (funnel != null) {
      out.put("funnel", funnel.toString());
    }
    return out;
  }

  /** The request's funnel: none, a ladder as written, or "auto[:RECALL]" / "DIM:auto[:RECALL]" fitted and kept. */
  private dev.mtk.search.index.Funnel funnel(JsonNode req, int k, int m) throws Refusal {
    JsonNode fn = req.get("funnel");
    if (fn == null || fn.isNull()) {
      return null;
    }
    if (!fn.isTextual()) {
      throw new Refusal(400, "'funnel' must be a string: \"16:100,64:30\" or \"auto\"", "funnel");
    }
    String spec = fn.asText();
    try {
      double[] auto = dev.mtk.search.index.FunnelCalibration.parseAuto(spec);
      if (auto == null) {
        dev.mtk.search.index.Funnel f = dev.mtk.search.index.Funnel.parse(spec);
        f.check(index.dim(), m, k);
        return f;
      }
      // fitted on a sample of the index's rows the first time a spec, k and prefix meet
      return fitted.computeIfAbsent(spec + "|" + k + "|" + m, key -> dev.mtk.search.index.FunnelCalibration
          .onDatabase(index.searcher(searchPool), index, k, m, (int) auto[0], auto[1], 1L).adaptive());
    } catch (IllegalArgumentException e) {
      throw new Refusal(400, "'funnel': " + e.getMessage().replace("--funnel ", ""), "funnel");
    }
  }

  private ObjectNode modelList() {
    ObjectNode out = JSON.createObjectNode().put("object", "list");
    ArrayNode data = out.putArray("data");
    models.forEach((name, m) -> {
      ObjectNode o = data.addObject().put("id", name).put("object", "model").put("created", 0).put("owned_by", "mtk");
      o.put("modality", m.fileKind() == null ? "text" : m.textTower() != null ? "text+" + kindName(m) : kindName(m))
          .put("width", m.width()).put("layers", m.layers());
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

  /**
   * How a row goes back to the client (docs/SERVING.md, "Encodings"). The row is always the
   * prefix of {@code dimensions} values renormalised; then {@code float}: the float32 values;
   * {@code base64}: their little-endian bytes in base64 (OpenAI); {@code int8}: round(127·x),
   * each in −127 … 127 (a fixed scale: every row has unit norm, so no value is clipped and dot
   * products of two rows' codes are 127² times their cosine up to rounding); {@code uint8}: those
   * plus 128; {@code binary} / {@code ubinary}: the signs (x &gt; 0) packed 8 to a byte, the first
   * dimension in the highest bit, the last byte padded with zero bits (⌈m/8⌉ bytes, numpy's
   * packbits), as signed (byte − 128) or unsigned values — sentence-transformers' conventions.
   */
  enum Encoding {
    FLOAT, BASE64, INT8, UINT8, BINARY, UBINARY;

    static final String NAMES = "float, base64, int8, uint8, binary or ubinary";

    static Encoding parse(String s) throws Refusal {
      for (Encoding e : values()) {
        if (e.name().toLowerCase(java.util.Locale.ROOT).equals(s)) {
          return e;
        }
      }
      throw new Refusal(400, "'encoding_format' must be " + NAMES + ", got '" + s + "'", "encoding_format");
    }

    void write(float[] rows, int off, int m, ObjectNode d) {
      switch (this) {
        case FLOAT -> {
          ArrayNode v = d.putArray("embedding");
          for (int j = 0; j < m; j++) {
            v.add(rows[off + j]);
          }
        }
        case BASE64 -> {
          ByteBuffer b = ByteBuffer.allocate(4 * m).order(ByteOrder.LITTLE_ENDIAN);
          for (int j = 0; j < m; j++) {
            b.putFloat(rows[off + j]);
          }
          d.put("embedding", Base64.getEncoder().encodeToString(b.array()));
        }
        case INT8, UINT8 -> {
          ArrayNode v = d.putArray("embedding");
          for (int j = 0; j < m; j++) {
            v.add(int8(rows[off + j]) + (this == UINT8 ? 128 : 0));
          }
        }
        case BINARY, UBINARY -> {
          ArrayNode v = d.putArray("embedding");
          for (int b : packedSigns(rows, off, m)) {
            v.add(this == BINARY ? b - 128 : b);
          }
        }
      }
    }

    /** round(127·x) (half to even), in −127 … 127 for |x| ≤ 1. */
    static int int8(float x) {
      return (int) Math.max(-127, Math.min(127, Math.rint(127f * x)));
    }

    /** The signs of m values as ⌈m/8⌉ bytes (0 … 255), the first value in the highest bit. */
    static int[] packedSigns(float[] rows, int off, int m) {
      int[] out = new int[(m + 7) / 8];
      for (int j = 0; j < m; j++) {
        if (rows[off + j] > 0) {
          out[j >> 3] |= 0x80 >>> (j & 7);
        }
      }
      return out;
    }
  }
}
