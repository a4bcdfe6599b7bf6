package dev.mtk.tokenizers.text.wordpiece;

import dev.mtk.tokenizers.text.PostProcessor;
import dev.mtk.tokenizers.text.TextTokenizer;
import dev.mtk.tokenizers.text.bpe.IntList;
import dev.mtk.tokenizers.text.normalize.Normalizer;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * BERT's tokenizer as a pipeline of small stages, in the order Hugging Face runs them: the text
 * is normalized ({@link Normalizer.Bert}: clean, CJK spacing, accents, lowercase), cut into words
 * ({@link BertPreTokenizer}: white space dropped, punctuation on its own), each word split into
 * pieces ({@link WordPieceModel}: greedy longest match, "##" continuations, [UNK]) and the ids
 * wrapped by the template ({@link PostProcessor}: [CLS] … [SEP]).
 *
 * <p>As everywhere in mtk, special-token strings in the text ("[SEP]") are ordinary text here;
 * Hugging Face's encode would turn them into their ids.
 */
public final class WordPieceTokenizer implements TextTokenizer {

  private final Normalizer normalizer;
  private final WordPieceModel model;
  private final PostProcessor post;
  private final Map<String, Integer> specials;

  public WordPieceTokenizer(Normalizer normalizer, WordPieceModel model, PostProcessor post,
      Map<String, Integer> specials) {
    this.normalizer = normalizer;
    this.model = model;
    this.post = post;
    this.specials = Collections.unmodifiableMap(new LinkedHashMap<>(specials));
    for (Map.Entry<String, Integer> e : specials.entrySet()) {
      Integer id = model.id(e.getKey());
      if (id == null || id.intValue() != e.getValue()) {
        throw new IllegalArgumentException("special token " + e.getKey() + " must have id "
            + e.getValue() + " in the vocabulary");
      }
    }
  }

  public Normalizer normalizer() {
    return normalizer;
  }

  public WordPieceModel model() {
    return model;
  }

  /** The template; null when the ids are not wrapped. */
  public PostProcessor postProcessor() {
    return post;
  }

  /** Special token text → id, in the order the file gave them. */
  public Map<String, Integer> specialTokens() {
    return specials;
  }

  @Override
  public int vocabSize() {
    return model.vocabSize();
  }

  @Override
  public int[] encodeOrdinary(String text) {
    IntList out = new IntList(text.length() / 4 + 4);
    if (post != null) {
      for (int id : post.prefixIds()) {
        out.add(id);
      }
    }
    String s = normalizer == null ? text : normalizer.apply(text);
    BertPreTokenizer.INSTANCE.split(s, (start, end) -> model.encode(s, start, end, out));
    if (post != null) {
      for (int id : post.suffixIds()) {
        out.add(id);
      }
    }
    return out.toArray();
  }

  /** The content is cut; the template's closing tokens ([SEP]) stay at the end. */
  @Override
  public int[] cut(int[] ids, int maxTokens) {
    if (ids.length <= maxTokens) {
      return ids;
    }
    int tail = post == null ? 0 : post.suffixIds().length;
    if (maxTokens <= tail + (post == null ? 0 : post.prefixIds().length)) {
      throw new IllegalArgumentException("a cut to " + maxTokens + " tokens leaves no room for "
          + "text between the template's tokens");
    }
    int[] out = Arrays.copyOf(ids, maxTokens);
    System.arraycopy(ids, ids.length - tail, out, maxTokens - tail, tail);
    return out;
  }

  /**
   * The text of ids as Hugging Face's WordPiece decoder gives it: tokens joined by spaces,
   * continuations glued to what precedes them, and its clean-up applied token by token (which
   * in effect only removes the space before . ? ! and ,).
   */
  @Override
  public String decode(int[] ids) {
    StringBuilder b = new StringBuilder();
    String prefix = model.continuingPrefix();
    for (int i = 0; i < ids.length; i++) {
      String t = model.token(ids[i]);
      if (t == null) {
        throw new IllegalArgumentException("no token with id " + ids[i] + " (vocabulary size "
            + model.vocabSize() + ")");
      }
      String piece = i > 0 && t.startsWith(prefix) ? t.substring(prefix.length())
          : i > 0 ? " " + t : t;
      b.append(cleanup(piece));
    }
    return b.toString();
  }

  private static String cleanup(String s) {
    return s.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",")
        .replace(" ' ", "'").replace(" n't", "n't").replace(" 'm", "'m").replace(" do not", " don't")
        .replace(" 's", "'s").replace(" 've", "'ve").replace(" 're", "'re");
  }
}
