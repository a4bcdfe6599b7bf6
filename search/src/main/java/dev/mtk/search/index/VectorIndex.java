package dev.mtk.search.index;

import dev.mtk.core.parallel.WorkerPool;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An open index: the file memory-mapped (so indexes larger than a Java array work), ids, the
 * stored prefix norms and the int8 ranges on the heap. Read-only and safe to share between
 * threads; {@link #searcher(WorkerPool)} gives the object that runs queries. Close it to unmap.
 */
public final class VectorIndex implements AutoCloseable {

  private final Path file;
  private final Arena arena;
  final int dim;
  final int count;
  final Metric metric;
  final Precision precision;
  final long[] ids;
  final MemorySegment vectors;
  final int[] normDims;
  final float[][] norms;
  final Int8Codes int8;
  final MemorySegment codes;
  final MemorySegment signBits;
  final int[] bandEdges;
  // ties go to the lower id: when ids are not ascending with rows, heaps are keyed by id rank
  final int[] rankOfRow;
  final int[] rowOfRank;
  /** The texts section and its n + 1 offsets; null when the index keeps no texts. */
  private final MemorySegment texts;
  private final long[] textOffsets;
  private final ConcurrentHashMap<Integer, float[]> extraNorms = new ConcurrentHashMap<>();

  VectorIndex(Path file, Arena arena, int dim, int count, Metric metric, Precision precision,
      long[] ids, MemorySegment vectors, int[] normDims, float[][] norms, Int8Codes int8,
      MemorySegment codes, MemorySegment signBits, MemorySegment texts, long[] textOffsets) {
    this.texts = texts;
    this.textOffsets = textOffsets;
    this.file = file;
    this.arena = arena;
    this.dim = dim;
    this.count = count;
    this.metric = metric;
    this.precision = precision;
    this.ids = ids;
    this.vectors = vectors;
    this.normDims = normDims;
    this.norms = norms;
    this.int8 = int8;
    this.codes = codes;
    this.signBits = signBits;
    this.bandEdges = IndexFile.bandEdges(dim);
    boolean ascending = true;
    for (int i = 1; i < count && ascending; i++) {
      ascending = ids[i - 1] < ids[i];
    }
    if (ascending) {
      rankOfRow = rowOfRank = null;
    } else {
      Integer[] order = new Integer[count];
      for (int i = 0; i < count; i++) {
        order[i] = i;
      }
      Arrays.sort(order, (a, b) -> Long.compare(ids[a], ids[b]));
      rowOfRank = new int[count];
      rankOfRow = new int[count];
      for (int r = 0; r < count; r++) {
        rowOfRank[r] = order[r];
        rankOfRow[order[r]] = r;
      }
    }
  }

  public Path file() {
    return file;
  }

  public int dim() {
    return dim;
  }

  public int count() {
    return count;
  }

  public Metric metric() {
    return metric;
  }

  public Precision precision() {
    return precision;
  }

  /** The ids in row order (a copy). */
  public long[] ids() {
    return ids.clone();
  }

  /** Whether the index keeps a text per row (index build --model --input does). */
  public boolean hasTexts() {
    return texts != null;
  }

  /** Row r's text, or null when the index keeps none. */
  public String text(int row) {
    if (texts == null) {
      return null;
    }
    long base = 8L * (count + 1);
    byte[] b = texts.asSlice(base + textOffsets[row], textOffsets[row + 1] - textOffsets[row])
        .toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    return new String(b, java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Every row's text in row order (to append rows); null when the index keeps none. */
  public java.util.List<String> texts() {
    if (texts == null) {
      return null;
    }
    java.util.List<String> all = new java.util.ArrayList<>(count);
    for (int r = 0; r < count; r++) {
      all.add(text(r));
    }
    return all;
  }

  /** The row holding id {@code id}, or -1. */
  public int rowOf(long id) {
    int lo = 0, hi = count - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      long v = ids[row(mid)];
      if (v < id) {
        lo = mid + 1;
      } else if (v > id) {
        hi = mid - 1;
      } else {
        return row(mid);
      }
    }
    return -1;
  }

  /** The int8 ranges, or null when the index has no int8 codes. */
  public Int8Codes int8() {
    return int8;
  }

  /** The stored float vectors, row by row: what {@link IndexFile#write} needs to append. */
  public RowSource rows() {
    return new RowSource() {
      @Override
      public long rows() {
        return count;
      }

      @Override
      public int dim() {
        return dim;
      }

      @Override
      public void row(long r, float[] out) {
        MemorySegment.copy(vectors, IndexFile.LE_FLOAT, r * dim * 4L, out, 0, dim);
      }
    };
  }

  public Searcher searcher(WorkerPool pool) {
    return new Searcher(this, pool);
  }

  /**
   * Per-row prefix norms for a prefix of m: 1/|x_m| for cosine, |x_m|² for l2, null for ip.
   * Stored for 8, 16, 32, … and d; any other m is computed once (one pass over the vectors) and
   * kept.
   */
  float[] norms(int m, WorkerPool pool) {
    if (metric == Metric.IP) {
      return null;
    }
    int p = Arrays.binarySearch(normDims, m);
    if (p >= 0) {
      return norms[p];
    }
    return extraNorms.computeIfAbsent(m, key -> {
      float[] out = new float[count];
      int chunk = 8192;
      pool.forEach((count + chunk - 1) / chunk, t -> {
        for (int r = t * chunk; r < Math.min(count, (t + 1) * chunk); r++) {
          double ss = 0;
          long base = (long) r * dim * 4;
          for (int j = 0; j < m; j++) {
            float v = vectors.get(IndexFile.LE_FLOAT, base + 4L * j);
            ss += (double) v * v;
          }
          out[r] = IndexFile.storedNorm(metric, ss);
        }
      });
      return out;
    });
  }

  int key(int row) {
    return rankOfRow == null ? row : rankOfRow[row];
  }

  int row(int key) {
    return rowOfRank == null ? key : rowOfRank[key];
  }

  @Override
  public void close() {
    arena.close();
  }
}
