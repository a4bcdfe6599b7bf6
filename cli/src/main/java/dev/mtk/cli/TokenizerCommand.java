package dev.mtk.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mtk.core.console.ProgressBar;
import dev.mtk.core.io.AtomicFile;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.tokenizers.text.BpeTrainer;
import dev.mtk.tokenizers.text.HuggingFaceJson;
import dev.mtk.tokenizers.text.Normalizer;
import dev.mtk.tokenizers.text.PreTokenizer;
import dev.mtk.tokenizers.text.TextSources;
import dev.mtk.tokenizers.text.Tokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Train, encode and decode with byte-level BPE tokenizers. */
@Command(name = "tokenizer", mixinStandardHelpOptions = true,
    description = "Train byte-level BPE tokenizers; encode and decode JSON Lines.",
    subcommands = {TokenizerCommand.Train.class, TokenizerCommand.Encode.class,
        TokenizerCommand.Decode.class})
final class TokenizerCommand implements Runnable {

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

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

  static int threads(Integer t) {
    int n = t == null ? WorkerPool.defaultThreads() : t;
    if (n < 1) {
      throw new IllegalArgumentException("--threads must be at least 1");
    }
    return n;
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

    @Option(names = "--normalize", defaultValue = "none",
        description = "none, nfc, nfkc or lowercase (default ${DEFAULT-VALUE}).")
    String normalize;

    @Option(names = "--threads", description = "Threads for counting (default: all cores).")
    Integer threads;

    @Option(names = "--output", required = true, description = "tokenizer.json to write.")
    Path output;

    @Option(names = "--json", description = "Print a JSON summary as the last line.")
    boolean json;

    @Override
    public Integer call() throws IOException {
      Inputs.mustExist(inputs);
      Normalizer normalizer = switch (normalize.toLowerCase(Locale.ROOT)) {
        case "none" -> null;
        case "nfc" -> new Normalizer.Nfc();
        case "nfkc" -> new Normalizer.Nfkc();
        case "lowercase" -> new Normalizer.Lowercase();
        default -> throw new IllegalArgumentException("--normalize must be none, nfc, nfkc or lowercase");
      };
      BpeTrainer.Config config = new BpeTrainer.Config(vocabSize, minFrequency, specials,
          PreTokenizer.named(pattern), maxTokenLength, normalizer);
      ProgressBar bar = new ProgressBar("");
      long start = System.nanoTime();
      Tokenizer t;
      long bytes, invalid;
      try (WorkerPool pool = new WorkerPool(threads(threads));
          TextSources.Reader reader = TextSources.open(inputs)) {
        t = BpeTrainer.train(reader, config, pool, bar::update);
        bytes = reader.bytesRead();
        invalid = reader.invalidUtf8();
      }
      double secs = (System.nanoTime() - start) / 1e9;
      HuggingFaceJson.save(t, output);
      if (invalid > 0) {
        System.err.printf("mtk: warning: %d invalid UTF-8 sequences in the input were read as U+FFFD%n", invalid);
      }
      int merges = t.vocabSize() - 256 - t.specialTokens().size();
      bar.finish(String.format(Locale.ROOT, "trained %d tokens (%d merges) on %.1f MB in %.2f s; wrote %s",
          t.vocabSize(), merges, bytes / 1e6, secs, output));
      if (t.vocabSize() < vocabSize) {
        System.err.printf("mtk: note: stopped at %d tokens: no pair occurs %d times or more%n",
            t.vocabSize(), minFrequency);
      }
      if (json) {
        System.out.println(BenchCommand.json("vocab_size", t.vocabSize(), "merges", merges,
            "seconds", secs, "mb", bytes / 1e6, "output", output.toString()));
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

    @Option(names = "--threads", description = "Threads (default: all cores).")
    Integer threads;

    @Option(names = "--allow-special", defaultValue = "none",
        description = "none: text containing a special token is an error (tiktoken's default); "
            + "all: special tokens become their ids; ordinary: they are encoded as text.")
    String allowSpecial;

    @Override
    public Integer call() throws IOException {
      Inputs.mustExist(List.of(input));
      Tokenizer t = which.load();
      boolean ordinary = allowSpecial.equals("ordinary");
      Set<String> allowed = switch (allowSpecial) {
        case "none", "ordinary" -> Set.of();
        case "all" -> Set.copyOf(t.specialTokens().keySet());
        default -> throw new IllegalArgumentException("--allow-special must be none, all or ordinary");
      };
      long[] counts = new long[3];
      try (WorkerPool pool = new WorkerPool(threads(threads));
          BufferedReader in = Files.newBufferedReader(input, StandardCharsets.UTF_8)) {
        AtomicFile.write(output, out -> {
          List<String> texts = new ArrayList<>();
          long lineNo = 0;
          String line;
          while (true) {
            texts.clear();
            long firstLine = lineNo + 1;
            while (texts.size() < 8192 && (line = in.readLine()) != null) {
              lineNo++;
              texts.add(TextSources.textOf(line, input, lineNo));
            }
            if (texts.isEmpty()) {
              break;
            }
            List<int[]> ids;
            try {
              ids = ordinary ? encodeOrdinary(t, texts, pool) : t.encodeBatch(texts, allowed, pool);
            } catch (dev.mtk.tokenizers.text.SpecialTokenException e) {
              long at = firstLine + texts.indexOf(texts.stream().filter(s -> s.contains(e.token())).findFirst().orElse(""));
              throw new TextSources.InputException(input, at, "contains the special token "
                  + e.token() + "; pass --allow-special all or ordinary");
            }
            StringBuilder sb = new StringBuilder();
            for (int[] a : ids) {
              sb.setLength(0);
              sb.append("{\"ids\": [");
              for (int i = 0; i < a.length; i++) {
                if (i > 0) {
                  sb.append(", ");
                }
                sb.append(a[i]);
              }
              sb.append("]}\n");
              out.write(sb.toString().getBytes(StandardCharsets.US_ASCII));
              counts[1] += a.length;
            }
            counts[0] += texts.size();
          }
        });
      }
      System.err.printf("encoded %d lines into %d tokens; wrote %s%n", counts[0], counts[1], output);
      return 0;
    }

    private static List<int[]> encodeOrdinary(Tokenizer t, List<String> texts, WorkerPool pool) {
      int[][] r = new int[texts.size()][];
      pool.forEach(texts.size(), i -> r[i] = t.encodeOrdinary(texts.get(i)));
      return java.util.Arrays.asList(r);
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
      Tokenizer t = which.load();
      ObjectMapper json = Inputs.JSON;
      long[] lines = {0};
      try (BufferedReader in = Files.newBufferedReader(input, StandardCharsets.UTF_8)) {
        AtomicFile.write(output, out -> {
          String line;
          while ((line = in.readLine()) != null) {
            lines[0]++;
            JsonNode node;
            try {
              node = json.readTree(line);
            } catch (IOException e) {
              throw new TextSources.InputException(input, lines[0], "not valid JSON");
            }
            JsonNode ids = node == null ? null : node.get("ids");
            if (ids == null || !ids.isArray()) {
              throw new TextSources.InputException(input, lines[0], "expected {\"ids\": [...]}");
            }
            int[] a = new int[ids.size()];
            for (int i = 0; i < a.length; i++) {
              if (!ids.get(i).canConvertToInt()) {
                throw new TextSources.InputException(input, lines[0], "ids[" + i + "] is not an integer");
              }
              a[i] = ids.get(i).asInt();
            }
            String text;
            try {
              text = t.decode(a);
            } catch (IllegalArgumentException e) {
              throw new TextSources.InputException(input, lines[0], e.getMessage());
            }
            out.write(json.writeValueAsBytes(Map.of("text", text)));
            out.write('\n');
          }
        });
      }
      System.err.printf("decoded %d lines; wrote %s%n", lines[0], output);
      return 0;
    }
  }
}
