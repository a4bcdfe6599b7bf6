package dev.mtk.spark.embed;

import dev.mtk.models.inference.EmbedOptions;
import dev.mtk.models.inference.EmbeddingModel;
import dev.mtk.models.inference.Embeddings;
import dev.mtk.spark.Sessions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A Spark ML transformer that adds a Matryoshka embedding column: each partition goes through
 * the project's one inference API ({@link EmbeddingModel}), loaded once per executor JVM, in
 * batches of {@code batchSize}; rows are the bits {@code ./mtk embed} writes for the same inputs.
 * The input column holds texts for a text model (and for a text↔speech model's text tower), and
 * file paths for an image, audio or video model (readable where the executors run).
 *
 * <pre>
 * new MatryoshkaEmbedder().setModelPath("runs/quickstart/model").setInputCol("text")
 *     .setOutputCol("embedding").setDimensions(64).transform(docs)
 * </pre>
 */
public final class MatryoshkaEmbedder extends Transformer {

  private static final long serialVersionUID = 1L;
  /** Rows handed to the model per call: enough for its length-sorted batches, bounded in memory. */
  static final int ROWS_PER_CALL = 4096;

  private final String uid;
  private final Param<String> inputCol;
  private final Param<String> outputCol;
  private final Param<String> modelPath;
  private final IntParam dimensions;
  private final IntParam batchSize;
  private final IntParam layer;
  private final Param<String> inputType;

  public MatryoshkaEmbedder() {
    this(Identifiable$.MODULE$.randomUID("mtkEmbedder"));
  }

  public MatryoshkaEmbedder(String uid) {
    this.uid = uid;
    inputCol = new Param<>(this, "inputCol", "column of texts (or of file paths, for an image/audio/video model)");
    outputCol = new Param<>(this, "outputCol", "column to add: array<float>, the embedding");
    modelPath = new Param<>(this, "modelPath", "mtk model directory, readable by every executor");
    dimensions = new IntParam(this, "dimensions", "Matryoshka prefix m (0: all d), L2-renormalised",
        ParamValidators.gtEq(0));
    batchSize = new IntParam(this, "batchSize", "sequences per encoder pass (rows do not depend on it)",
        ParamValidators.gtEq(1));
    layer = new IntParam(this, "layer", "the model cut after its first l layers (0: all)", ParamValidators.gtEq(0));
    inputType = new Param<>(this, "inputType", "auto, text or path: what the input column holds "
        + "(auto: texts for a text or text↔speech model, paths for an image, audio or video model)",
        ParamValidators.inArray(new String[] {"auto", "text", "path"}));
    setDefault(inputCol, "text");
    setDefault(outputCol, "embedding");
    setDefault(dimensions, 0);
    setDefault(batchSize, 64);
    setDefault(layer, 0);
    setDefault(inputType, "auto");
  }

  @Override
  public String uid() {
    return uid;
  }

  public Param<String> inputCol() {
    return inputCol;
  }

  public Param<String> outputCol() {
    return outputCol;
  }

  public Param<String> modelPath() {
    return modelPath;
  }

  public IntParam dimensions() {
    return dimensions;
  }

  public IntParam batchSize() {
    return batchSize;
  }

  public IntParam layer() {
    return layer;
  }

  public Param<String> inputType() {
    return inputType;
  }

  public MatryoshkaEmbedder setInputCol(String v) {
    set(inputCol, v);
    return this;
  }

  public MatryoshkaEmbedder setOutputCol(String v) {
    set(outputCol, v);
    return this;
  }

  public MatryoshkaEmbedder setModelPath(String v) {
    set(modelPath, v);
    return this;
  }

  public MatryoshkaEmbedder setDimensions(int v) {
    set(dimensions, v);
    return this;
  }

  public MatryoshkaEmbedder setBatchSize(int v) {
    set(batchSize, v);
    return this;
  }

  public MatryoshkaEmbedder setLayer(int v) {
    set(layer, v);
    return this;
  }

  public MatryoshkaEmbedder setInputType(String v) {
    set(inputType, v);
    return this;
  }

  @Override
  public StructType transformSchema(StructType schema) {
    String in = $(inputCol), out = $(outputCol);
    if (!Arrays.asList(schema.fieldNames()).contains(in)) {
      throw new IllegalArgumentException("no column \"" + in + "\" (columns: " + String.join(", ", schema.fieldNames())
          + "); set inputCol");
    }
    if (!schema.apply(in).dataType().equals(DataTypes.StringType)) {
      throw new IllegalArgumentException("column \"" + in + "\" is " + schema.apply(in).dataType().simpleString()
          + "; it must hold strings (texts or file paths)");
    }
    if (Arrays.asList(schema.fieldNames()).contains(out)) {
      throw new IllegalArgumentException("column \"" + out + "\" exists already; set outputCol");
    }
    return schema.add(new StructField(out, DataTypes.createArrayType(DataTypes.FloatType, false), false,
        org.apache.spark.sql.types.Metadata.empty()));
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    if (!isDefined(modelPath)) {
      throw new IllegalArgumentException("set modelPath: the mtk model directory to embed with");
    }
    StructType out = transformSchema(dataset.schema());
    int column = dataset.schema().fieldIndex($(inputCol));
    String model = $(modelPath), kind = $(inputType);
    // the options as plain values: the function below is shipped to executors without this object
    int dim = (Integer) $(dimensions), cut = (Integer) $(layer), batch = (Integer) $(batchSize);
    int threads = Sessions.executorThreads(dataset.sparkSession().sparkContext().getConf());
    JavaRDD<Row> rows = dataset.toDF().javaRDD().mapPartitions(
        (Iterator<Row> it) -> embedPartition(it, model, kind, column, dim, cut, batch, threads));
    return dataset.sparkSession().createDataFrame(rows, out);
  }

  /** One partition: its rows in calls of {@link #ROWS_PER_CALL}, each row with its embedding added. */
  static Iterator<Row> embedPartition(Iterator<Row> it, String model, String kind, int column, int dim,
      int layer, int batch, int threads) {
    EmbeddingModel m = ExecutorModels.get(model, threads);
    boolean texts = switch (kind) {
      case "text" -> true;
      case "path" -> false;
      default -> m.imageFormat() == null || m.textTower() != null;
    };
    EmbedOptions options = new EmbedOptions(dim, layer, batch, true);
    return new Iterator<>() {
      private final List<Row> pending = new ArrayList<>();
      private int next;

      @Override
      public boolean hasNext() {
        if (next < pending.size()) {
          return true;
        }
        pending.clear();
        next = 0;
        List<Row> chunk = new ArrayList<>();
        while (chunk.size() < ROWS_PER_CALL && it.hasNext()) {
          chunk.add(it.next());
        }
        if (chunk.isEmpty()) {
          return false;
        }
        List<String> values = new ArrayList<>(chunk.size());
        for (Row r : chunk) {
          if (r.isNullAt(column)) {
            throw new IllegalArgumentException("a row has no value in column " + r.schema().fieldNames()[column]
                + " (null): " + r);
          }
          values.add(r.getString(column));
        }
        Embeddings e;
        try {
          e = texts ? m.embedTexts(values, options)
              : m.embedImages(values.stream().map(Path::of).toList(), options);
        } catch (java.io.IOException ex) {
          throw new java.io.UncheckedIOException(ex);
        }
        for (int i = 0; i < chunk.size(); i++) {
          Row r = chunk.get(i);
          Object[] v = new Object[r.length() + 1];
          for (int c = 0; c < r.length(); c++) {
            v[c] = r.get(c);
          }
          v[r.length()] = Arrays.copyOfRange(e.vectors(), i * e.dim(), (i + 1) * e.dim());
          pending.add(RowFactory.create(v));
        }
        return true;
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new java.util.NoSuchElementException();
        }
        return pending.get(next++);
      }
    };
  }

  @Override
  public MatryoshkaEmbedder copy(ParamMap extra) {
    return defaultCopy(extra);
  }
}
