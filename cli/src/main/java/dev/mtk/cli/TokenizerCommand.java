package dev.mtk.cli;

import dev.mtk.core.console.ProgressBar;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.tokenizers.text.bpe.BpeTrainer;
import dev.mtk.tokenizers.text.formats.HuggingFaceJson;
import dev.mtk.tokenizers.text.formats.IdsFiles;
import dev.mtk.tokenizers.text.normalize.Normalizer;
import dev.mtk.tokenizers.text.pretokenize.PreTokenizer;
import dev.mtk.tokenizers.text.formats.TextSources;
import dev.mtk.tokenizers.text.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Train, encode and decode with byte-level BPE tokenizers. */
@Command(name = "tokenizer", mixinStandardHelpOptions = true,
    description = "Train byte-level BPE tokenizers; encode and decode JSON Lines.",
    subcommands = {TokenizerCommand.Train.class, TokenizerCommand.Encode.class,
        TokenizerCommand.Decode.class})
final class TokenizerCommand extends Shared.Group {

  /** --encoding or --tokenizer. */
  static final class Which {
    @Option(names = "--encoding", description = "A built-in encoding: cl100k_base or o200k_base.")
    String encoding;

    @Option(names = "--tokenizer", description = "A Hugging Face tokenizer.json (byte-level BPE).")
    Path file;

    Tokenizer load() {
      return Inputs.tokenizer(encoding, file);
    }
  }

  @Command(name = "train", mixinStandardHelpOptions = true,
      description = "Train byte-level BPE on text files (one document per line) or JSON Lines "
          + "({\"text\": …}; .jsonl/.json) and save it as a Hugging Face tokenizer.json.")
  static final class Train implements Callable<Integer> {
    @Option(names = "--input", required = true, arity = "1..*", description = "Corpus files.")
    List<Path> inputs;

    @Option(names = "--vocab-size", required = true,
        description = "Tokens in all: 256 bytes + merges + special tokens.")
    int vocabSize;

    @Option(names = "--min-frequency", defaultValue = "2",
        description = "Stop when the best pair occurs fewer times (default ${DEFAULT-VALUE}).")
    int minFrequency;

    @Option(names = "--special", arity = "1..*",
        description = "Special tokens, e.g. --special '<|endoftext|>' '[CLS]'; they get the last ids.")
    List<String> specials = new ArrayList<>();

    @Option(names = "--pattern", defaultValue = "o200k",
        description = "Pre-tokenizer split: gpt2, cl100k or o200k (default ${DEFAULT-VALUE}).")
    String pattern;

    @Option(names = "--max-token-length", defaultValue = "0",
        description = "Longest token in bytes; 0 for no limit (default ${DEFAULT-VALUE}).")
    int maxTokenLength;

    @Option(names = {"--unicode-norm", "--normalize"}, defaultValue = "none",
        description = "Unicode normalisation of the text: none, nfc, nfkc or lowercase (default ${DEFAULT-VALUE}).")
    String normalize;

    @Mixin Shared.Threads threads;

    @Option(names = "--output", required = true, description = "tokenizer.json to write.")
    Path output;

    @Mixin Shared.Json json;

    @Override
    public Integer call() throws IOException {
      Inputs.mustExist(inputs);
      BpeTrainer.Config config = new BpeTrainer.Config(vocabSize, minFrequency, specials,
          PreTokenizer.named(pattern), maxTokenLength, Normalizer.named(normalize));
      ProgressBar bar = new ProgressBar("");
      long start = System.nanoTime();
      Tokenizer t;
      long bytes;
      try (WorkerPool pool = threads.pool();
          TextSources.Reader reader = TextSources.open(inputs)) {
        t = BpeTrainer.train(reader, config, pool, bar::update);
        bytes = reader.bytesRead();
      }
      double secs = (System.nanoTime() - start) / 1e9;
      HuggingFaceJson.save(t, output);
      int merges = t.vocabSize() - 256 - t.specialTokens().size();
      bar.finish(String.format(Locale.ROOT, "trained %d tokens (%d merges) on %.1f MB in %.2f s; wrote %s",
          t.vocabSize(), merges, bytes / 1e6, secs, output));
      if (t.vocabSize() < vocabSize) {
        System.err.printf("mtk: note: stopped at %d tokens: no pair occurs %d times or more%n",
            t.vocabSize(), minFrequency);
      }
      if (json.json) {
        Inputs.printJson("vocab_size", t.vocabSize(), "merges", merges, "seconds", secs, "mb", bytes / 1e6,
            "output", output.toString());
      }
      return 0;
    }
  }

  @Command(name = "encode", mixinStandardHelpOptions = true,
      description = "JSON Lines {\"text\": …} in, one {\"ids\": […]} line per input line out, in order.")
  static final class Encode implements Callable<Integer> {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Which which;

    @Option(names = "--input", required = true, description = "docs.jsonl")
    Path input;

    @Option(names = "--output", required = true, description = "ids.jsonl (written atomically)")
    Path output;

    @Mixin Shared.Threads threads;

    @Option(names = "--allow-special", defaultValue = "none",
        description = "none: text containing a special token is an error (tiktoken's default); "
            + "all: special tokens become their ids; ordinary: they are encoded as text.")
    String allowSpecial;

    @Override
    public Integer call() throws IOException {
      Inputs.mustExist(List.of(input));
      Tokenizer t = which.load();
      IdsFiles.Counts c;
      try (WorkerPool pool = threads.pool()) {
        c = IdsFiles.encode(t, input, output, IdsFiles.Special.parse(allowSpecial), pool);
      }
      System.err.printf("encoded %d lines into %d tokens; wrote %s%n", c.lines(), c.tokens(), output);
      return 0;
    }
  }

  @Command(name = "decode", mixinStandardHelpOptions = true,
      description = "JSON Lines {\"ids\": […]} in, one {\"text\": …} line per input line out.")
  static final class Decode implements Callable<Integer> {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Which which;

    @Option(names = "--input", required = true, description = "ids.jsonl")
    Path input;

    @Option(names = "--output", required = true, description = "docs.jsonl (written atomically)")
    Path output;

    @Override
    public Integer call() throws IOException {
      Inputs.mustExist(List.of(input));
      long lines = IdsFiles.decode(which.load(), input, output);
      System.err.printf("decoded %d lines; wrote %s%n", lines, output);
      return 0;
    }
  }
}
