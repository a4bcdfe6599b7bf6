package dev.mtk.cli;

import dev.mtk.tokenizers.text.formats.Encodings;
import dev.mtk.tokenizers.text.formats.HuggingFaceJson;
import dev.mtk.tokenizers.text.Tokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Shared checks for command inputs, so every command fails the same clear way. */
final class Inputs {

  /** JSON for output lines: UTF-8 as is, emoji included (not as \\uD83D\\uDC4D escapes). */
  static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      com.fasterxml.jackson.databind.json.JsonMapper.builder()
          .enable(com.fasterxml.jackson.core.json.JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
          .build();

  private Inputs() {}

  static void mustExist(List<Path> files) {
    for (Path p : files) {
      if (!Files.isRegularFile(p)) {
        throw new IllegalArgumentException(p + ": no such file");
      }
    }
  }

  /** Every text of a JSON Lines ({"text": …}) or plain text file, in order. */
  static List<String> texts(Path file) throws IOException {
    return dev.mtk.tokenizers.text.formats.TextSources.readAll(List.of(file));
  }

  /** The value of a background task, its failure rethrown as it was (an IOException, say). */
  static <T> T await(java.util.concurrent.CompletableFuture<T> f) throws IOException {
    try {
      return f.join();
    } catch (java.util.concurrent.CompletionException e) {
      Throwable c = e.getCause() instanceof UncheckedIOException u ? u.getCause() : e.getCause();
      if (c instanceof IOException io) {
        throw io;
      }
      if (c instanceof RuntimeException r) {
        throw r;
      }
      throw e;
    }
  }

  /** An optional option that must be at least 1 when given; 0 stands for "not given". */
  static int positive(Integer value, String option) {
    if (value == null) {
      return 0;
    }
    if (value < 1) {
      throw new IllegalArgumentException(option + " must be at least 1, got " + value);
    }
    return value;
  }

  /** The tokenizer named by --encoding or --tokenizer (exactly one of them). */
  static Tokenizer tokenizer(String encoding, Path file) {
    if ((encoding == null) == (file == null)) {
      throw new IllegalArgumentException("give exactly one of --encoding (cl100k_base, o200k_base) "
          + "or --tokenizer FILE");
    }
    if (encoding != null) {
      return Encodings.get(encoding);
    }
    mustExist(List.of(file));
    try {
      return HuggingFaceJson.load(file);
    } catch (IOException e) {
      throw new UncheckedIOException(file + ": " + e.getMessage(), e);
    }
  }
}
