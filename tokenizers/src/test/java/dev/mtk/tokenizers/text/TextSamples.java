package dev.mtk.tokenizers.text;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Test text: real multilingual sentences, and random strings biased toward what makes splitters
 * and BPE go wrong (digits, apostrophes and contractions, runs of spaces, CR/LF, combining marks,
 * emoji and other surrogate pairs, CJK, case changes).
 */
public final class TextSamples {

  private TextSamples() {}

  public static final List<String> REAL = List.of(
      "The quick brown fox jumps over the lazy dog. It's 2024, isn't it?",
      "Matryoshka embeddings: 8, 16, 32 … 768 dimensions; recall@10 = 0.912!",
      "Le cœur a ses raisons que la raison ne connaît point.",
      "Ünïcödé wörds: straße, façade, naïve — “quotes” and ‘apostrophes’.",
      "Съешь же ещё этих мягких французских булок, да выпей чаю.",
      "日本語のテキストも正しく分割されるべきです。東京は2024年に…",
      "中文文本：我们测试分词器是否与参考实现一致。",
      "한국어 문장도 포함합니다. 안녕하세요!",
      "العربية: النص يكتب من اليمين إلى اليسار ١٢٣٤٥",
      "हिन्दी में कुछ शब्द और संख्याएँ १२३",
      "Emoji 👍🏽 and flags 🇩🇪🇫🇷, family 👨‍👩‍👧‍👦, math 𝔘𝔫𝔦𝔠𝔬𝔡𝔢.",
      "def f(x):\n    return x ** 2  # squares\r\n\n\n\tindented\ttabs   trailing   \n",
      "URLs like https://example.com/a/b?c=1&d=2 and emails a.b@c.de; paths C:\\\\dir\\\\file.txt",
      "He said 'hello' — I'LL DO IT, you'RE sure? THEY'VE gone; we'd've, o'clock, ’s",
      "   leading spaces and   multiple    gaps\n\n  \n",
      "Numbers 1234567890 3.14159 -42 1,000,000 ١٢٣ ⅓ ²",
      "Combining: e\u0301 a\u0308 n\u0303 \u0301alone x\u20dd",
      "ALLCAPS WordsWithCamelCase mixedCASE ΣΊΣΥΦΟΣ İstanbul ǅungla");

  private static final String[] PARTS = {
      "a", "Z", "é", "ß", "ſ", "'", "'s", "'S", "'ll", "'VE", "'re", "'t", "'d", "'m", "’", " ", "  ",
      "   ", "\t", "\n", "\r\n", "\r", "\u00A0", "\u2003", "\u3000", "0", "7", "123", "4567", "١",
      "²", "Ⅻ", ".", ",", "!", "?", "...", "—", "(", ")", "/", "\\", "#", "$", "%", "*", "+", "<|",
      "|>", "\u0301", "\u0308", "\u20DD", "\u0903", "👍", "🏽", "🇩", "\u200D", "𝔘", "日", "本",
      "語", "한", "ф", "Ж", "Σ", "ǅ", "ʰ", "ー", "ا", "ह", "ि", "the", "The", "THE", "hello",
      "world", "Hello", "mi", "XML", "HTTPServer", "iPhone", "x", "\u00AD", "\uFEFF", "\u0085"};

  /** A random string of n parts. */
  static String random(SplittableRandom rnd, int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      if (rnd.nextInt(12) == 0) {
        sb.appendCodePoint(randomCodePoint(rnd));
      } else {
        sb.append(PARTS[rnd.nextInt(PARTS.length)]);
      }
    }
    return sb.toString();
  }

  /** Any valid code point, surrogates excluded, weighted toward the BMP. */
  static int randomCodePoint(SplittableRandom rnd) {
    while (true) {
      int cp = rnd.nextInt(4) == 0 ? rnd.nextInt(0x110000) : rnd.nextInt(0x10000);
      if (cp < 0xD800 || cp > 0xDFFF) {
        return cp;
      }
    }
  }

  static List<String> randomList(long seed, int count, int maxParts) {
    SplittableRandom rnd = new SplittableRandom(seed);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(random(rnd, 1 + rnd.nextInt(maxParts)));
    }
    return out;
  }
}
