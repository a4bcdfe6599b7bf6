package dev.mtk.experiments.search;

import dev.mtk.core.parallel.WorkerPool;
import dev.mtk.models.inference.EmbedOptions;
import dev.mtk.models.inference.EmbeddingModel;
import dev.mtk.models.inference.Embeddings;
import dev.mtk.search.index.Funnel;
import dev.mtk.search.index.Hits;
import dev.mtk.search.index.IndexFile;
import dev.mtk.search.index.Metric;
import dev.mtk.search.index.Precision;
import dev.mtk.search.index.RowSource;
import dev.mtk.search.index.VectorIndex;
import dev.mtk.training.task.ReverseDictionary;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Texts searched by text: a model embeds them (full width, L2-normalised, through the inference
 * API) into an index that keeps each row's text, and a query is embedded the same way and
 * searched at any prefix. {@code mtk index build --model}, {@code mtk query} and the
 * quickstart's WordNet index all go through here.
 */
public final class TextIndex {

  /** One hit: its id, score and the text the index keeps for it. */
  public record Hit(long id, float score, String text) {}

  /** Sequences per encoder pass while indexing. */
  static final int BATCH = 256;

  private TextIndex() {}

  /**
   * Embeds {@code texts} and writes an index of them to {@code dir}, keeping {@code stored}
   * (null: the texts themselves) as each row's text. Returns the rows' embeddings' summary.
   */
  public static Embeddings build(EmbeddingModel model, List<String> texts, List<String> stored,
      long[] ids, Metric metric, Precision precision, Path dir, IndexFile.Progress progress)
      throws IOException {
    Embeddings e = model.embedTexts(texts, EmbedOptions.DEFAULT.withBatch(BATCH));
    IndexFile.write(dir.resolve(IndexFile.FILE_NAME), RowSource.of(e.vectors(), e.rows(), e.dim()),
        ids, stored == null ? texts : stored, metric, precision, null, progress);
    return e;
  }

  /**
   * Embeds image files and writes an index of them to {@code dir}, keeping each file's path (as
   * given) as its row's text, so that a search names the images it found.
   */
  public static Embeddings buildImages(EmbeddingModel model, List<Path> files, long[] ids, Metric metric,
      Precision precision, Path dir, IndexFile.Progress progress) throws IOException {
    Embeddings e = model.embedImages(files, EmbedOptions.DEFAULT.withBatch(BATCH));
    IndexFile.write(dir.resolve(IndexFile.FILE_NAME), RowSource.of(e.vectors(), e.rows(), e.dim()),
        ids, files.stream().map(Path::toString).toList(), metric, precision, null, progress);
    return e;
  }

  /** Embeds image files and appends them (with their paths) to the index in {@code dir}. */
  public static Embeddings addImages(EmbeddingModel model, Path dir, List<Path> files, long[] ids,
      IndexFile.Progress progress) throws IOException {
    Embeddings e = model.embedImages(files, EmbedOptions.DEFAULT.withBatch(BATCH));
    IndexFile.append(dir, RowSource.of(e.vectors(), e.rows(), e.dim()), ids,
        files.stream().map(Path::toString).toList(), progress);
    return e;
  }

  /** Embeds {@code texts} and appends them (with their texts) to the index in {@code dir}. */
  public static Embeddings add(EmbeddingModel model, Path dir, List<String> texts, long[] ids,
      IndexFile.Progress progress) throws IOException {
    Embeddings e = model.embedTexts(texts, EmbedOptions.DEFAULT.withBatch(BATCH));
    IndexFile.append(dir, RowSource.of(e.vectors(), e.rows(), e.dim()), ids, texts, progress);
    return e;
  }

  /**
   * The {@code k} nearest rows to {@code query} at prefix {@code dim} (0: the index's width),
   * through {@code funnel} when given. An empty query (no tokens) is an error: its embedding is
   * zero and would rank rows arbitrarily.
   */
  public static List<Hit> query(EmbeddingModel model, VectorIndex index, String query, int dim,
      int k, Funnel funnel, WorkerPool pool) {
    check(model, index, dim, k);
    Embeddings q = model.embedTexts(List.of(query), EmbedOptions.DEFAULT.withBatch(1));
    if (q.empty() > 0) {
      throw new IllegalArgumentException("the query is empty (it has no tokens): nothing to search for");
    }
    return search(index, q, dim, k, funnel, pool);
  }

  /** As {@link #query}, with an image file as the query (an image model, an index of images). */
  public static List<Hit> queryImage(EmbeddingModel model, VectorIndex index, Path image, int dim,
      int k, Funnel funnel, WorkerPool pool) throws IOException {
    check(model, index, dim, k);
    return search(index, model.embedImages(List.of(image), EmbedOptions.DEFAULT.withBatch(1)), dim, k,
        funnel, pool);
  }

  private static void check(EmbeddingModel model, VectorIndex index, int dim, int k) {
    if (model.width() != index.dim()) {
      throw new IllegalArgumentException("the model embeds " + model.width()
          + " dimensions but the index holds " + index.dim() + ": build the index with this model");
    }
    if (k < 1) {
      throw new IllegalArgumentException("k must be at least 1, got " + k);
    }
    int m = dim == 0 ? index.dim() : dim;
    if (m < 1 || m > index.dim()) {
      throw new IllegalArgumentException("dim must be in 1.." + index.dim() + ", got " + dim);
    }
  }

  private static List<Hit> search(VectorIndex index, Embeddings q, int dim, int k, Funnel funnel,
      WorkerPool pool) {
    int m = dim == 0 ? index.dim() : dim;
    Hits h = index.searcher(pool).search(q.vectors(), 1, q.dim(), k, m, funnel);
    List<Hit> out = new ArrayList<>();
    for (int j = 0; j < h.found(0); j++) {
      long id = h.id(0, j);
      out.add(new Hit(id, h.score(0, j), index.hasTexts() ? index.text(index.rowOf(id)) : null));
    }
    return out;
  }

  /**
   * Opens the index in {@code dir} on another thread and runs one throw-away search at prefix
   * {@code dim} through {@code funnel}, so that while the caller loads its model the scan is
   * compiled (a one-shot query otherwise spends most of its time in the scan's first, interpreted
   * pass). The throw-away search changes nothing: an index is read-only.
   */
  public static Opening openWarm(Path dir, int dim, int k, Funnel funnel, WorkerPool pool) {
    return new Opening(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
      try {
        VectorIndex index = IndexFile.open(dir);
        try {
          float[] q = new float[index.dim()];
          java.util.Arrays.fill(q, (float) (1 / Math.sqrt(index.dim())));
          int m = dim == 0 ? index.dim() : Math.min(dim, index.dim());
          index.searcher(pool).search(q, 1, q.length, Math.min(k, index.count()), m, funnel);
        } catch (RuntimeException e) {
          // a bad dim, k or funnel: the real query reports it
        }
        return index;
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }));
  }

  /** An index being opened on another thread; {@link #get} waits and rethrows its failure as it was. */
  public record Opening(java.util.concurrent.CompletableFuture<VectorIndex> future) {
    public VectorIndex get() throws IOException {
      try {
        return future.join();
      } catch (java.util.concurrent.CompletionException e) {
        Throwable c = e.getCause() instanceof java.io.UncheckedIOException u ? u.getCause() : e.getCause();
        if (c instanceof IOException io) {
          throw io;
        }
        if (c instanceof RuntimeException r) {
          throw r;
        }
        throw e;
      }
    }
  }

  /** Something done with an open index. */
  @FunctionalInterface
  public interface IndexUse<T> {
    T apply(VectorIndex index) throws IOException;
  }

  /**
   * Opens the index in {@code dir}, or — with {@code dir} null — builds WordNet's (see
   * {@link #buildWordNet}) in a temporary directory that is removed afterwards.
   */
  public static <T> T withIndex(Path dir, EmbeddingModel model, IndexUse<T> use) throws IOException {
    return withIndex(dir == null ? null : IndexFile.open(dir), model, use);
  }

  /** As {@link #withIndex(Path, EmbeddingModel, IndexUse)} with an index already open (closed here). */
  public static <T> T withIndex(VectorIndex open, EmbeddingModel model, IndexUse<T> use) throws IOException {
    if (open != null) {
      try (open) {
        return use.apply(open);
      }
    }
    Path tmp = java.nio.file.Files.createTempDirectory("mtk-wordnet-index");
    try {
      buildWordNet(model, tmp, IndexFile.Progress.NONE);
      try (VectorIndex index = IndexFile.open(tmp)) {
        return use.apply(index);
      }
    } finally {
      java.nio.file.Files.deleteIfExists(tmp.resolve(IndexFile.FILE_NAME));
      java.nio.file.Files.deleteIfExists(tmp);
    }
  }

  /**
   * Writes ({@code append} false) or extends the index in {@code dir} with the rows of a float32
   * .npy; {@code idFile} (one id per line, see {@link dev.mtk.search.index.IdFile}) null numbers
   * them. Returns the rows the call brought.
   */
  public static long fromVectors(Path npy, Path idFile, boolean append, Metric metric,
      Precision precision, Path dir, IndexFile.Progress progress) throws IOException {
    try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
      dev.mtk.core.io.Npy.Matrix m = dev.mtk.core.io.Npy.map(npy, arena);
      long[] ids = idFile == null ? null : dev.mtk.search.index.IdFile.read(idFile, m.rows());
      if (append) {
        IndexFile.append(dir, RowSource.of(m), ids, null, progress);
      } else {
        IndexFile.write(dir.resolve(IndexFile.FILE_NAME), RowSource.of(m), ids, metric, precision,
            null, progress);
      }
      return m.rows();
    }
  }

  /**
   * Every WordNet answer (a synset's lemmas, 117,791) embedded and kept with one of its
   * definitions ("lemmas — definition"): the database {@code mtk query} searches by default.
   */
  public static Embeddings buildWordNet(EmbeddingModel model, Path dir, IndexFile.Progress progress)
      throws IOException {
    ReverseDictionary data = ReverseDictionary.load();
    List<String> docs = data.documents();
    String[] meaning = new String[docs.size()];
    for (var s : ReverseDictionary.Split.values()) {
      for (var e : data.examples(s)) {
        if (meaning[e.document()] == null) {
          meaning[e.document()] = e.query();
        }
      }
    }
    List<String> stored = new ArrayList<>(docs.size());
    for (int i = 0; i < docs.size(); i++) {
      stored.add(meaning[i] == null ? docs.get(i) : docs.get(i) + " — " + meaning[i]);
    }
    return build(model, docs, stored, null, Metric.COSINE, Precision.F32, dir, progress);
  }
}
