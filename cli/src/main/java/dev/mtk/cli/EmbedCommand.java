package dev.mtk.cli;

import dev.mtk.core.io.Npy;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.inference.EmbedOptions;
import dev.mtk.models.inference.EmbeddingModel;
import dev.mtk.models.inference.Embeddings;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Texts in, Matryoshka embeddings out, one float32 row per input line. */
@Command(name = "embed", mixinStandardHelpOptions = true,
    description = {"Embed texts, images or audio clips with a model into a float32 .npy.",
        "Reads JSON Lines {\"text\": …} (or text lines) and writes one L2-normalised row per "
            + "input text, in order. Texts are cut to the model's max_seq_len tokens (the first "
            + "kept, and an imported BERT's closing [SEP]); an empty text gives a row of zeros; "
            + "only the tokenizer's own template ([CLS] … [SEP]) is added, and special-token "
            + "strings are ordinary text. Rules: docs/ARCHITECTURE.md, \"Inference\".",
        "An image model (its directory has image.json) reads an image, a folder of images (sorted "
            + "by path) or a text file listing image paths, and writes the row order beside the "
            + "output (emb.paths.txt). An audio model (audio.json beside image.json) reads WAV "
            + "files the same way (a clip, a folder, a list), any rate, made its spectrogram. A "
            + "text↔speech model (task text-speech: text/ beside the audio tower) embeds JSON Lines "
            + "{\"text\": …} through its text tower and clips through its audio tower, into one space.",
        "--adaptive-depth (2D Matryoshka models, trained with loss.adaptive_layers) stops each "
            + "input after the layer where its embedding has stopped moving (or, for a "
            + "classification model, where its head is sure), skipping the remaining layers; the "
            + "layer of each row is written beside the output (emb.layers.txt)."})
final class EmbedCommand implements Callable<Integer> {

  @Option(names = "--model", required = true, description = "Model directory (config.json, "
      + "model.safetensors, tokenizer.json).")
  Path model;

  @Option(names = "--input", required = true, description = "docs.jsonl or a text file; for an "
      + "image model an image, a folder of images, or a list of image paths; for an audio model "
      + "the same of .wav files.")
  Path input;

  @Option(names = "--output", required = true, description = "emb.npy to write.")
  Path output;

  @Option(names = "--dim", description = "Matryoshka prefix size m ≤ d (default: all d).")
  Integer dim;

  @Option(names = "--layer", description = "The model cut after its first l layers, 1..L "
      + "(default: L, the whole model).")
  Integer layer;

  @Option(names = "--adaptive-depth", description = "Early exit: each input stops at the layer it needs "
      + "(the calibration saved with the model).")
  boolean adaptiveDepth;

  @Option(names = "--max-loss", paramLabel = "PERCENT", description = "With --adaptive-depth: the "
      + "relative loss of the dev metric (recall@10) allowed, in percent (default 1).")
  Double maxLoss;

  @Option(names = "--batch", defaultValue = "64", description = "Sequences per pass (default "
      + "${DEFAULT-VALUE}); rows do not depend on it.")
  int batch;

  @Mixin Shared.Threads threads;
  @Mixin Shared.Json json;

  private static String kind(EmbeddingModel m, boolean texts) {
    return texts ? "texts" : m.fileKind() == dev.mtk.tokenizers.image.ImageFiles.Kind.IMAGE ? "images"
        : "clips";
  }

  @Override
  public Integer call() throws Exception {
    try (WorkerPool pool = threads.pool()) {
      EmbeddingModel m = EmbeddingModel.load(model, pool);
      if (adaptiveDepth && layer != null) {
        throw new IllegalArgumentException("--adaptive-depth chooses each input's layer: drop --layer");
      }
      if (maxLoss != null && !adaptiveDepth) {
        throw new IllegalArgumentException("--max-loss goes with --adaptive-depth");
      }
      var options = new EmbedOptions(Inputs.positive(dim, "--dim"), Inputs.positive(layer, "--layer"),
          batch, true);
      if (adaptiveDepth) {
        var chosen = dev.mtk.models.classify.EarlyExits.forModel(model, maxLoss);
        System.err.println("early exit: " + chosen.description());
        options = options.withExit(chosen.rule());
      }
      Embeddings e;
      boolean texts = Inputs.isTexts(m, input);
      if (!texts) {
        String what = m.fileKind().what();
        if (dev.mtk.tokenizers.text.formats.TextSources.isJsonLines(input)) {
          throw new IllegalArgumentException(model + " takes " + what + "s: give " + ("aeiou".indexOf(what.charAt(0)) >= 0 ? "an " : "a ") + what
              + ", a folder of them or a text file listing their paths, not " + input);
        }
        List<Path> files = dev.mtk.tokenizers.image.ImageFiles.list(input, m.fileKind());
        e = m.embedImages(files, options);
        Path order = output.resolveSibling(output.getFileName().toString().replaceFirst("\\.npy$", "") + ".paths.txt");
        dev.mtk.tokenizers.text.formats.TextSources.writeAll(order, files.stream().map(Path::toString).toList());
        System.err.println("row order: " + order);
      } else {
        e = m.embedTexts(Inputs.texts(input), options);
      }
      Npy.writeFloat32(output, e.vectors(), e.rows(), e.dim());
      if (e.truncated() > 0) {
        System.err.printf("mtk: note: %d texts were longer than %d tokens and were truncated%n",
            e.truncated(), m.maxTokens());
      }
      if (e.empty() > 0) {
        System.err.printf("mtk: note: %d empty texts have all-zero rows%n", e.empty());
      }
      int at = layer == null ? m.layers() : layer;
      if (e.layers() != null) {
        Path layers = output.resolveSibling(output.getFileName().toString().replaceFirst("\\.npy$", "") + ".layers.txt");
        dev.mtk.tokenizers.text.formats.TextSources.writeAll(layers,
            java.util.Arrays.stream(e.layers()).mapToObj(Integer::toString).toList());
        System.err.printf("embedded %d %s at dim %d, %.2f layers of %d on average; wrote %s and %s%n", e.rows(),
            kind(m, texts), e.dim(), e.meanLayer(), m.layers(), output, layers);
      } else {
        System.err.printf("embedded %d %s at dim %d (layer %d of %d); wrote %s%n", e.rows(),
            kind(m, texts), e.dim(), at, m.layers(), output);
      }
      if (json.json) {
        Inputs.printJson("rows", e.rows(), "dim", e.dim(), "layer", at, "truncated", e.truncated(),
            "empty", e.empty(), "output", output.toString(), "mean_layer", e.layers() == null ? at : e.meanLayer());
      }
    }
    return 0;
  }
}
