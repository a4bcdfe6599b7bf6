package dev.mtk.bench;

import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import dev.mtk.tokenizers.text.formats.Encodings;
import dev.mtk.tokenizers.text.formats.TextSources;
import dev.mtk.tokenizers.text.Tokenizer;
import dev.mtk.training.data.WordNet;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One pass of encodeOrdinary over a corpus, one thread: mtk beside jtokkit, same encoding, same
 * documents. Time per pass; MB/s = corpus bytes (printed at setup) / time. The corpus is a file
 * given with -p corpus=PATH (text lines or JSON Lines), or by default every WordNet gloss.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector",
    "-Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0"})
public class TokenizerBenchmark {

  @Param({"cl100k_base", "o200k_base"})
  String encoding;

  @Param({""})
  String corpus;

  List<String> docs;
  Tokenizer ours;
  Encoding peer;

  @Setup(Level.Trial)
  public void setup() {
    docs = new ArrayList<>();
    if (corpus.isEmpty()) {
      WordNet.load().forEach(s -> docs.add(s.gloss()));
    } else {
      try (TextSources.Reader r = TextSources.open(List.of(Path.of(corpus)))) {
        r.forEachRemaining(docs::add);
      }
    }
    long bytes = docs.stream().mapToLong(d -> d.getBytes(StandardCharsets.UTF_8).length).sum();
    System.out.printf("%ncorpus: %d documents, %d bytes%n", docs.size(), bytes);
    ours = Encodings.get(encoding);
    peer = com.knuddels.jtokkit.Encodings.newDefaultEncodingRegistry().getEncoding(
        encoding.equals("cl100k_base") ? EncodingType.CL100K_BASE : EncodingType.O200K_BASE);
  }

  @Benchmark
  public long mtk() {
    long n = 0;
    for (String d : docs) {
      n += ours.encodeOrdinary(d).length;
    }
    return n;
  }

  @Benchmark
  public long jtokkit() {
    long n = 0;
    for (String d : docs) {
      n += peer.encodeOrdinary(d).size();
    }
    return n;
  }
}
