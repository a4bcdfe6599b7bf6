package dev.mtk.tokenizers.text.formats;

import dev.mtk.tokenizers.text.Tokenizer;
import dev.mtk.tokenizers.text.bpe.BytePairModel;
import dev.mtk.tokenizers.text.pretokenize.Cl100kSplit;
import dev.mtk.tokenizers.text.pretokenize.O200kSplit;
import dev.mtk.tokenizers.text.pretokenize.PreTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * OpenAI's encodings, offline: cl100k_base (GPT-3.5/4) and o200k_base (GPT-4o). The rank files are
 * OpenAI's, copied into this module's jar at build time (from the jtokkit artifact on Maven
 * Central, which ships them unchanged); each is checked against the SHA-256 that tiktoken itself
 * expects before use.
 */
public final class Encodings {

  public static final String CL100K_BASE = "cl100k_base";
  public static final String O200K_BASE = "o200k_base";

  private static final Map<String, Tokenizer> CACHE = new ConcurrentHashMap<>();

  private Encodings() {}

  /** cl100k_base or o200k_base, loaded once per JVM. */
  public static Tokenizer get(String name) {
    return CACHE.computeIfAbsent(name, Encodings::load);
  }

  public static Tokenizer cl100kBase() {
    return get(CL100K_BASE);
  }

  public static Tokenizer o200kBase() {
    return get(O200K_BASE);
  }

  private static Tokenizer load(String name) {
    String sha256;
    PreTokenizer pre;
    Map<String, Integer> specials = new LinkedHashMap<>();
    switch (name) {
      case CL100K_BASE -> {
        sha256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7";
        pre = Cl100kSplit.INSTANCE;
        specials.put("<|endoftext|>", 100257);
        specials.put("<|fim_prefix|>", 100258);
        specials.put("<|fim_middle|>", 100259);
        specials.put("<|fim_suffix|>", 100260);
        specials.put("<|endofprompt|>", 100276);
      }
      case O200K_BASE -> {
        sha256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d";
        pre = O200kSplit.INSTANCE;
        specials.put("<|endoftext|>", 199999);
        specials.put("<|endofprompt|>", 200018);
      }
      default -> throw new IllegalArgumentException(
          "unknown encoding '" + name + "': use " + CL100K_BASE + " or " + O200K_BASE);
    }
    String resource = "/dev/mtk/tokenizers/text/encodings/" + name + ".tiktoken";
    byte[][] ranks;
    try (InputStream raw = Encodings.class.getResourceAsStream(resource)) {
      if (raw == null) {
        throw new IllegalStateException("the rank file " + resource + " is missing from the "
            + "tokenizers jar; rebuild with ./mtk build");
      }
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      DigestInputStream in = new DigestInputStream(raw, md);
      ranks = TiktokenFile.read(in, name + ".tiktoken");
      in.transferTo(java.io.OutputStream.nullOutputStream());
      String got = HexFormat.of().formatHex(md.digest());
      if (!got.equals(sha256)) {
        throw new IllegalStateException(name + ".tiktoken has SHA-256 " + got + ", expected "
            + sha256 + ": the file is corrupt or not OpenAI's");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    int size = 0;
    for (int id : specials.values()) {
      size = Math.max(size, id + 1);
    }
    byte[][] tokens = java.util.Arrays.copyOf(ranks, Math.max(size, ranks.length));
    for (Map.Entry<String, Integer> e : specials.entrySet()) {
      tokens[e.getValue()] = e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
    java.util.BitSet specialIds = new java.util.BitSet();
    specials.values().forEach(specialIds::set);
    return new Tokenizer(null, pre, BytePairModel.fromRanks(tokens, specialIds), specials, null);
  }
}
