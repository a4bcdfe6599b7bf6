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
    description = "Create a model directory (config.json, model.safetensors).",
    subcommands = {ModelCommand.Init.class})
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
}
