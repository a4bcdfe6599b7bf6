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
    subcommands = {CorpusCommand.Glosses.class, CorpusCommand.SpokenWordsSet.class, CorpusCommand.AsteriskWords.class,
        CorpusCommand.MovingDigitsSet.class})
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

  @Command(name = "spoken-words", mixinStandardHelpOptions = true,
      description = {"A labelled spoken-word set, synthesised offline: each word said by espeak-ng "
          + "(English voices and variants) or flite (its voices) at a drawn speed and pitch, then "
          + "played faster or slower, made louder or quieter, shifted, and mixed with noise at 5-30 dB; "
          + "16 kHz mono WAV under OUTPUT/clips/ and JSON Lines manifests {\"audio\", \"label\", "
          + "\"text\", \"voice\", …}. The same seed gives the same files.",
          "OUTPUT/manifest.jsonl trains on the synthetic clips (train, dev) and tests on the real "
              + "human recordings of asterisk-core-sounds-en-wav (test); OUTPUT/synthetic.jsonl "
              + "keeps a synthetic test split instead. Needs espeak-ng and flite (Debian packages).",
          "Default words: the ten digits and the phonetic alphabet (alpha … zulu), 36 words with real "
              + "recordings."})
  static final class SpokenWordsSet implements Callable<Integer> {
    @Option(names = "--output", required = true, description = "Folder to write.")
    Path output;

    @Option(names = "--words", paramLabel = "FILE", description = "One word per line (optionally TAB and "
        + "its recording's path under /usr/share/asterisk/sounds/en).")
    Path words;

    @Option(names = "--per-word", defaultValue = "100", description = "Clips of each word (default ${DEFAULT-VALUE}).")
    int perWord;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of every choice (default ${DEFAULT-VALUE}).")
    long seed;

    @picocli.CommandLine.Mixin Shared.Threads threads;

    @Override
    public Integer call() throws Exception {
      var list = words == null ? dev.mtk.training.data.SpokenWords.defaultWords()
          : dev.mtk.training.data.SpokenWords.readWords(words);
      var settings = new dev.mtk.training.data.SpokenWords.Settings(list, perWord, seed, threads.count());
      long t0 = System.nanoTime();
      var r = dev.mtk.training.data.SpokenWords.generate(settings, output,
          (done, total) -> System.err.printf("  %d / %d clips%n", done, total));
      System.err.printf("wrote %d synthetic clips of %d words in %.0f s: %s (synthetic train/dev/test)%n",
          r.clips(), list.size(), (System.nanoTime() - t0) / 1e9, r.synthetic());
      if (r.real() > 0) {
        System.err.printf("%s: the synthetic clips as train and dev, %d real recordings as test%n", r.manifest(), r.real());
      } else {
        System.err.println(r.manifest() + ": the same as synthetic.jsonl; " + dev.mtk.training.data.SpokenWords.REAL_MISSING);
      }
      return 0;
    }
  }

  @Command(name = "asterisk-words", mixinStandardHelpOptions = true,
      description = "The manifest of real human recordings (one speaker, 8 kHz, CC-BY-SA 3.0) of the "
          + "spoken-word vocabulary from Debian's asterisk-core-sounds-en-wav: OUTPUT/manifest.jsonl, "
          + "{\"audio\": PATH, \"label\", \"text\", \"split\": \"test\"} per clip (the files stay where "
          + "the package put them).")
  static final class AsteriskWords implements Callable<Integer> {
    @Option(names = "--output", required = true, description = "Folder to write.")
    Path output;

    @Option(names = "--words", paramLabel = "FILE", description = "As for spoken-words.")
    Path words;

    @Override
    public Integer call() throws Exception {
      var list = words == null ? dev.mtk.training.data.SpokenWords.defaultWords()
          : dev.mtk.training.data.SpokenWords.readWords(words);
      var real = dev.mtk.training.data.SpokenWords.real(list);
      if (real.isEmpty()) {
        throw new IllegalArgumentException(dev.mtk.training.data.SpokenWords.REAL_MISSING);
      }
      StringBuilder b = new StringBuilder();
      for (var o : real) {
        b.append(Inputs.json().writeValueAsString(o)).append('\n');
      }
      java.nio.file.Files.createDirectories(output);
      Path f = output.resolve("manifest.jsonl");
      dev.mtk.core.io.AtomicFile.write(f, b.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      System.err.printf("wrote %d real recordings of %d words to %s%n", real.size(), list.size(), f);
      return 0;
    }
  }

  @Command(name = "moving-digits", mixinStandardHelpOptions = true,
      description = {"A video set whose labels need time: clips of one Fashion-MNIST item moving right, "
          + "left, down or up (1-2.5 pixels a frame, bouncing off an edge) on a dark canvas, labelled "
          + "\"CLASS|DIRECTION\" (and \"class\", \"direction\" fields). Grey .y4m files under OUTPUT/clips/ "
          + "and OUTPUT/manifest.jsonl; train and dev clips take training items, test clips test items. "
          + "The same seed gives the same files.",
          "Needs Fashion-MNIST: sudo apt-get install dataset-fashion-mnist, or --data DIR with its four IDX files."})
  static final class MovingDigitsSet implements Callable<Integer> {
    @Option(names = "--output", required = true, description = "Folder to write.")
    Path output;

    @Option(names = "--n", defaultValue = "10000", description = "Clips (default ${DEFAULT-VALUE}; one in twenty dev, one in twenty test).")
    int n;

    @Option(names = "--frames", defaultValue = "16", description = "Frames per clip (default ${DEFAULT-VALUE}).")
    int frames;

    @Option(names = "--size", defaultValue = "64", description = "Canvas side in pixels (default ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of every choice (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--data", paramLabel = "DIR", description = "Fashion-MNIST's IDX folder (default "
        + "/usr/share/datasets/fashion-mnist).")
    Path data;

    @Override
    public Integer call() throws Exception {
      var settings = new dev.mtk.training.data.MovingDigits.Settings(n, frames, size, seed);
      var items = dev.mtk.training.data.LabelledImages.fashionMnist(data);
      long t0 = System.nanoTime();
      Path m = dev.mtk.training.data.MovingDigits.generate(settings, items, output,
          (done, total) -> System.err.printf("  %d / %d clips%n", done, total));
      System.err.printf("wrote %d clips of %d frames of %d×%d in %.0f s: %s%n", n, frames, size, size,
          (System.nanoTime() - t0) / 1e9, m);
      return 0;
    }
  }
}
