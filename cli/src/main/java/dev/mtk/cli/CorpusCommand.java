package dev.mtk.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtk.core.io.AtomicFile;
import dev.mtk.training.data.WordNet;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Built-in corpora written to files, for tokenizer training and benchmarks. */
@Command(name = "corpus", mixinStandardHelpOptions = true,
    description = "Write a built-in corpus to a file (no download).",
    subcommands = {CorpusCommand.Glosses.class})
final class CorpusCommand implements Runnable {

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  @Command(name = "wordnet-glosses", mixinStandardHelpOptions = true,
      description = "Every WordNet 3.1 gloss (definition and examples), one per line: "
          + "117,791 lines, about 9 MB.")
  static final class Glosses implements Callable<Integer> {
    @Option(names = "--output", required = true,
        description = "File to write; .jsonl gives {\"text\": …} lines, anything else plain text.")
    Path output;

    @Override
    public Integer call() throws Exception {
      List<WordNet.Synset> synsets = WordNet.load();
      boolean jsonl = dev.mtk.tokenizers.text.formats.TextSources.isJsonLines(output);
      ObjectMapper json = Inputs.JSON;
      long[] bytes = {0};
      AtomicFile.write(output, out -> {
        for (WordNet.Synset s : synsets) {
          String gloss = s.gloss().replace('\n', ' ');
          byte[] line = (jsonl ? json.writeValueAsString(java.util.Map.of("text", gloss)) : gloss)
              .getBytes(StandardCharsets.UTF_8);
          out.write(line);
          out.write('\n');
          bytes[0] += line.length + 1;
        }
      });
      System.err.printf("wrote %d glosses (%.1f MB) to %s%n", synsets.size(), bytes[0] / 1e6, output);
      return 0;
    }
  }
}
