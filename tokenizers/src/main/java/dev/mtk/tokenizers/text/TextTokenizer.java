package dev.mtk.tokenizers.text;

import dev.mtk.core.parallel.WorkerPool;
import java.util.List;

/**
 * What a text model needs of its tokenizer, whichever kind it is (byte-level BPE,
 * {@link Tokenizer}; WordPiece, {@link dev.mtk.tokenizers.text.wordpiece.WordPieceTokenizer}):
 * text to ids as ordinary text (special-token strings are not special) with the tokenizer's own
 * template ([CLS] … [SEP], say) applied, and a cut to a model's length that keeps the template.
 */
public interface TextTokenizer {

  /** One past the largest token id. */
  int vocabSize();

  /** The ids of a text, template included, however long. */
  int[] encodeOrdinary(String text);

  /** The text of ids (a template's tokens included as their text). */
  String decode(int[] ids);

  /**
   * The ids cut to at most {@code maxTokens}: the content is cut, the template's tokens at the
   * end (a [SEP]) stay, as Hugging Face's truncation does. Ids no longer than that come back as
   * they are.
   */
  default int[] cut(int[] ids, int maxTokens) {
    return ids.length <= maxTokens ? ids : java.util.Arrays.copyOf(ids, maxTokens);
  }

  /** {@link #encodeOrdinary} of many texts on a pool, each {@link #cut}; in input order. */
  default List<int[]> encodeOrdinaryBatch(List<String> texts, int maxTokens, WorkerPool pool) {
    if (maxTokens < 1) {
      throw new IllegalArgumentException("maxTokens must be at least 1, got " + maxTokens);
    }
    int[][] result = new int[texts.size()][];
    pool.forEach((texts.size() + 255) / 256, t -> {
      for (int i = t * 256; i < Math.min(texts.size(), (t + 1) * 256); i++) {
        result[i] = cut(encodeOrdinary(texts.get(i)), maxTokens);
      }
    });
    return java.util.Arrays.asList(result);
  }
}
