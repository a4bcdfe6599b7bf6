package dev.mtk.cli;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.experiments.search.TextIndex;
import dev.mtk.models.inference.EmbeddingModel;
import dev.mtk.search.index.Funnel;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** One query (a text, or an image) against an index that keeps texts or paths, at any prefix size. */
@Command(name = "query", mixinStandardHelpOptions = true,
    description = {"Search an index with a text (or an image, --image), at any Matryoshka prefix.",
        "--index is an index built with --model (index build --model M --input docs.jsonl, or "
            + "--input IMAGES for an image model), or the WordNet index the quickstart leaves at "
            + "RUN/index. Without --index, every WordNet answer is embedded first (slow: minutes "
            + "for a large model)."})
final class QueryCommand implements Callable<Integer> {

  @Option(names = "--model", required = true, description = "Model directory (e.g. RUN/model).")
  Path model;

  @Option(names = "--index", description = "Index directory that keeps texts (default: WordNet, "
      + "embedded now).")
  Path index;

  @Option(names = "--dim", description = "Matryoshka prefix size (default: the full embedding).")
  Integer dim;

  @Option(names = {"--k", "--top"}, defaultValue = "10", description = "How many hits (default ${DEFAULT-VALUE}).")
  int k;

  @Option(names = "--funnel", description = "dim:shortlist stages, e.g. 16:1000 (see index search).")
  String funnel;

  @Mixin Shared.Threads threads;
  @Mixin Shared.Json json;

  @Option(names = {"--image", "--clip"}, paramLabel = "FILE", description = "A file as the query for a "
      + "patch model: an image, an audio clip (.wav) or a video clip (.y4m), as the model takes, against "
      + "an index of such files (the hits are the indexed paths).")
  Path image;

  @Parameters(arity = "0..*", description = "The query, e.g. \"a large natural stream of water\".")
  List<String> words;

  @Override
  public Integer call() throws Exception {
    if ((image == null) == (words == null || words.isEmpty())) {
      throw new IllegalArgumentException("give a text query or --image FILE (one of them)");
    }
    if (image != null) {
      Inputs.mustExist(List.of(image));
      if (index == null) {
        throw new IllegalArgumentException("--image needs --index: an index of images built with "
            + "index build --model MODEL --input IMAGES");
      }
    }
    String query = image != null ? image.toString() : String.join(" ", words);
    try (WorkerPool pool = threads.pool()) {
      Funnel f = funnel == null ? null : Funnel.parse(funnel);
      var opening = index == null ? null
          : TextIndex.openWarm(index, Inputs.positive(dim, "--dim"), k, f, pool);
      EmbeddingModel m = EmbeddingModel.load(model, pool);
      // a text↔speech model takes either: words against an index of clips, a clip against texts
      if (m.textTower() == null && (m.imageFormat() != null) != (image != null)) {
        throw new IllegalArgumentException(m.imageFormat() != null
            ? model + " is " + switch (m.fileKind()) {
                case IMAGE -> "an image model: query it with --image FILE";
                case AUDIO -> "an audio model: query it with --clip FILE.wav";
                case VIDEO -> "a video model: query it with --clip FILE.y4m";
              }
            : model + " is a text model: query it with words, not --image");
      }
      if (index == null) {
        System.err.println("embedding every WordNet answer (give --index RUN/index to skip this)…");
      }
      TextIndex.withIndex(opening == null ? null : opening.get(), m, vi -> {
        long start = System.nanoTime();
        var hits = image != null
            ? TextIndex.queryImage(m, vi, image, Inputs.positive(dim, "--dim"), k, f, pool)
            : TextIndex.query(m, vi, query, Inputs.positive(dim, "--dim"), k, f, pool);
        double ms = (System.nanoTime() - start) / 1e6;
        int at = dim == null ? vi.dim() : dim;
        if (json.json) {
          Inputs.printJson("query", query, "dim", at, "ms", ms, "hits", hits);
          return null;
        }
        System.out.printf(Locale.ROOT, "top %d at %d dimensions for \"%s\" (%.1f ms):%n",
            hits.size(), at, query, ms);
        for (int r = 0; r < hits.size(); r++) {
          String t = hits.get(r).text() == null ? "id " + hits.get(r).id() : hits.get(r).text();
          System.out.printf(Locale.ROOT, "%2d. %.4f  %s%n", r + 1, hits.get(r).score(),
              t.length() > 120 ? t.substring(0, 120) + "…" : t);
        }
        return null;
      });
    }
    return 0;
  }
}
