package dev.mtk.cli;

import dev.mtk.core.io.Npy;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.encoder.Encoder;
import dev.mtk.models.io.ModelDirectory;
import dev.mtk.tokenizers.text.HuggingFaceJson;
import dev.mtk.tokenizers.text.TextSources;
import dev.mtk.tokenizers.text.Tokenizer;
import dev.mtk.training.eval.Embedder;
import dev.mtk.training.eval.RetrievalMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Text in, Matryoshka embeddings out, one float32 row per input line. */
@Command(name = "embed", mixinStandardHelpOptions = true,
    description = {"Embed texts with a model into a float32 .npy.",
        "Reads JSON Lines {\"text\": …} (or text lines) and writes one L2-normalised row per "
            + "input line, in order."})
final class EmbedCommand implements Callable<Integer> {

  @Option(names = "--model", required = true, description = "Model directory (config.json, "
      + "model.safetensors, tokenizer.json).")
  Path model;

  @Option(names = "--input", required = true, description = "docs.jsonl or a text file.")
  Path input;

  @Option(names = "--output", required = true, description = "emb.npy to write.")
  Path output;

  @Option(names = "--dim", description = "Matryoshka prefix size m ≤ d_model (default: all).")
  Integer dim;

  @Option(names = "--layer", description = "Embed after this layer, 1..layers (default: the last).")
  Integer layer;

  @Option(names = "--batch", defaultValue = "64", description = "Sequences per pass (default ${DEFAULT-VALUE}).")
  int batch;

  @Option(names = "--threads", description = "Threads (default: all cores).")
  Integer threads;

  @Override
  public Integer call() throws Exception {
    Inputs.mustExist(List.of(input));
    Encoder enc = ModelDirectory.load(model);
    Path tokFile = model.resolve(ModelDirectory.TOKENIZER);
    if (!Files.isRegularFile(tokFile)) {
      throw new IllegalArgumentException(model + " has no " + ModelDirectory.TOKENIZER
          + " to turn text into ids (mtk model init --tokenizer FILE puts one there)");
    }
    Tokenizer tok = HuggingFaceJson.load(tokFile);
    var c = enc.config();
    if (c.patchDim() > 0) {
      throw new IllegalArgumentException(model + " takes continuous tokens (patch_dim "
          + c.patchDim() + "), not text");
    }
    int width = c.embeddingSize();
    int m = dim == null ? width : dim;
    if (m < 1 || m > width) {
      throw new IllegalArgumentException("--dim must be in 1.." + width);
    }
    int at = layer == null ? c.layers() : layer;
    if (at < 1 || at > c.layers()) {
      throw new IllegalArgumentException("--layer must be in 1.." + c.layers());
    }
    if (batch < 1) {
      throw new IllegalArgumentException("--batch must be at least 1");
    }
    if (tok.vocabSize() > c.vocabSize()) {
      throw new IllegalArgumentException("the tokenizer has " + tok.vocabSize() + " tokens but the "
          + "model only " + c.vocabSize());
    }
    List<int[]> docs = new ArrayList<>();
    int truncated = 0, empty = 0;
    try (TextSources.Reader r = TextSources.open(List.of(input))) {
      while (r.hasNext()) {
        int[] ids = tok.encodeOrdinary(r.next());
        if (ids.length > c.maxSeqLen()) {
          ids = java.util.Arrays.copyOf(ids, c.maxSeqLen());
          truncated++;
        }
        if (ids.length == 0) {
          empty++;
        }
        docs.add(ids);
      }
    }
    float[] full;
    try (WorkerPool pool = new WorkerPool(TokenizerCommand.threads(threads))) {
      full = Embedder.embed(enc, pool, docs, batch, at);
    }
    float[] out = RetrievalMetrics.prefix(full, docs.size(), width, m);
    for (int i = 0; i < docs.size(); i++) {
      if (docs.get(i).length == 0) {
        // an empty text has no tokens: its row is zero rather than some token's embedding
        java.util.Arrays.fill(out, i * m, (i + 1) * m, 0f);
      }
    }
    Npy.writeFloat32(output, out, docs.size(), m);
    if (truncated > 0) {
      System.err.printf("mtk: note: %d texts were longer than %d tokens and were truncated%n", truncated, c.maxSeqLen());
    }
    if (empty > 0) {
      System.err.printf("mtk: note: %d empty texts have all-zero rows%n", empty);
    }
    System.err.printf("embedded %d texts at dim %d (layer %d); wrote %s%n", docs.size(), m, at, output);
    return 0;
  }
}
