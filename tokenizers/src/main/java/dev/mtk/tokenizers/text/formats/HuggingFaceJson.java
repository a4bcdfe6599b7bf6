package dev.mtk.tokenizers.text.formats;

import dev.mtk.tokenizers.text.TextTokenizer;
import dev.mtk.tokenizers.text.Tokenizer;
import dev.mtk.tokenizers.text.wordpiece.WordPieceModel;
import dev.mtk.tokenizers.text.wordpiece.WordPieceTokenizer;
import dev.mtk.tokenizers.text.PostProcessor;
import dev.mtk.tokenizers.text.bpe.ByteLevel;
import dev.mtk.tokenizers.text.bpe.BytePairModel;
import dev.mtk.tokenizers.text.normalize.Normalizer;
import dev.mtk.tokenizers.text.pretokenize.Gpt2Split;
import dev.mtk.tokenizers.text.pretokenize.PreTokenizer;
import dev.mtk.tokenizers.text.pretokenize.RegexSplit;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hugging Face tokenizer.json for byte-level BPE: the BPE model (vocab and merges), a Split
 * pre-tokenizer with its regex followed by ByteLevel (or ByteLevel alone with GPT-2's regex), the
 * ByteLevel decoder, added tokens, NFC/NFKC/Lowercase normalizers and a single-sequence
 * TemplateProcessing post-processor. Anything else in a file is reported as unsupported, naming
 * the field, rather than silently ignored.
 */
public final class HuggingFaceJson {

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT);

  /** A file larger than this is refused before it is read: no real tokenizer.json comes near. */
  public static final long MAX_BYTES = 512L << 20;

  private HuggingFaceJson() {}

  // ---- writing ----

  /** Writes tokenizer.json atomically: a temporary file beside the target, then a rename. */
  public static void save(Tokenizer t, Path file) throws IOException {
    dev.mtk.core.io.AtomicFile.write(file, JSON.writeValueAsBytes(toJson(t)));
  }

  static ObjectNode toJson(Tokenizer t) {
    BytePairModel m = t.model();
    if (!m.hasMerges()) {
      throw new UnsupportedOperationException("this tokenizer uses tiktoken rank semantics and "
          + "has no merges list; only BPE models with merges (trained here or loaded from "
          + "tokenizer.json) can be saved as tokenizer.json");
    }
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode root = f.objectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    for (Map.Entry<String, Integer> e : t.specialTokens().entrySet()) {
      ObjectNode a = added.addObject();
      a.put("id", e.getValue());
      a.put("content", e.getKey());
      a.put("single_word", false);
      a.put("lstrip", false);
      a.put("rstrip", false);
      a.put("normalized", false);
      a.put("special", true);
    }
    if (t.normalizer() == null) {
      root.putNull("normalizer");
    } else {
      root.set("normalizer", normalizerJson(t.normalizer()));
    }
    ObjectNode pre = root.putObject("pre_tokenizer");
    pre.put("type", "Sequence");
    ArrayNode steps = pre.putArray("pretokenizers");
    ObjectNode split = steps.addObject();
    split.put("type", "Split");
    split.putObject("pattern").put("Regex", t.preTokenizer().pattern());
    split.put("behavior", "Isolated");
    split.put("invert", false);
    ObjectNode byteLevel = steps.addObject();
    byteLevel.put("type", "ByteLevel");
    byteLevel.put("add_prefix_space", false);
    byteLevel.put("trim_offsets", true);
    byteLevel.put("use_regex", false);
    if (t.postProcessor() == null) {
      root.putNull("post_processor");
    } else {
      root.set("post_processor", templateJson(t.postProcessor()));
    }
    ObjectNode dec = root.putObject("decoder");
    dec.put("type", "ByteLevel");
    dec.put("add_prefix_space", true);
    dec.put("trim_offsets", true);
    dec.put("use_regex", true);
    ObjectNode model = root.putObject("model");
    model.put("type", "BPE");
    model.putNull("dropout");
    model.putNull("unk_token");
    model.putNull("continuing_subword_prefix");
    model.putNull("end_of_word_suffix");
    model.put("fuse_unk", false);
    model.put("byte_fallback", false);
    model.put("ignore_merges", m.wholeWordFirst());
    ObjectNode vocab = model.putObject("vocab");
    for (int id = 0; id < m.vocabSize(); id++) {
      if (m.vocab().has(id) && !m.isSpecial(id)) {
        vocab.put(ByteLevel.encode(m.vocab().bytes(id)), id);
      }
    }
    ArrayNode merges = model.putArray("merges");
    for (int[] pair : m.merges()) {
      merges.add(ByteLevel.encode(m.vocab().bytes(pair[0])) + " " + ByteLevel.encode(m.vocab().bytes(pair[1])));
    }
    return root;
  }

  private static ObjectNode normalizerJson(Normalizer n) {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("type", n.type());
    if (n instanceof Normalizer.Bert b) {
      o.put("clean_text", b.cleanText());
      o.put("handle_chinese_chars", b.chineseChars());
      o.put("strip_accents", b.stripAccents());
      o.put("lowercase", b.lowercase());
    }
    if (n instanceof Normalizer.Sequence seq) {
      ArrayNode arr = o.putArray("normalizers");
      for (Normalizer step : seq.steps()) {
        arr.add(normalizerJson(step));
      }
    }
    return o;
  }

  private static ObjectNode templateJson(PostProcessor p) {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("type", "TemplateProcessing");
    ArrayNode single = o.putArray("single");
    for (String s : p.prefix()) {
      single.addObject().putObject("SpecialToken").put("id", s).put("type_id", 0);
    }
    single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
    for (String s : p.suffix()) {
      single.addObject().putObject("SpecialToken").put("id", s).put("type_id", 0);
    }
    ArrayNode pair = o.putArray("pair");
    for (String s : p.prefix()) {
      pair.addObject().putObject("SpecialToken").put("id", s).put("type_id", 0);
    }
    pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
    for (String s : p.suffix()) {
      pair.addObject().putObject("SpecialToken").put("id", s).put("type_id", 0);
    }
    pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
    for (String s : p.suffix()) {
      pair.addObject().putObject("SpecialToken").put("id", s).put("type_id", 1);
    }
    ObjectNode specials = o.putObject("special_tokens");
    Map<String, Integer> all = new LinkedHashMap<>();
    for (int i = 0; i < p.prefix().length; i++) {
      all.put(p.prefix()[i], p.prefixIds()[i]);
    }
    for (int i = 0; i < p.suffix().length; i++) {
      all.put(p.suffix()[i], p.suffixIds()[i]);
    }
    for (Map.Entry<String, Integer> e : all.entrySet()) {
      ObjectNode s = specials.putObject(e.getKey());
      s.put("id", e.getKey());
      s.putArray("ids").add(e.getValue());
      s.putArray("tokens").add(e.getKey());
    }
    return o;
  }

  // ---- reading ----

  /** A byte-level BPE tokenizer.json (see {@link #loadText} for any kind mtk reads). */
  public static Tokenizer load(Path file) throws IOException {
    JsonNode root = readRoot(file);
    return fromJson(root, file.toString());
  }

  /**
   * Any tokenizer.json mtk reads: byte-level BPE ({@link Tokenizer}) or WordPiece
   * ({@link WordPieceTokenizer}: BERT's normalizer and pre-tokenizer, a [CLS] … [SEP] template),
   * told apart by model.type.
   */
  public static TextTokenizer loadText(Path file) throws IOException {
    JsonNode root = readRoot(file);
    String name = file.toString();
    if (root.isObject() && root.path("model").path("type").asText("").equals("WordPiece")) {
      return wordPiece(root, name);
    }
    return fromJson(root, name);
  }

  private static JsonNode readRoot(Path file) throws IOException {
    String name = file.toString();
    long size = Files.size(file);
    if (size > MAX_BYTES) {
      throw new TokenizerFormatException(name, "file", "is " + size + " bytes, more than the "
          + MAX_BYTES + " a tokenizer.json may have");
    }
    JsonNode root;
    try {
      root = JSON.readTree(Files.readAllBytes(file));
    } catch (JsonProcessingException e) {
      throw new TokenizerFormatException(name, "line " + e.getLocation().getLineNr() + ", column "
          + e.getLocation().getColumnNr(), "not valid JSON: " + e.getOriginalMessage());
    }
    return root;
  }

  /** WordPiece's tokenizer.json: what BERT-family models (MiniLM, BGE, E5) ship. */
  static WordPieceTokenizer wordPiece(JsonNode root, String name) {
    JsonNode model = root.path("model");
    String unk = model.path("unk_token").asText("[UNK]");
    String prefix = model.path("continuing_subword_prefix").asText("##");
    int maxChars = model.path("max_input_chars_per_word").asInt(100);
    JsonNode vocabNode = need(model, "vocab", name, "model");
    if (!vocabNode.isObject()) {
      throw new TokenizerFormatException(name, "model.vocab", "expected an object of token → id");
    }
    Map<String, Integer> vocab = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = vocabNode.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isInt() || e.getValue().asInt() < 0 || e.getValue().asInt() > TiktokenFile.MAX_RANK) {
        throw new TokenizerFormatException(name, "model.vocab[\"" + e.getKey() + "\"]",
            "id must be an integer in 0.." + TiktokenFile.MAX_RANK);
      }
      vocab.put(e.getKey(), e.getValue().asInt());
    }
    Map<String, Integer> added = new LinkedHashMap<>();
    int i = 0;
    for (JsonNode a : root.path("added_tokens")) {
      String where = "added_tokens[" + i++ + "]";
      added.put(need(a, "content", name, where).asText(), need(a, "id", name, where).asInt(-1));
    }
    for (Map.Entry<String, Integer> e : added.entrySet()) {
      Integer had = vocab.putIfAbsent(e.getKey(), e.getValue());
      if (had != null && !had.equals(e.getValue())) {
        throw new TokenizerFormatException(name, "added_tokens", e.getKey() + " has id "
            + e.getValue() + " but model.vocab gives it " + had);
      }
    }
    JsonNode pre = root.path("pre_tokenizer");
    if (!pre.path("type").asText("").equals("BertPreTokenizer")) {
      throw new TokenizerFormatException(name, "pre_tokenizer", "type " + pre.path("type").asText("(none)")
          + " is not supported with WordPiece; only BertPreTokenizer");
    }
    JsonNode dec = root.path("decoder");
    if (!dec.isMissingNode() && !dec.isNull() && !dec.path("type").asText().equals("WordPiece")) {
      throw new TokenizerFormatException(name, "decoder", "type " + dec.path("type").asText()
          + " is not supported with WordPiece; only WordPiece");
    }
    WordPieceModel wp;
    try {
      wp = new WordPieceModel(vocab, unk, prefix, maxChars);
    } catch (IllegalArgumentException e) {
      throw new TokenizerFormatException(name, "model", e.getMessage());
    }
    JsonNode p = root.path("post_processor");
    PostProcessor post;
    if (p.path("type").asText("").equals("BertProcessing")) {
      // {"cls": ["[CLS]", 101], "sep": ["[SEP]", 102]}
      JsonNode cls = p.path("cls"), sep = p.path("sep");
      post = new PostProcessor(new String[] {cls.path(0).asText()}, new int[] {cls.path(1).asInt()},
          new String[] {sep.path(0).asText()}, new int[] {sep.path(1).asInt()});
    } else {
      post = postProcessor(p, added, name);
    }
    try {
      return new WordPieceTokenizer(normalizer(root.path("normalizer"), name, "normalizer"), wp, post, added);
    } catch (IllegalArgumentException e) {
      throw new TokenizerFormatException(name, "added_tokens", e.getMessage());
    }
  }

  static Tokenizer fromJson(JsonNode root, String name) {
    if (root == null || !root.isObject()) {
      throw new TokenizerFormatException(name, "top level", "expected a JSON object");
    }
    JsonNode model = need(root, "model", name, "top level");
    String type = model.path("type").asText("BPE");
    if (!type.equals("BPE")) {
      throw new TokenizerFormatException(name, "model.type", "'" + type + "' is not supported; only BPE");
    }
    for (String field : new String[] {"continuing_subword_prefix", "end_of_word_suffix"}) {
      if (model.hasNonNull(field) && !model.get(field).asText().isEmpty()) {
        throw new TokenizerFormatException(name, "model." + field, "is not supported (byte-level BPE has none)");
      }
    }
    if (model.path("byte_fallback").asBoolean(false)) {
      throw new TokenizerFormatException(name, "model.byte_fallback", "is not supported");
    }
    if (model.hasNonNull("dropout") && model.get("dropout").asDouble() != 0.0) {
      throw new TokenizerFormatException(name, "model.dropout", "BPE dropout is not supported");
    }
    boolean ignoreMerges = model.path("ignore_merges").asBoolean(false);

    // added tokens: their text is literal, not byte-level
    Map<String, Integer> added = new LinkedHashMap<>();
    JsonNode addedNode = root.path("added_tokens");
    if (addedNode.isArray()) {
      int i = 0;
      for (JsonNode a : addedNode) {
        String where = "added_tokens[" + i++ + "]";
        String content = need(a, "content", name, where).asText();
        int id = need(a, "id", name, where).asInt(-1);
        if (id < 0) {
          throw new TokenizerFormatException(name, where + ".id", "must be a non-negative integer");
        }
        added.put(content, id);
      }
    }

    JsonNode vocabNode = need(model, "vocab", name, "model");
    if (!vocabNode.isObject()) {
      throw new TokenizerFormatException(name, "model.vocab", "expected an object of token → id");
    }
    int maxId = -1;
    for (int id : added.values()) {
      maxId = Math.max(maxId, id);
    }
    Map<Integer, byte[]> byId = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> it = vocabNode.fields();
    Map<String, Integer> tokenToId = new LinkedHashMap<>();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      int id = e.getValue().asInt(-1);
      if (!e.getValue().isInt() || id < 0 || id > TiktokenFile.MAX_RANK) {
        throw new TokenizerFormatException(name, "model.vocab[\"" + e.getKey() + "\"]", "id must be an integer in 0.." + TiktokenFile.MAX_RANK);
      }
      byte[] bytes = added.containsKey(e.getKey()) ? e.getKey().getBytes(StandardCharsets.UTF_8)
          : ByteLevel.decode(e.getKey());
      if (bytes == null) {
        throw new TokenizerFormatException(name, "model.vocab[\"" + e.getKey() + "\"]",
            "is not byte-level text (only byte-level BPE is supported)");
      }
      if (byId.put(id, bytes) != null) {
        throw new TokenizerFormatException(name, "model.vocab", "id " + id + " is used twice");
      }
      tokenToId.put(e.getKey(), id);
      maxId = Math.max(maxId, id);
    }
    BitSet specialIds = new BitSet();
    for (Map.Entry<String, Integer> e : added.entrySet()) {
      byte[] b = e.getKey().getBytes(StandardCharsets.UTF_8);
      byte[] existing = byId.putIfAbsent(e.getValue(), b);
      if (existing != null && !java.util.Arrays.equals(existing, b)
          && !java.util.Arrays.equals(existing, ByteLevel.decode(e.getKey()) == null ? new byte[0] : ByteLevel.decode(e.getKey()))) {
        throw new TokenizerFormatException(name, "added_tokens", "id " + e.getValue() + " of "
            + e.getKey() + " is another token in model.vocab");
      }
      byId.put(e.getValue(), b);
      specialIds.set(e.getValue());
    }
    byte[][] tokens = new byte[maxId + 1][];
    byId.forEach((id, b) -> tokens[id] = b);

    JsonNode mergesNode = need(model, "merges", name, "model");
    List<int[]> merges = new ArrayList<>();
    int r = 0;
    for (JsonNode mn : mergesNode) {
      String where = "model.merges[" + r++ + "]";
      String left, right;
      if (mn.isArray() && mn.size() == 2) {
        left = mn.get(0).asText();
        right = mn.get(1).asText();
      } else if (mn.isTextual()) {
        String s = mn.asText();
        int sp = s.indexOf(' ');
        if (sp <= 0 || sp != s.lastIndexOf(' ')) {
          throw new TokenizerFormatException(name, where, "expected \"left right\", got \"" + s + "\"");
        }
        left = s.substring(0, sp);
        right = s.substring(sp + 1);
      } else {
        throw new TokenizerFormatException(name, where, "expected \"left right\" or [left, right]");
      }
      Integer l = tokenToId.get(left), rr = tokenToId.get(right);
      if (l == null || rr == null) {
        throw new TokenizerFormatException(name, where, "refers to a token not in model.vocab: "
            + (l == null ? left : right));
      }
      merges.add(new int[] {l, rr});
    }
    BytePairModel bpe;
    try {
      bpe = BytePairModel.fromMerges(tokens, merges.toArray(new int[0][]), ignoreMerges, specialIds);
    } catch (IllegalArgumentException e) {
      throw new TokenizerFormatException(name, "model", e.getMessage());
    }
    PreTokenizer pre = preTokenizer(root.path("pre_tokenizer"), name);
    Normalizer normalizer = normalizer(root.path("normalizer"), name, "normalizer");
    checkDecoder(root.path("decoder"), name);
    PostProcessor post = postProcessor(root.path("post_processor"), added, name);
    return new Tokenizer(normalizer, pre, bpe, added, post);
  }

  private static JsonNode need(JsonNode node, String field, String name, String where) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      throw new TokenizerFormatException(name, where, "the field \"" + field + "\" is missing");
    }
    return v;
  }

  private static PreTokenizer preTokenizer(JsonNode pre, String name) {
    if (pre.isMissingNode() || pre.isNull()) {
      throw new TokenizerFormatException(name, "pre_tokenizer", "is missing; byte-level BPE needs ByteLevel");
    }
    String type = pre.path("type").asText();
    if (type.equals("ByteLevel")) {
      checkByteLevel(pre, name, "pre_tokenizer", true);
      return Gpt2Split.INSTANCE;
    }
    if (type.equals("Sequence")) {
      JsonNode steps = pre.path("pretokenizers");
      if (steps.size() == 2 && steps.get(0).path("type").asText().equals("Split")
          && steps.get(1).path("type").asText().equals("ByteLevel")) {
        checkByteLevel(steps.get(1), name, "pre_tokenizer.pretokenizers[1]", false);
        JsonNode split = steps.get(0);
        String behavior = split.path("behavior").asText("Isolated");
        boolean invert = split.path("invert").asBoolean(false);
        // Isolated keeps matches and the text between them; Removed with invert keeps only the
        // matches (tiktoken's way). The GPT patterns match every character, so both agree there.
        boolean keepGaps = behavior.equals("Isolated") && !invert;
        if (!keepGaps && !(behavior.equals("Removed") && invert)) {
          throw new TokenizerFormatException(name, "pre_tokenizer.pretokenizers[0]",
              "behavior " + behavior + (invert ? " with invert" : "") + " is not supported "
                  + "(Isolated, or Removed with invert, are)");
        }
        JsonNode regex = split.path("pattern").path("Regex");
        if (!regex.isTextual()) {
          throw new TokenizerFormatException(name, "pre_tokenizer.pretokenizers[0].pattern",
              "expected {\"Regex\": …}");
        }
        try {
          PreTokenizer p = PreTokenizer.forPattern(regex.asText());
          return p instanceof RegexSplit r && !keepGaps ? new RegexSplit(r.pattern(), r.compiled(), false) : p;
        } catch (java.util.regex.PatternSyntaxException e) {
          throw new TokenizerFormatException(name, "pre_tokenizer.pretokenizers[0].pattern",
              "not a regular expression Java understands: " + e.getDescription());
        }
      }
      if (steps.size() == 1 && steps.get(0).path("type").asText().equals("ByteLevel")) {
        checkByteLevel(steps.get(0), name, "pre_tokenizer.pretokenizers[0]", true);
        return Gpt2Split.INSTANCE;
      }
    }
    throw new TokenizerFormatException(name, "pre_tokenizer", "type " + type + " is not supported: "
        + "expected ByteLevel, or Sequence[Split(Regex), ByteLevel]");
  }

  private static void checkByteLevel(JsonNode b, String name, String where, boolean regexExpected) {
    if (b.path("add_prefix_space").asBoolean(false)) {
      throw new TokenizerFormatException(name, where + ".add_prefix_space", "true is not supported");
    }
    boolean useRegex = b.path("use_regex").asBoolean(true);
    if (useRegex != regexExpected) {
      throw new TokenizerFormatException(name, where + ".use_regex", "must be " + regexExpected
          + " here");
    }
  }

  private static Normalizer normalizer(JsonNode n, String name, String where) {
    if (n.isMissingNode() || n.isNull()) {
      return null;
    }
    String type = n.path("type").asText();
    return switch (type) {
      case "NFC" -> new Normalizer.Nfc();
      case "NFKC" -> new Normalizer.Nfkc();
      case "Lowercase" -> new Normalizer.Lowercase();
      case "BertNormalizer" -> {
        boolean lower = n.path("lowercase").asBoolean(true);
        JsonNode strip = n.path("strip_accents");
        yield new Normalizer.Bert(n.path("clean_text").asBoolean(true),
            n.path("handle_chinese_chars").asBoolean(true),
            strip.isMissingNode() || strip.isNull() ? lower : strip.asBoolean(), lower);
      }
      case "Sequence" -> {
        List<Normalizer> steps = new ArrayList<>();
        int i = 0;
        for (JsonNode s : n.path("normalizers")) {
          steps.add(normalizer(s, name, where + ".normalizers[" + i++ + "]"));
        }
        yield new Normalizer.Sequence(steps);
      }
      default -> throw new TokenizerFormatException(name, where, "type " + type
          + " is not supported (NFC, NFKC, Lowercase, BertNormalizer, Sequence are)");
    };
  }

  private static void checkDecoder(JsonNode d, String name) {
    if (d.isMissingNode() || d.isNull()) {
      return;
    }
    if (!d.path("type").asText().equals("ByteLevel")) {
      throw new TokenizerFormatException(name, "decoder", "type " + d.path("type").asText()
          + " is not supported; byte-level BPE decodes with ByteLevel");
    }
  }

  private static PostProcessor postProcessor(JsonNode p, Map<String, Integer> added, String name) {
    if (p.isMissingNode() || p.isNull()) {
      return null;
    }
    String type = p.path("type").asText();
    if (type.equals("ByteLevel")) {
      return null; // only trims offsets; ours are already exact
    }
    if (!type.equals("TemplateProcessing")) {
      throw new TokenizerFormatException(name, "post_processor", "type " + type + " is not supported");
    }
    List<String> prefix = new ArrayList<>(), suffix = new ArrayList<>();
    boolean seenA = false;
    for (JsonNode item : p.path("single")) {
      if (item.has("Sequence")) {
        seenA = true;
      } else if (item.has("SpecialToken")) {
        String id = item.path("SpecialToken").path("id").asText();
        (seenA ? suffix : prefix).add(id);
      }
    }
    return new PostProcessor(prefix.toArray(new String[0]), ids(prefix, p, added, name),
        suffix.toArray(new String[0]), ids(suffix, p, added, name));
  }

  private static int[] ids(List<String> names, JsonNode p, Map<String, Integer> added, String name) {
    int[] out = new int[names.size()];
    for (int i = 0; i < out.length; i++) {
      JsonNode ids = p.path("special_tokens").path(names.get(i)).path("ids");
      Integer id = ids.isArray() && ids.size() == 1 ? Integer.valueOf(ids.get(0).asInt()) : added.get(names.get(i));
      if (id == null) {
        throw new TokenizerFormatException(name, "post_processor", "unknown special token " + names.get(i));
      }
      out[i] = id;
    }
    return out;
  }
}
