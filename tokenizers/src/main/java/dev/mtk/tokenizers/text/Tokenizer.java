package dev.mtk.tokenizers.text;

import dev.mtk.tokenizers.text.bpe.BytePairModel;
import dev.mtk.tokenizers.text.bpe.IntList;
import dev.mtk.tokenizers.text.normalize.Normalizer;
import dev.mtk.tokenizers.text.Utf8;
import dev.mtk.tokenizers.text.pretokenize.PreTokenizer;
import dev.mtk.core.parallel.WorkerPool;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A text tokenizer as a pipeline of small stages, in the order Hugging Face tokenizers runs them:
 * special tokens are found first, then each stretch of ordinary text is normalized
 * ({@link Normalizer}, optional), cut into pieces ({@link PreTokenizer}), and each piece's UTF-8
 * bytes are encoded by {@link BytePairModel}; a {@link PostProcessor} may wrap the result, and
 * decoding concatenates token bytes (the byte-level decoder).
 *
 * <p>Special tokens follow tiktoken: {@link #encode(String)} refuses text that contains one
 * ({@link SpecialTokenException}), {@link #encode(String, Set)} turns the allowed ones into their
 * ids, {@link #encodeOrdinary} treats them as plain text.
 *
 * <p>Lone surrogates in a Java string are not valid Unicode; they are encoded as U+FFFD, the
 * replacement character (as tiktoken does with Python strings), so decode(encode(s)) equals s
 * with each lone surrogate replaced by U+FFFD.
 */
public final class Tokenizer implements TextTokenizer {

  private final Normalizer normalizer;
  private final PreTokenizer preTokenizer;
  private final BytePairModel model;
  private final Map<String, Integer> specials;
  private final String[] specialNames;
  private final PostProcessor post;

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  public Tokenizer(Normalizer normalizer, PreTokenizer preTokenizer, BytePairModel model,
      Map<String, Integer> specials, PostProcessor post) {
    this.normalizer = normalizer;
    this.preTokenizer = preTokenizer;
    this.model = model;
    this.specials = Collections.unmodifiableMap(new LinkedHashMap<>(specials));
    this.specialNames = specials.keySet().toArray(new String[0]);
    // longest first, so that a special that contains another wins where both match
    Arrays.sort(specialNames, (x, y) -> y.length() != x.length() ? y.length() - x.length() : x.compareTo(y));
    this.post = post;
    for (Map.Entry<String, Integer> e : specials.entrySet()) {
      byte[] b = e.getKey().getBytes(StandardCharsets.UTF_8);
      if (model.tokenId(b) != e.getValue()) {
        throw new IllegalArgumentException("special token " + e.getKey() + " must have id "
            + e.getValue() + " in the vocabulary");
      }
    }
  }

  public Normalizer normalizer() {
    return normalizer;
  }

  public PreTokenizer preTokenizer() {
    return preTokenizer;
  }

  public BytePairModel model() {
    return model;
  }

  public PostProcessor postProcessor() {
    return post;
  }

  /** Special token text → id, in the order they were given. */
  public Map<String, Integer> specialTokens() {
    return specials;
  }

  /** One past the largest token id. */
  @Override
  public int vocabSize() {
    return model.vocabSize();
  }

  /** Encodes text that must not contain special tokens (tiktoken's default). */
  public int[] encode(String text) {
    return encode(text, Set.of());
  }

  /** Encodes text; the allowed special tokens become their ids, any other one is refused. */
  public int[] encode(String text, Set<String> allowedSpecial) {
    return encode(text, allowedSpecial, null);
  }

  /**
   * tiktoken's full rule: allowed special tokens become their ids, disallowed ones are refused
   * with {@link SpecialTokenException}, and special tokens in neither set are encoded as plain
   * text. A null {@code disallowedSpecial} means every special token not allowed ("all").
   */
  public int[] encode(String text, Set<String> allowedSpecial, Set<String> disallowedSpecial) {
    IntList out = new IntList(text.length() / 3 + 4);
    run(text, allowedSpecial, disallowedSpecial, out, null, null);
    return out.toArray();
  }

  /** Encodes text, special token strings included, as plain text. */
  @Override
  public int[] encodeOrdinary(String text) {
    IntList out = new IntList(text.length() / 3 + 4);
    run(text, Set.of(), Set.of(), out, null, null);
    return out.toArray();
  }

  /** Like {@link #encode(String, Set)}, with each token's character span. */
  public Encoding encodeWithOffsets(String text, Set<String> allowedSpecial) {
    IntList out = new IntList(), starts = new IntList(), ends = new IntList();
    run(text, allowedSpecial, null, out, starts, ends);
    return new Encoding(out.toArray(), starts.toArray(), ends.toArray());
  }

  /**
   * Encodes many texts on a pool, each as {@link #encode(String, Set)} would; the result is in
   * input order and identical to encoding them one by one.
   */
  public List<int[]> encodeBatch(List<String> texts, Set<String> allowedSpecial, WorkerPool pool) {
    int[][] result = new int[texts.size()][];
    int perTask = Math.max(1, texts.size() / (pool.threads() * 8));
    int tasks = (texts.size() + perTask - 1) / perTask;
    pool.forEach(tasks, t -> {
      int end = Math.min(texts.size(), (t + 1) * perTask);
      for (int i = t * perTask; i < end; i++) {
        result[i] = encode(texts.get(i), allowedSpecial);
      }
    });
    return Arrays.asList(result);
  }

  /**
   * Encodes many texts on a pool as {@link #encodeOrdinary} would (special token strings are
   * plain text), each cut to its first {@code maxTokens} ids; in input order.
   */
  @Override
  public List<int[]> encodeOrdinaryBatch(List<String> texts, int maxTokens, WorkerPool pool) {
    if (maxTokens < 1) {
      throw new IllegalArgumentException("maxTokens must be at least 1, got " + maxTokens);
    }
    int[][] result = new int[texts.size()][];
    pool.forEach((texts.size() + 1023) / 1024, t -> {
      for (int i = t * 1024; i < Math.min(texts.size(), (t + 1) * 1024); i++) {
        int[] ids = encodeOrdinary(texts.get(i));
        result[i] = ids.length > maxTokens ? Arrays.copyOf(ids, maxTokens) : ids;
      }
    });
    return Arrays.asList(result);
  }

  /** Encodes raw bytes: valid UTF-8 as text, anything else byte by byte through BPE. */
  public int[] encodeBytes(byte[] bytes) {
    IntList out = new IntList(bytes.length / 3 + 4);
    Scratch sc = SCRATCH.get();
    int i = 0;
    while (i < bytes.length) {
      int validEnd = i;
      while (validEnd < bytes.length) {
        int n = Utf8.validSequenceLength(bytes, validEnd);
        if (n <= 0) {
          break;
        }
        validEnd += n;
      }
      if (validEnd > i) {
        String s = new String(bytes, i, validEnd - i, StandardCharsets.UTF_8);
        encodeText(s, 0, s.length(), out, null, null, sc);
        i = validEnd;
      } else {
        int bad = i + 1;
        while (bad < bytes.length && Utf8.validSequenceLength(bytes, bad) <= 0) {
          bad++;
        }
        model.encode(bytes, i, bad - i, out, sc.bpe);
        i = bad;
      }
    }
    return out.toArray();
  }

  /** The concatenated bytes of the tokens. */
  public byte[] decodeBytes(int[] ids) {
    int len = 0;
    for (int id : ids) {
      if (!model.vocab().has(id)) {
        throw new IllegalArgumentException("no token with id " + id + " (vocabulary size "
            + model.vocabSize() + ")");
      }
      len += model.vocab().length(id);
    }
    byte[] out = new byte[len];
    int p = 0;
    for (int id : ids) {
      p = model.vocab().copy(id, out, p);
    }
    return out;
  }

  /** The text of the tokens; invalid UTF-8 becomes U+FFFD. */
  @Override
  public String decode(int[] ids) {
    return new String(decodeBytes(ids), StandardCharsets.UTF_8);
  }

  /** A decoder for ids arriving one at a time that never splits a character. */
  public StreamingDecoder streamingDecoder() {
    return new StreamingDecoder(model);
  }

  // ---- the pipeline ----

  private void run(String text, Set<String> allowed, Set<String> disallowed, IntList out,
      IntList starts, IntList ends) {
    Scratch sc = SCRATCH.get();
    if (post != null) {
      for (int id : post.prefixIds()) {
        add(out, starts, ends, id, 0, 0);
      }
    }
    int from = 0;
    boolean any = !allowed.isEmpty() || disallowed == null || !disallowed.isEmpty();
    if (any && specialNames.length > 0) {
      while (true) {
        int at = -1;
        String found = null;
        for (String name : specialNames) {
          if (!allowed.contains(name) && disallowed != null && !disallowed.contains(name)) {
            continue; // neither allowed nor disallowed: ordinary text
          }
          int k = text.indexOf(name, from);
          if (k >= 0 && (at < 0 || k < at)) {
            at = k;
            found = name;
          }
        }
        if (found == null) {
          break;
        }
        if (!allowed.contains(found)) {
          throw new SpecialTokenException(found, at);
        }
        encodeText(text, from, at, out, starts, ends, sc);
        add(out, starts, ends, specials.get(found), at, at + found.length());
        from = at + found.length();
      }
    }
    encodeText(text, from, text.length(), out, starts, ends, sc);
    if (post != null) {
      for (int id : post.suffixIds()) {
        add(out, starts, ends, id, text.length(), text.length());
      }
    }
  }

  private static void add(IntList out, IntList starts, IntList ends, int id, int s, int e) {
    out.add(id);
    if (starts != null) {
      starts.add(s);
      ends.add(e);
    }
  }

  /** Ordinary text[from, to): normalize, split, BPE each piece. */
  private void encodeText(String text, int from, int to, IntList out, IntList starts,
      IntList ends, Scratch sc) {
    if (from >= to) {
      return;
    }
    if (normalizer == null) {
      preTokenizer.split(text, from, to, (ps, pe) -> encodePiece(text, ps, pe, out, starts, ends, sc, null, 0));
      return;
    }
    Normalizer.Aligned aligned = Normalizer.align(normalizer, text.substring(from, to));
    String norm = aligned.text();
    preTokenizer.split(norm, 0, norm.length(),
        (ps, pe) -> encodePiece(norm, ps, pe, out, starts, ends, sc, aligned, from));
  }

  private void encodePiece(String s, int ps, int pe, IntList out, IntList starts, IntList ends,
      Scratch sc, Normalizer.Aligned aligned, int base) {
    int n = Utf8.encode(s, ps, pe, sc, starts != null);
    int first = out.size();
    model.encode(sc.bytes, 0, n, out, sc.bpe);
    if (starts == null) {
      return;
    }
    int b = 0;
    for (int t = first; t < out.size(); t++) {
      int len = model.vocab().length(out.get(t));
      int c0 = sc.charOf[b], c1 = sc.charOf[b + len - 1];
      int start = c0, end = c1 + (Character.isHighSurrogate(s.charAt(c1)) && c1 + 1 < pe
          && Character.isLowSurrogate(s.charAt(c1 + 1)) ? 2 : 1);
      if (aligned != null) {
        start = base + aligned.origStart()[start];
        end = base + aligned.origEnd()[end - 1];
      }
      starts.add(start);
      ends.add(end);
      b += len;
    }
  }

  /** Working memory for one thread: the piece's bytes and, per byte, its char index. */
  static final class Scratch {
    byte[] bytes = new byte[256];
    int[] charOf = new int[256];
    final BytePairModel.Scratch bpe = new BytePairModel.Scratch();
  }

}
