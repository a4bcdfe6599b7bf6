package dev.mtk.training.train;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.encoder.Encoder;
import dev.mtk.models.io.ModelDirectory;
import dev.mtk.models.nn.autograd.Tensor;
import dev.mtk.tokenizers.text.formats.HuggingFaceJson;
import dev.mtk.tokenizers.text.Tokenizer;
import dev.mtk.models.inference.EmbedOptions;
import dev.mtk.models.inference.EmbeddingModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A teacher's embeddings of every training text, computed once before training (the teacher is
 * frozen, so they never change) and copied into each batch's teacher rows for distillation.
 */
final class Teacher {

  private final float[] vectors; // [texts, width]
  private final int width;

  private Teacher(float[] vectors, int width) {
    this.vectors = vectors;
    this.width = width;
  }

  /** Embeds {@code texts} with the model directory's encoder and its own tokenizer. */
  static Teacher embed(Path modelDir, List<String> texts, WorkerPool pool) throws IOException {
    EmbeddingModel teacher = EmbeddingModel.load(modelDir, pool);
    float[] v = teacher.embedTexts(texts, EmbedOptions.EVALUATION).vectors();
    return new Teacher(v, teacher.width());
  }

  int width() {
    return width;
  }

  /** Every vector v replaced by W v (W [width, width]), in double, row by row. */
  void rotate(float[] w) {
    double[] row = new double[width];
    for (int t = 0; t < vectors.length / width; t++) {
      int o = t * width;
      for (int i = 0; i < width; i++) {
        double s = 0;
        for (int k = 0; k < width; k++) {
          s += (double) w[i * width + k] * vectors[o + k];
        }
        row[i] = s;
      }
      for (int i = 0; i < width; i++) {
        vectors[o + i] = (float) row[i];
      }
    }
  }

  /** Copies text {@code text}'s vector into {@code dst} from {@code offset} on. */
  void copyTo(int text, float[] dst, int offset) {
    System.arraycopy(vectors, text * width, dst, offset, width);
  }

  /** Copies text {@code text}'s vector into row {@code row} of {@code target}. */
  void copy(int text, Tensor target, int row) {
    System.arraycopy(vectors, text * width, target.data(), target.offset() + row * width, width);
  }
}
