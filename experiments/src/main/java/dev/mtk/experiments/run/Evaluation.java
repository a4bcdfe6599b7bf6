package dev.mtk.experiments.run;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.encoder.Encoder;
import dev.mtk.models.inference.EmbeddingModel;
import dev.mtk.training.data.WordNet;
import dev.mtk.training.eval.Hierarchy;
import dev.mtk.training.eval.Similarity;
import dev.mtk.training.task.ReverseDictionary;
import dev.mtk.training.train.Trainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code mtk eval}: a model directory scored on a task's split at several prefix sizes. */
public final class Evaluation {

  /**
   * @param task reverse-dictionary, example-definition, lexfile, pairs or labels
   * @param data the user's file for pairs and labels (null for the built-in tasks)
   * @param split dev or test
   * @param dims prefix sizes (null: 8, 16, … up to the width)
   * @param layer the model cut after its first {@code layer} layers (0: all of them)
   * @param hierarchy instead of the task: kNN and probe accuracy of WordNet's levels
   * @param baseline for sts, a second model scored the same way (null: none)
   */
  public record Settings(Path model, String task, Path data, String split, int[] dims, int layer,
      boolean hierarchy, long seed, Path baseline) {}

  /** "dev" or "test", as the commands spell them. */
  public static ReverseDictionary.Split split(String s) {
    return switch (s) {
      case "dev" -> ReverseDictionary.Split.DEV;
      case "test" -> ReverseDictionary.Split.TEST;
      default -> throw new IllegalArgumentException("split must be dev or test, got '" + s + "'");
    };
  }

  /** metric → (dim → value); with {@code hierarchy}, also "majority/LEVEL" → {"all": rate}. */
  public static Map<String, Map<String, Double>> run(Settings s, WorkerPool pool) throws IOException {
    ReverseDictionary.Split split = split(s.split());
    EmbeddingModel full = EmbeddingModel.load(s.model(), pool);
    if (s.layer() != 0 && full.imageFormat() != null && full.textTower() != null) {
      throw new IllegalArgumentException("--layer cuts one encoder; " + s.model() + " is a dual encoder "
          + "(two towers): evaluate it whole");
    }
    Encoder enc = s.layer() == 0 ? full.encoder() : full.encoder().firstLayers(s.layer());
    EmbeddingModel model = s.layer() == 0 ? full
        : full.imageFormat() != null ? EmbeddingModel.of(enc, full.imageFormat(), pool).withAudio(full.audioFormat())
        : EmbeddingModel.of(enc, full.tokenizer(), pool);
    int width = model.width();
    int[] dims = s.dims() == null ? Trainer.ladder(width) : s.dims();
    for (int m : dims) {
      if (m < 1 || m > width) {
        throw new IllegalArgumentException("dims must lie within 1.." + width + ", got " + m);
      }
    }
    if (s.task().equals("sts")) {
      // a similarity file is scored whole: it has no split of its own; without one, WordNet's
      // graded pairs of the split (held out of training like every WordNet task's)
      var pairs = s.data() != null ? Similarity.read(s.data())
          : dev.mtk.training.eval.WordNetSimilarity.pairs(WordNet.load(), split, s.seed());
      Map<String, Map<String, Double>> out = new LinkedHashMap<>();
      out.put("spearman", Similarity.evaluate(model, pairs, dims));
      if (s.baseline() != null) {
        EmbeddingModel base = EmbeddingModel.load(s.baseline(), pool);
        for (int m : dims) {
          if (m > base.width()) {
            throw new IllegalArgumentException("dims must lie within the baseline's 1.." + base.width() + ", got " + m);
          }
        }
        Map<String, Double> baseScores = Similarity.evaluate(base, pairs, dims);
        out.put("spearman_baseline", baseScores);
        // the measure: each prefix against the original's full width
        double fullBase = Similarity.evaluate(base, pairs, new int[] {base.width()})
            .get(String.valueOf(base.width()));
        Map<String, Double> ratio = new LinkedHashMap<>(), baseRatio = new LinkedHashMap<>();
        for (int m : dims) {
          ratio.put(String.valueOf(m), out.get("spearman").get(String.valueOf(m)) / fullBase);
          baseRatio.put(String.valueOf(m), baseScores.get(String.valueOf(m)) / fullBase);
        }
        out.put("ratio_to_baseline_full", ratio);
        out.put("baseline_ratio_to_full", baseRatio);
      }
      return out;
    }
    if (!s.hierarchy()) {
      return Trainer.evaluate(model, s.task(), s.data() == null ? null : s.data().toString(), split,
          dims, pool, s.seed());
    }
    var lv = Hierarchy.levels(WordNet.load());
    float[][] e = Hierarchy.embed(model, lv);
    Map<String, Map<String, Double>> out = new LinkedHashMap<>(
        Hierarchy.evaluate(pool, lv, e[0], e[1], width, dims, 10, true, s.seed()));
    Hierarchy.majority(lv).forEach((level, acc) -> out.put("majority/" + level, Map.of("all", acc)));
    return out;
  }

  private Evaluation() {}
}
