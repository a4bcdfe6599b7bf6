package dev.mtk.cli;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.experiments.serve.EmbeddingServer;
import dev.mtk.models.inference.EmbeddingModel;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Models behind OpenAI's embeddings API (and an index behind /v1/search), until stopped. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = {"Serve models over HTTP, OpenAI-compatible: POST /v1/embeddings ({\"input\": "
        + "\"text\", [\"texts\"], token ids, or {\"image\" | \"audio\" | \"video\": BASE64} items, \"model\", "
        + "\"dimensions\", \"encoding_format\": float | base64 | int8 | uint8 | binary | ubinary}); with --index, "
        + "POST /v1/search ({\"query\" or \"vector\", \"k\", \"dimensions\", \"funnel\"}); GET /v1/models, "
        + "GET /health, GET /metrics (Prometheus). Loopback only unless --host says otherwise.",
        "dimensions cuts each row to its first m values and renormalises — the bits of mtk embed --dim m — "
            + "and is refused for a model without Matryoshka nesting unless --allow-truncation. Requests "
            + "wait in a bounded queue (full: 429, Retry-After) and are embedded a batch at a time. "
            + "Ctrl-C or SIGTERM lets the requests in flight finish. Docs: docs/SERVING.md."})
final class ServeCommand implements Callable<Integer> {

  @Option(names = "--model", required = true, paramLabel = "[NAME=]DIR", description = "A model directory, "
      + "served as NAME (default: the directory's name, or its run's for RUN/model); repeat for several.")
  List<String> models;

  @Option(names = "--index", paramLabel = "IX", description = "An index directory (mtk index build) that "
      + "POST /v1/search searches; its queries are embedded by the model the request names.")
  Path index;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--port", defaultValue = "8080", description = "Port (default ${DEFAULT-VALUE}; 0: any free one).")
  int port;

  @Option(names = "--default-dimensions", defaultValue = "0", paramLabel = "M",
      description = "The size when a request names none (default: the full width).")
  int defaultDimensions;

  @Option(names = "--allow-truncation", description = "Serve dimensions for models without Matryoshka nesting too.")
  boolean allowTruncation;

  @Option(names = "--max-inputs", defaultValue = "2048", description = "Inputs per request (default ${DEFAULT-VALUE}).")
  int maxInputs;

  @Option(names = "--max-body-bytes", defaultValue = "4194304", description = "Request body size (default ${DEFAULT-VALUE}).")
  int maxBody;

  @Option(names = "--queue", defaultValue = "256", description = "Requests waiting at most; beyond, 429 (default ${DEFAULT-VALUE}).")
  int queue;

  @Option(names = "--max-in-flight", defaultValue = "256", description = "Requests being read, queued or answered "
      + "at once; one more gets a 429 before its body is read (default ${DEFAULT-VALUE}): memory holds at most this "
      + "many request bodies (--max-body-bytes each).")
  int maxInFlight;

  @Option(names = "--max-batch-inputs", defaultValue = "256", description = "Inputs gathered into one encoder call (default ${DEFAULT-VALUE}).")
  int maxBatch;

  @Option(names = "--max-wait-ms", defaultValue = "5", description = "How long a batch waits for more requests (default ${DEFAULT-VALUE}).")
  int maxWait;

  @Option(names = "--api-key-file", paramLabel = "FILE", description = "Accept only requests with "
      + "Authorization: Bearer KEY for a KEY on a line of FILE (# comments and blank lines skipped); "
      + "401 otherwise. /health needs no key.")
  Path apiKeyFile;

  @Option(names = "--truncate", description = "Cut inputs longer than the model's max_seq_len (as mtk embed "
      + "does) when a request does not say; without it they get a 400 naming the input and the limit. A "
      + "request's \"truncate\": true|false wins.")
  boolean truncate;

  @Mixin Shared.Threads threads;

  @Override
  public Integer call() throws Exception {
    List<String> keys = List.of();
    if (apiKeyFile != null) {
      Inputs.mustExist(List.of(apiKeyFile));
      keys = java.nio.file.Files.readAllLines(apiKeyFile).stream().map(String::strip)
          .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
      if (keys.isEmpty()) {
        throw new IllegalArgumentException(apiKeyFile + ": no API key in it (one per line)");
      }
    }
    var settings = new EmbeddingServer.Settings(host, port, maxBody, maxInputs, maxBatch, maxWait, queue,
        defaultDimensions, allowTruncation, keys).withTruncate(truncate).withMaxInFlight(maxInFlight);
    try (WorkerPool pool = threads.pool()) {
      Map<String, EmbeddingModel> loaded = new LinkedHashMap<>();
      for (String spec : models) {
        int eq = spec.indexOf('=');
        Path dir = Path.of(eq < 0 ? spec : spec.substring(eq + 1)).toAbsolutePath().normalize();
        String name = eq >= 0 ? spec.substring(0, eq)
            : dir.getFileName().toString().equals("model") && dir.getParent() != null
                ? dir.getParent().getFileName().toString() : dir.getFileName().toString();
        if (loaded.containsKey(name)) {
          throw new IllegalArgumentException("two models named '" + name + "': give NAME=DIR");
        }
        loaded.put(name, EmbeddingModel.load(dir, pool));
      }
      var ix = index == null ? null : dev.mtk.search.index.IndexFile.open(index);
      EmbeddingServer server = EmbeddingServer.start(loaded, settings, ix, pool);
      CountDownLatch stopped = new CountDownLatch(1);
      Thread hook = new Thread(() -> {
        System.err.println("mtk serve: stopping (requests in flight get 5 s)");
        server.close(5);
        if (ix != null) {
          ix.close();
        }
        stopped.countDown();
      });
      Runtime.getRuntime().addShutdownHook(hook);
      System.err.printf("mtk serve: %s on http://%s:%d (POST /v1/embeddings, %sGET /v1/models, GET /health, GET /metrics)%n",
          loaded.keySet(), host, server.port(), ix == null ? "" : "POST /v1/search over " + ix.count() + " rows, ");
      stopped.await();
    }
    return 0;
  }
}
