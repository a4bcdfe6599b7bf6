package dev.mtk.experiments.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtk.experiments.serve.EmbeddingServer;
import dev.mtk.models.inference.EmbedOptions;
import dev.mtk.models.inference.EmbeddingModel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code mtk bench serve}: the embeddings server under load, against the same texts embedded
 * offline. A server is started in this process on a loopback port, or the one at {@code url} is
 * used (a server in another process, so that the clients do not share its JVM); {@code clients}
 * virtual threads each send one short text per request ({@code requests} in all, after a warm-up
 * of as many); latencies are per request, from send to parsed answer. A 429 is counted apart
 * ({@code rejected}: the server's bound doing its work), any other failure as an error. Offline:
 * the same texts through the inference API in one call (best of two after a warm-up).
 */
public final class ServeBench {

  private ServeBench() {}

  public static BenchResult measure(EmbeddingModel model, List<String> texts, int clients, int requests,
      EmbeddingServer.Settings base) throws Exception {
    return measure(model, texts, clients, requests, base, null);
  }

  /** As above; {@code url} (the server's base, http://host:port) null starts one here. */
  public static BenchResult measure(EmbeddingModel model, List<String> texts, int clients, int requests,
      EmbeddingServer.Settings base, URI url) throws Exception {
    if (clients < 1 || requests < clients) {
      throw new IllegalArgumentException("--clients must be at least 1 and at most --requests");
    }
    ObjectMapper json = new ObjectMapper();
    var s = new EmbeddingServer.Settings("127.0.0.1", 0, base.maxBodyBytes(), base.maxInputs(), base.maxBatchInputs(),
        base.maxWaitMs(), Math.max(base.queue(), clients), 0, false).withTruncate(true); // what offline embed does
    double[] ms = new double[requests];
    try (EmbeddingServer server = url == null ? EmbeddingServer.start(Map.of("m", model), s) : null;
        var pool = Executors.newVirtualThreadPerTaskExecutor()) {
      HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(pool).build();
      URI uri = url == null ? URI.create("http://127.0.0.1:" + server.port() + "/v1/embeddings")
          : url.resolve("/v1/embeddings");
      for (int round = 0; round < 2; round++) { // the first round warms the JIT and the connections
        List<Future<int[]>> jobs = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int c = 0; c < clients; c++) {
          int client = c;
          jobs.add(pool.submit(() -> {
            int bad = 0, busy = 0;
            for (int r = client; r < requests; r += clients) {
              String body = json.writeValueAsString(Map.of("input", texts.get(r % texts.size()), "truncate", true));
              long a = System.nanoTime();
              try {
                var resp = http.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
                if (resp.statusCode() == 429) {
                  busy++;
                } else if (resp.statusCode() != 200 || json.readTree(resp.body()).path("data").size() != 1) {
                  bad++;
                }
              } catch (java.io.IOException e) {
                bad++; // a connection the server did not take
              }
              ms[r] = (System.nanoTime() - a) / 1e6;
            }
            return new int[] {bad, busy};
          }));
        }
        int errors = 0, rejected = 0;
        for (Future<int[]> f : jobs) {
          int[] br = f.get();
          errors += br[0];
          rejected += br[1];
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (round == 1) {
          double[] sorted = ms.clone();
          Arrays.sort(sorted);
          List<String> sent = new ArrayList<>();
          for (int r = 0; r < requests; r++) {
            sent.add(texts.get(r % texts.size()));
          }
          double offline = Double.MAX_VALUE;
          for (int k = 0; k < 3; k++) {
            long a = System.nanoTime();
            model.embedTexts(sent, EmbedOptions.DEFAULT);
            if (k > 0) {
              offline = Math.min(offline, (System.nanoTime() - a) / 1e9);
            }
          }
          int served = requests - errors - rejected;
          return new BenchResult("serve").put("clients", clients).put("requests", requests)
              .put("requests_per_s", requests / seconds).put("inputs_per_s", served / seconds)
              .put("p50_ms", sorted[requests / 2]).put("p99_ms", sorted[Math.min(requests - 1, (int) (requests * 0.99))])
              .put("errors", errors).put("rejected_429", rejected).put("offline_inputs_per_s", requests / offline)
              .put("ratio_to_offline", (served / seconds) / (requests / offline))
              .put("server", url == null ? "in process" : url.toString());
        }
      }
    }
    throw new IllegalStateException("unreachable");
  }
}
