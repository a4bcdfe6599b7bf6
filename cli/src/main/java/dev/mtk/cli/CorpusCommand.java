package dev.mtk.cli;

import dev.mtk.tokenizers.text.formats.TextSources;
import dev.mtk.training.data.WordNet;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Built-in corpora written to files, for tokenizer training and benchmarks. */
@Command(name = "corpus", mixinStandardHelpOptions = true,
    description = "Write a built-in corpus to a file (no download).",
    subcommands = {CorpusCommand.Glosses.class})
final class CorpusCommand extends Shared.Group {

  @Command(name = "wordnet-glosses", mixinStandardHelpOptions = true,
      description = "Every WordNet 3.1 gloss (definition and examples), one per line: "
          + "117,791 lines, about 9 MB.")
  static final class Glosses implements Callable<Integer> {
    @Option(names = "--output", required = true,
        description = "File to write; .jsonl gives {\"text\": …} lines, anything else plain text.")
    Path output;

    @Override
    public Integer call() throws Exception {
      List<String> glosses = WordNet.load().stream().map(WordNet.Synset::gloss).toList();
      long bytes = TextSources.writeAll(output, glosses);
      System.err.printf("wrote %d glosses (%.1f MB) to %s%n", glosses.size(), bytes / 1e6, output);
      return 0;
    }
  }
}
