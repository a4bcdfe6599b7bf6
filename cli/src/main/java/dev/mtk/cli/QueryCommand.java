package dev.mtk.cli;

import dev.mtk.core.kernel.TopK;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.encoder.Encoder;
import dev.mtk.models.io.ModelDirectory;
import dev.mtk.tokenizers.text.HuggingFaceJson;
import dev.mtk.training.data.WordNet;
import dev.mtk.training.eval.Embedder;
import dev.mtk.training.eval.RetrievalMetrics;
import dev.mtk.training.task.ReverseDictionary;
import dev.mtk.training.train.Trainer;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** One reverse-dictionary query against every WordNet answer, at any prefix size. */
@Command(name = "query", mixinStandardHelpOptions = true,
    description = {"Find the WordNet words for a description with a trained model.",
        "Embeds the query and all distinct lemma sets, prints the best matches with their scores."})
final class QueryCommand implements Callable<Integer> {

  @Option(names = "--model", required = true, description = "Model directory (e.g. RUN/model).")
  Path model;

  @Option(names = "--dim", description = "Matryoshka prefix size (default: the full embedding).")
  Integer dim;

  @Option(names = "--top", defaultValue = "10", description = "How many answers (default ${DEFAULT-VALUE}).")
  int top;

  @Option(names = "--threads", description = "Threads (default: all cores).")
  Integer threads;

  @Parameters(arity = "1..*", description = "The description, e.g. \"a large natural stream of water\".")
  List<String> words;

  @Override
  public Integer call() throws Exception {
    Encoder enc = ModelDirectory.load(model);
    var tok = HuggingFaceJson.load(model.resolve(ModelDirectory.TOKENIZER));
    int width = enc.config().embeddingSize(), seq = enc.config().maxSeqLen();
    int m = dim == null ? width : dim;
    if (m < 1 || m > width) {
      throw new IllegalArgumentException("--dim must be in 1.." + width);
    }
    if (top < 1) {
      throw new IllegalArgumentException("--top must be at least 1");
    }
    List<WordNet.Synset> synsets = WordNet.load();
    ReverseDictionary data = ReverseDictionary.from(synsets);
    List<String> docs = data.documents();
    // a definition for each answer, to show what it means
    String[] meaning = new String[docs.size()];
    for (var s : ReverseDictionary.Split.values()) {
      for (var e : data.examples(s)) {
        if (meaning[e.document()] == null) {
          meaning[e.document()] = e.query();
        }
      }
    }
    System.err.printf("embedding %d WordNet answers…%n", docs.size());
    try (WorkerPool pool = new WorkerPool(TokenizerCommand.threads(threads))) {
      float[] d = Embedder.embed(enc, pool, Trainer.tokenize(tok, docs, seq, pool), 256);
      float[] qe = Embedder.embed(enc, pool, Trainer.tokenize(tok, List.of(String.join(" ", words)), seq, pool), 1);
      float[] qn = RetrievalMetrics.prefix(qe, 1, width, m);
      float[] dn = RetrievalMetrics.prefix(d, docs.size(), width, m);
      TopK best = new TopK(top);
      for (int j = 0; j < docs.size(); j++) {
        best.offer(j, dev.mtk.core.kernel.Vectors.dot(qn, 0, dn, j * m, m));
      }
      int[] ids = new int[top];
      float[] scores = new float[top];
      int n = best.drainSorted(ids, scores);
      System.out.printf(Locale.ROOT, "top %d at %d dimensions for \"%s\":%n", n, m, String.join(" ", words));
      for (int r = 0; r < n; r++) {
        String def = meaning[ids[r]] == null ? "" : meaning[ids[r]];
        System.out.printf(Locale.ROOT, "%2d. %.4f  %s — %s%n", r + 1, scores[r], docs.get(ids[r]),
            def.length() > 80 ? def.substring(0, 80) + "…" : def);
      }
    }
    return 0;
  }
}
