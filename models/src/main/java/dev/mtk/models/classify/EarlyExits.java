package dev.mtk.models.classify;

import dev.mtk.models.inference.EarlyExit;
import dev.mtk.models.inference.ExitRule;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/** Which early exit a model directory carries, as one rule for embedding. */
public final class EarlyExits {

  private EarlyExits() {}

  /** A rule and what it was calibrated to, for the caller to report. */
  public record Chosen(ExitRule rule, String description) {}

  /**
   * The model's early exit: the stable-embedding curve of early_exit.json at {@code maxLossPercent}
   * relative loss of its dev metric (null: 1%), else the classification heads' calibrated exit of
   * classifier.json (its own goal; a different {@code maxLossPercent} needs recalibrating).
   */
  public static Chosen forModel(Path modelDir, Double maxLossPercent) throws IOException {
    EarlyExit stable = EarlyExit.load(modelDir);
    if (stable != null) {
      double loss = maxLossPercent == null ? 1 : maxLossPercent;
      EarlyExit.Point p = stable.choose(loss / 100);
      String what = p == null
          ? String.format(Locale.ROOT, "no threshold loses at most %.2f%% of dev %s: nothing exits", loss, stable.metric())
          : String.format(Locale.ROOT, "threshold %.4f: dev %s %.4f against %.4f at full depth (%.2f%% lost), %.2f "
              + "expected layers of %d", p.threshold(), stable.metric(), p.value(), stable.full(),
              100 * p.relativeLoss(), p.expectedLayers(), stable.layers());
      return new Chosen(stable.rule(loss / 100), what);
    }
    Classifier c = Classifier.load(modelDir);
    if (c != null && c.earlyExit() != null) {
      if (maxLossPercent != null) {
        throw new IllegalArgumentException(modelDir + ": its early exit follows its classification heads, "
            + "calibrated for " + c.earlyExit().maxLossPoints() + " points of top-1; for another goal run "
            + "mtk classify --model " + modelDir + " --task TASK --calibrate --max-loss POINTS");
      }
      var d = c.earlyExit().dev();
      String what = String.format(Locale.ROOT, "classification heads: at most %.2f points of top-1 lost on dev%s",
          c.earlyExit().maxLossPoints(), d == null ? "" : String.format(Locale.ROOT,
              " (%.4f against %.4f, %.2f expected layers)", d.top1(), d.top1Full(), d.expectedDims()));
      return new Chosen(c.exitRule(c.earlyExit()), what);
    }
    throw new IllegalArgumentException(modelDir + " has no calibrated early exit (" + EarlyExit.FILE
        + ", or classifier.json with early_exit): train with loss.adaptive_layers (2D Matryoshka), "
        + "which calibrates it on the dev split");
  }
}
