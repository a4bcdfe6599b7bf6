package dev.mtk.tokenizers.text;

/**
 * Stage 4 of the pipeline: wraps a single sequence's ids in special tokens, e.g. [CLS] … [SEP] or
 * BOS … EOS (Hugging Face's TemplateProcessing for one sequence). Added tokens get an empty
 * offset span at the start or end of the text.
 */
public record PostProcessor(String[] prefix, int[] prefixIds, String[] suffix, int[] suffixIds) {

  public PostProcessor {
    if (prefix.length != prefixIds.length || suffix.length != suffixIds.length) {
      throw new IllegalArgumentException("each template token needs one id");
    }
  }
}
