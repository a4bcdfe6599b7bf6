package dev.mtk.cli;

import dev.mtk.core.console.ProgressBar;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.experiments.search.TextIndex;
import dev.mtk.models.inference.EmbeddingModel;
import dev.mtk.search.index.BatchedSearch;
import dev.mtk.search.index.Funnel;
import dev.mtk.search.index.IdFile;
import dev.mtk.search.index.IndexFile;
import dev.mtk.search.index.Metric;
import dev.mtk.search.index.Precision;
import dev.mtk.search.index.ShardedIndex;
import dev.mtk.search.index.ShardedSearch;
import dev.mtk.search.index.VectorIndex;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Build, extend, inspect and query a vector index. */
@Command(name = "index", mixinStandardHelpOptions = true,
    description = "Vector indexes over Matryoshka embeddings: exact, int8 or binary scans at any "
        + "prefix, and funnels (short prefix first, exact rescoring after). Format: docs/SEARCH.md.",
    subcommands = {IndexCommand.Build.class, IndexCommand.Add.class, IndexCommand.Search.class,
        IndexCommand.Info.class})
final class IndexCommand extends Shared.Group {

  /** What to index: vectors from a .npy, or texts that a model embeds (and the index keeps). */
  static final class Source {
    @Option(names = "--vectors", description = "N × d float32 .npy.")
    Path vectors;

    @Option(names = "--model", description = "Embed --input with this model directory (full "
        + "width, L2-normalised); the index keeps each row's text for query and search.")
    Path model;

    @Option(names = "--input", description = "With --model: docs.jsonl ({\"text\": …} lines) or a "
        + "text file; for an image model, an image, a folder of images or a list of image paths "
        + "(the index keeps each path).")
    Path input;

    @Option(names = "--ids", description = "Text file, one 64-bit integer id per line "
        + "(default: row numbers, or continuing after the largest id).")
    Path ids;

    void check() {
      if ((vectors == null) == (model == null) || (model != null) != (input != null)) {
        throw new IllegalArgumentException("give either --vectors FILE.npy, or --model DIR and --input docs.jsonl");
      }
    }

    /** Writes (build) or appends (add) the rows, returning how many the call brought. */
    long apply(Path index, boolean build, Metric metric, Precision precision, IndexFile.Progress p,
        WorkerPool pool) throws Exception {
      check();
      if (model == null) {
        Inputs.mustExist(List.of(vectors));
        return TextIndex.fromVectors(vectors, ids, !build, metric, precision, index, p);
      }
      EmbeddingModel m = EmbeddingModel.load(model, pool);
      if (!Inputs.isTexts(m, input)) {
        List<Path> files = dev.mtk.tokenizers.image.ImageFiles.list(input, m.fileKind());
        long[] idList = ids == null ? null : IdFile.read(ids, files.size());
        return build ? TextIndex.buildImages(m, files, idList, metric, precision, index, p).rows()
            : TextIndex.addImages(m, index, files, idList, p).rows();
      }
      List<String> texts = Inputs.texts(input);
      long[] idList = ids == null ? null : IdFile.read(ids, texts.size());
      return build ? TextIndex.build(m, texts, null, idList, metric, precision, index, p).rows()
          : TextIndex.add(m, index, texts, idList, p).rows();
    }
  }

  @Command(name = "build", mixinStandardHelpOptions = true,
      description = {"Build an index from a float32 .npy of N × d vectors, or from texts that "
          + "--model embeds (the index then keeps each row's text)."})
  static final class Build implements Callable<Integer> {
    @Mixin Source source;

    @Option(names = "--metric", defaultValue = "cosine",
        description = "ip, cosine or l2 (default ${DEFAULT-VALUE}).")
    String metric;

    @Option(names = "--precision", defaultValue = "f32", description = "What scans read: f32, "
        + "int8 or binary (default ${DEFAULT-VALUE}); floats are kept for exact rescoring.")
    String precision;

    @Option(names = "--output", required = true, description = "Index directory to write.")
    Path output;

    @Mixin Shared.Threads threads;

    @Override
    public Integer call() throws Exception {
      Metric met = Metric.parse(metric);
      Precision prec = Precision.parse(precision);
      ProgressBar bar = new ProgressBar("rows");
      long start = System.nanoTime();
      try (WorkerPool pool = threads.pool()) {
        long rows = source.apply(output, true, met, prec, (done, total) -> bar.update("indexing", done, total), pool);
        bar.finish(String.format(Locale.ROOT, "indexed %,d rows (%s, %s) in %.1f s → %s", rows,
            met.id(), prec.id(), (System.nanoTime() - start) / 1e9, output));
      }
      return 0;
    }
  }

  @Command(name = "add", mixinStandardHelpOptions = true,
      description = {"Append vectors (or texts, with --model, to an index that keeps texts) to an "
          + "index. The index file is rewritten atomically; int8 ranges stay as calibrated at "
          + "build time (rebuild to recalibrate)."})
  static final class Add implements Callable<Integer> {
    @Option(names = "--index", required = true, description = "Index directory.")
    Path index;

    @Mixin Source source;
    @Mixin Shared.Threads threads;

    @Override
    public Integer call() throws Exception {
      ProgressBar bar = new ProgressBar("rows");
      try (WorkerPool pool = threads.pool()) {
        long rows = source.apply(index, false, null, null, (done, total) -> bar.update("rewriting", done, total), pool);
        bar.finish(String.format(Locale.ROOT, "appended %,d rows to %s", rows, index));
      }
      return 0;
    }
  }

  @Command(name = "info", mixinStandardHelpOptions = true,
      description = "Verify an index's checksums and print what it holds (one JSON object).")
  static final class Info implements Callable<Integer> {
    @Option(names = "--index", required = true, description = "Index directory.")
    Path index;

    @Override
    public Integer call() throws Exception {
      if (ShardedIndex.isSharded(index)) {
        var m = ShardedIndex.read(index);
        var o = new java.util.LinkedHashMap<String, Object>();
        o.put("dir", index.toString());
        o.put("count", m.count());
        o.put("dim", m.dim());
        o.put("metric", m.metric().id());
        o.put("precision", m.precision().id());
        o.put("texts", m.texts());
        o.put("shards", m.shards().size());
        long bytes = 0;
        for (int i = 0; i < m.shards().size(); i++) {
          try (VectorIndex ix = ShardedIndex.openShard(index, m, i)) {
            bytes += java.nio.file.Files.size(ix.file());
          }
        }
        o.put("bytes", bytes);
        o.put("checksums", "ok");
        System.out.println(Inputs.json().writeValueAsString(o));
        return 0;
      }
      System.out.println(Inputs.json().writeValueAsString(IndexFile.info(index)));
      return 0;
    }
  }

  @Command(name = "search", mixinStandardHelpOptions = true,
      description = {"Top-k for every row of a queries .npy, written as JSON Lines "
          + "{\"ids\": [...], \"scores\": [...]} in query order (and \"texts\" when the index keeps them).",
          "--index may be a sharded index (./mtk spark index build): its shards are searched one "
              + "after another and merged, with the results of one index of the same rows.",
          "Queries: embed them with ./mtk embed --model M --input q.jsonl --output q.npy. To search "
              + "with one text, ./mtk query --model M --index IX \"text\".",
          "Scores: ip and cosine higher is better; l2 is the squared distance (lower is better)."
              + " Without --funnel an int8 or binary index returns its approximate scores."})
  static final class Search implements Callable<Integer> {
    @Option(names = "--index", required = true, description = "Index directory.")
    Path index;

    @Option(names = "--queries", required = true, description = "Q × d (or Q × m) float32 .npy.")
    Path queries;

    @Option(names = {"--k", "--top"}, defaultValue = "10", description = "Results per query (default ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--dim", description = "Matryoshka prefix m ≤ d to search at (default: d).")
    Integer dim;

    @Option(names = "--funnel", description = "dim:shortlist stages, e.g. 16:1000,64:200: the first"
        + " scans the index's codes at that prefix, the rest rescore with exact floats. An adaptive "
        + "first stage, 32:1000~0.05, passes on only its candidates within 0.05 of its k-th best "
        + "score (at least k). auto[:RECALL] (default 0.99) or DIM:auto[:RECALL] fits that bound and "
        + "margin first, for recall@k against exact search (see --calibration).")
    String funnel;

    @Option(names = "--calibration", paramLabel = "Q.npy", description = "With --funnel auto: the "
        + "queries to fit it on (default: " + dev.mtk.search.index.FunnelCalibration.SAMPLE
        + " database rows, each not counting itself). Use queries like yours, not the ones you measure.")
    Path calibration;

    @Option(names = "--batch", defaultValue = "1000", description = "Queries per call (default "
        + "${DEFAULT-VALUE}); 1 measures single-query latency.")
    int batch;

    @Option(names = "--output", required = true, description = "results.jsonl to write.")
    Path output;

    @Option(names = "--warmup", defaultValue = "3", description = "Seconds of untimed queries "
        + "first, so that the JIT has compiled the search (default ${DEFAULT-VALUE}; 0 times a cold "
        + "start). The results file is written from the timed pass.")
    double warmup;

    @Mixin Shared.Threads threads;
    @Mixin Shared.Json json;

    @Override
    public Integer call() throws Exception {
      Inputs.mustExist(List.of(queries));
      if (ShardedIndex.isSharded(index)) {
        return searchShards();
      }
      try (VectorIndex ix = IndexFile.open(index); WorkerPool pool = threads.pool()) {
        var r = BatchedSearch.run(ix, queries, Inputs.positive(dim, "--dim"), k, funnel, calibration,
            batch, warmup, pool);
        if (r.calibration() != null) {
          System.err.println("funnel " + funnel + ": " + r.calibration().describe());
        }
        r.run().writeJsonl(output, ix);
        System.err.printf(Locale.ROOT, "%,d queries in %.3f s: %.1f QPS (%d threads, batch %d); "
            + "per query %,d vectors scored, %,d bytes read%n", r.run().queries(), r.run().seconds(),
            r.summary().get("qps"), pool.threads(), batch, r.cost().vectorsScored(), r.cost().bytesRead());
        if (r.summary().containsKey("recall_vs_exact")) {
          System.err.printf(Locale.ROOT, "recall@%d against exact search %.4f%s%n", k,
              (double) r.summary().get("recall_vs_exact"), r.summary().containsKey("reranked_per_query")
                  ? String.format(Locale.ROOT, ", %.1f candidates rescored per query",
                      (double) r.summary().get("reranked_per_query")) : "");
        }
        if (json.json) {
          System.out.println(Inputs.json().writeValueAsString(r.summary()));
        }
      }
      return 0;
    }

    /** The same search over a sharded index's shards, one after another, merged as one index. */
    private int searchShards() throws Exception {
      if (funnel != null && dev.mtk.search.index.FunnelCalibration.parseAuto(funnel) != null) {
        throw new IllegalArgumentException("--funnel auto is fitted on one index: over shards give the "
            + "ladder it chose (e.g. 16:1000,64:200; fit it with ./mtk index search on one shard)");
      }
      if (calibration != null) {
        throw new IllegalArgumentException("--calibration goes with --funnel auto, which shards do not take");
      }
      try (WorkerPool pool = threads.pool(); ShardedIndex.Local shards = new ShardedIndex.Local(index, pool)) {
        var r = ShardedSearch.run(shards, queries, Inputs.positive(dim, "--dim"), k,
            funnel == null ? null : Funnel.parse(funnel), batch, warmup, pool.threads());
        r.run().writeJsonl(output, shards.manifest().texts() ? shards::text : null);
        System.err.printf(Locale.ROOT, "%,d queries over %d shards in %.3f s: %.1f QPS (%d threads, batch %d); "
            + "per query %,d vectors scored, %,d bytes read%n", r.run().queries(), shards.manifest().shards().size(),
            r.run().seconds(), r.summary().get("qps"), pool.threads(), batch, r.cost().vectorsScored(),
            r.cost().bytesRead());
        if (r.summary().containsKey("recall_vs_exact")) {
          System.err.printf(Locale.ROOT, "recall@%d against exact search %.4f%n", k,
              (double) r.summary().get("recall_vs_exact"));
        }
        if (json.json) {
          System.out.println(Inputs.json().writeValueAsString(r.summary()));
        }
      }
      return 0;
    }
  }
}
