package dev.mtk.bench;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.inference.EmbedOptions;
import dev.mtk.models.inference.EmbeddingModel;
import dev.mtk.training.data.BenchmarkSentences;
import java.io.InputStream;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * all-MiniLM-L6-v2 embedding the same sentences on the same cores, three ways, alternating
 * round by round so that the machine's drift hits all three alike: mtk (the imported model, its
 * EmbeddingModel, batches of 64), ONNX Runtime as langchain4j ships it (one sentence per call,
 * its default threads) and ONNX Runtime batched through its own Java API (batches of 64 sorted
 * by length as sentence-transformers does, Hugging Face's tokenizer through DJL, intra-op
 * threads = the cores). Prints one JSON line per engine with the median sentences/s and tokens/s.
 *
 * <pre>./mtk peers embed --model DIR [--input sentences.txt] [--rounds 5] [--threads N]</pre>
 */
public final class EmbedPeers {

  public static void main(String[] args) throws Exception {
    try {
      run(args);
    } catch (IllegalArgumentException | java.io.IOException e) {
      System.err.println("mtk peers: " + e.getMessage());
      System.exit(2);
    }
  }

  static void run(String[] args) throws Exception {
    Path model = null, input = null;
    int rounds = 5, threads = Runtime.getRuntime().availableProcessors(), batch = 64;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--model" -> model = Path.of(value(args, ++i));
        case "--input" -> input = Path.of(value(args, ++i));
        case "--rounds" -> rounds = number(args, ++i);
        case "--threads" -> threads = number(args, ++i);
        case "--batch" -> batch = number(args, ++i);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]
            + " (--model DIR [--input FILE] [--rounds N] [--threads N] [--batch N])");
      }
    }
    if (model == null) {
      throw new IllegalArgumentException("--model DIR: all-MiniLM-L6-v2 imported by "
          + "./mtk model import --builtin all-minilm-l6-v2");
    }
    List<String> sentences = new ArrayList<>();
    if (input == null) {
      sentences.addAll(BenchmarkSentences.of(2000));
    } else {
      for (String line : Files.readAllLines(input)) {
        if (!line.isBlank()) {
          sentences.add(line);
        }
      }
    }
    try (WorkerPool pool = new WorkerPool(threads)) {
      EmbeddingModel mtk = EmbeddingModel.load(model, pool);
      if (mtk.tokenizer() == null) {
        throw new IllegalArgumentException(model + " is an image model; peers embed takes all-MiniLM-L6-v2");
      }
      long tokens = 0;
      for (int[] ids : mtk.tokenizer().encodeOrdinaryBatch(sentences, mtk.maxTokens(), pool)) {
        tokens += ids.length;
      }
      var langchain4j = new AllMiniLmL6V2EmbeddingModel();
      byte[] onnx;
      try (InputStream in = EmbedPeers.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2.onnx")) {
        onnx = in.readAllBytes();
      }
      Path tokFile = Files.createTempFile("minilm", ".json");
      try (InputStream in = EmbedPeers.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
        Files.copy(in, tokFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      OrtSession.SessionOptions so = new OrtSession.SessionOptions();
      so.setIntraOpNumThreads(threads);
      so.setInterOpNumThreads(1);
      try (OrtSession session = env.createSession(onnx, so);
          HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(tokFile,
              Map.of("padding", "false", "truncation", "true", "maxLength", String.valueOf(mtk.maxTokens())))) {
        int b = batch;
        Runnable[] engines = {
            () -> mtk.embedTexts(sentences, EmbedOptions.DEFAULT.withBatch(b)),
            () -> sentences.forEach(s -> langchain4j.embed(s)),
            () -> ortBatched(env, session, hf, sentences, b)};
        String[] names = {"mtk", "onnxruntime-langchain4j", "onnxruntime-batched"};
        double[][] secs = new double[engines.length][rounds];
        // one untimed round each: the JITs and ONNX Runtime's allocator warm up
        for (Runnable e : engines) {
          e.run();
        }
        for (int r = 0; r < rounds; r++) {
          for (int e = 0; e < engines.length; e++) {
            long t0 = System.nanoTime();
            engines[e].run();
            secs[e][r] = (System.nanoTime() - t0) / 1e9;
            System.err.printf("round %d %-24s %.2f s%n", r + 1, names[e], secs[e][r]);
          }
        }
        for (int e = 0; e < engines.length; e++) {
          double[] s = secs[e].clone();
          Arrays.sort(s);
          double median = s[s.length / 2];
          System.out.printf("{\"engine\": \"%s\", \"threads\": %d, \"sentences\": %d, "
              + "\"tokens_per_sentence\": %.2f, \"sentences_per_s\": %.1f, \"tokens_per_s\": %.0f, "
              + "\"best_sentences_per_s\": %.1f}%n", names[e], threads, sentences.size(),
              (double) tokens / sentences.size(), sentences.size() / median, tokens / median,
              sentences.size() / s[0]);
        }
      } finally {
        Files.deleteIfExists(tokFile);
      }
    }
  }

  private static String value(String[] args, int i) {
    if (i >= args.length) {
      throw new IllegalArgumentException(args[i - 1] + " needs a value");
    }
    return args[i];
  }

  private static int number(String[] args, int i) {
    if (i >= args.length) {
      throw new IllegalArgumentException(args[i - 1] + " needs a number");
    }
    try {
      int n = Integer.parseInt(args[i]);
      if (n < 1) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(args[i - 1] + " must be a whole number ≥ 1, not '" + args[i] + "'");
    }
  }

  /** Batches sorted by length, padded to their longest, mean-pooled over the mask and normalised. */
  static void ortBatched(OrtEnvironment env, OrtSession session, HuggingFaceTokenizer hf,
      List<String> sentences, int batch) {
    try {
      Encoding[] enc = hf.batchEncode(sentences);
      Integer[] order = new Integer[enc.length];
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
      Arrays.sort(order, (x, y) -> Integer.compare(enc[y].getIds().length, enc[x].getIds().length));
      for (int start = 0; start < order.length; start += batch) {
        int rows = Math.min(batch, order.length - start);
        int seq = enc[order[start]].getIds().length;
        long[] ids = new long[rows * seq], mask = new long[rows * seq], types = new long[rows * seq];
        for (int r = 0; r < rows; r++) {
          long[] t = enc[order[start + r]].getIds();
          System.arraycopy(t, 0, ids, r * seq, t.length);
          Arrays.fill(mask, r * seq, r * seq + t.length, 1L);
        }
        long[] shape = {rows, seq};
        try (OnnxTensor a = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
            OnnxTensor m = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
            OnnxTensor c = OnnxTensor.createTensor(env, LongBuffer.wrap(types), shape);
            OrtSession.Result res = session.run(Map.of("input_ids", a, "attention_mask", m, "token_type_ids", c))) {
          var out = ((OnnxTensor) res.get(0)).getFloatBuffer();
          int d = out.capacity() / (rows * seq);
          float[] pooled = new float[d];
          for (int r = 0; r < rows; r++) {
            Arrays.fill(pooled, 0f);
            int len = enc[order[start + r]].getIds().length;
            for (int t = 0; t < len; t++) {
              for (int j = 0; j < d; j++) {
                pooled[j] += out.get((r * seq + t) * d + j);
              }
            }
            double norm = 0;
            for (float v : pooled) {
              norm += v * v;
            }
            sink += (float) Math.sqrt(norm);
          }
        }
      }
    } catch (ai.onnxruntime.OrtException e) {
      throw new IllegalStateException(e);
    }
  }

  static volatile float sink;
}
