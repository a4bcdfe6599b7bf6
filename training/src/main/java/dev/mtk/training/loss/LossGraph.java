package dev.mtk.training.loss;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.nn.autograd.Arena;
import dev.mtk.models.nn.autograd.Graph;
import dev.mtk.models.nn.autograd.Op;
import dev.mtk.models.nn.autograd.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * What a {@link Loss} attaches to: the encoder's graph and activation arena while they are being
 * built, the batch's layout, and a second arena for the losses' own parameters (classification
 * heads) that the trainer optimises and checkpoints beside the encoder's.
 *
 * <p>Batch layout: {@code groups} examples; for pairs and triplets the rows are all anchors, then
 * all positives, then all negatives (B·k rows); for labelled text one row per example, its class
 * in {@link #labels}. With distillation, {@link #teacher} holds the teacher's embedding of every
 * row, filled by the trainer each step.
 */
public final class LossGraph {

  /** The rows a loss needs in a batch. */
  public enum Rows {
    /** anchors then positives (and optional hard negatives): InfoNCE. */
    PAIRS,
    /** one row per text, with a class label: classification. */
    LABELLED,
    /** any rows, with the teacher's embedding of each: distillation. */
    ANY,
    /** two augmented views of each labelled example (all first views, then all second): SupCon. */
    VIEWS
  }

  private final Graph graph;
  private final Arena activations, heads;
  private final WorkerPool pool;
  private final int groups, rowsPerGroup, width;
  private final int[] labels;
  private final Tensor teacher;
  private final Tensor[] layers;
  private final long seed;
  private final List<LongConsumer> perStep = new ArrayList<>();
  private final Map<String, Tensor> components = new LinkedHashMap<>();
  private String scope = "";

  /**
   * @param groups examples per batch (B)
   * @param rowsPerGroup 1 (labelled), 2 (pairs) or 3 (triplets)
   * @param width the full embedding width
   * @param labels [B] class of each example (labelled data), or null
   * @param teacher [rows, teacher width] the teacher's embeddings (distillation), or null
   * @param layers each layer's embeddings (adaptive layers), or null
   * @param seed seeds head initialisation and per-step sampling of dims and layers
   */
  public LossGraph(Graph graph, Arena activations, Arena heads, WorkerPool pool, int groups,
      int rowsPerGroup, int width, int[] labels, Tensor teacher, Tensor[] layers, long seed) {
    this.graph = graph;
    this.activations = activations;
    this.heads = heads;
    this.pool = pool;
    this.groups = groups;
    this.rowsPerGroup = rowsPerGroup;
    this.width = width;
    this.labels = labels;
    this.teacher = teacher;
    this.layers = layers;
    this.seed = seed;
  }

  public <T extends Op> T add(T op) {
    return graph.add(op);
  }

  /** A new activation tensor (values and gradients reused every step). */
  public Tensor tensor(String name, int... shape) {
    return activations.alloc(scope + name, shape);
  }

  /** A new loss parameter (trained with the encoder, saved in checkpoints). */
  public Tensor parameter(String name, int... shape) {
    return heads.alloc(scope + name, shape);
  }

  /** A loss parameter shared across scopes (one MRL-E head for every prefix size). */
  public Tensor sharedParameter(String name, int... shape) {
    return heads.alloc(name, shape);
  }

  public WorkerPool pool() {
    return pool;
  }

  public int groups() {
    return groups;
  }

  public int rowsPerGroup() {
    return rowsPerGroup;
  }

  /** The full embedding width (a shared MRL-E head is this wide). */
  public int width() {
    return width;
  }

  public int[] labels() {
    if (labels == null) {
      throw new IllegalStateException("this batch has no labels: classification needs labelled data");
    }
    return labels;
  }

  public Tensor teacher() {
    if (teacher == null) {
      throw new IllegalStateException("distillation needs a teacher: set teacher: MODEL_DIR");
    }
    return teacher;
  }

  /** The teacher's embeddings, refused when narrower than a student's {@code m} columns. */
  public Tensor teacherFor(int m) {
    Tensor t = teacher();
    if (m > t.dim(1)) {
      throw new IllegalArgumentException("the teacher's embeddings are " + t.dim(1) + " wide, narrower "
          + "than the student's " + m + ": distil into a model (or prefixes) at most " + t.dim(1) + " wide");
    }
    return t;
  }

  public Tensor[] layers() {
    if (layers == null) {
      throw new IllegalStateException("the graph was built without layer embeddings");
    }
    return layers;
  }

  public long seed() {
    return seed;
  }

  /** Runs before every step's forward with the step number (sampling dims or layers per step). */
  public void everyStep(LongConsumer hook) {
    perStep.add(hook);
  }

  /** Called by the trainer before each step's forward pass. */
  public void beginStep(long step) {
    for (LongConsumer h : perStep) {
      h.accept(step);
    }
  }

  /** Names a partial loss (e.g. the loss at 8 dims) so the trainer can log it. */
  public void component(String name, Tensor scalar) {
    components.put(scope + name, scalar);
  }

  /** The named partial losses, in attach order. */
  public Map<String, Tensor> components() {
    return java.util.Collections.unmodifiableMap(components);
  }

  /** Attaches {@code loss} with names prefixed by {@code prefix} (e.g. "layer1/"). */
  Tensor scoped(String prefix, Loss loss, Tensor embeddings) {
    String saved = scope;
    scope = saved + prefix;
    try {
      return loss.attach(this, embeddings);
    } finally {
      scope = saved;
    }
  }
}
