package dev.mtk.models.onnx;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What mtk reads of an ONNX file (onnx.proto's ModelProto): the opsets, the graph's nodes with
 * their attributes, its inputs and outputs, and each initializer's name, type and shape. The
 * initializers' values are not held: {@link #readInitializers} streams them, a second pass over
 * the file, straight to where the caller wants them — a 90 MB model is never in memory twice.
 */
public final class OnnxModel {

  /** onnx.proto's TensorProto.DataType values that mtk names in its messages. */
  public static final int FLOAT = 1, UINT8 = 2, INT8 = 3, INT32 = 6, INT64 = 7, FLOAT16 = 10,
      DOUBLE = 11, BFLOAT16 = 16;

  /** A graph node: its op, its input and output value names, its attributes by name. */
  public record Node(String opType, String domain, String name, List<String> inputs,
      List<String> outputs, Map<String, Attribute> attributes) {}

  /** An attribute: a number, numbers, a string or a small tensor (whichever the file set). */
  public record Attribute(String name, long i, float f, long[] ints, float[] floats, String s,
      Tensor t) {}

  /**
   * A tensor's header; for a constant (a node attribute) also its values, as doubles ({@code
   * values}, null for initializers, whose values are streamed).
   */
  public record Tensor(String name, int dataType, long[] dims, boolean external, double[] values) {
    public long count() {
      long n = 1;
      for (long d : dims) {
        n *= d;
      }
      return n;
    }

    public String shape() {
      return java.util.Arrays.toString(dims);
    }
  }

  private final String file;
  private final long irVersion;
  private final Map<String, Long> opsets;
  private final String producer;
  private final List<Node> nodes;
  private final List<Tensor> initializers;
  private final List<String> inputs, outputs;

  private OnnxModel(String file, long irVersion, Map<String, Long> opsets, String producer,
      List<Node> nodes, List<Tensor> initializers, List<String> inputs, List<String> outputs) {
    this.file = file;
    this.irVersion = irVersion;
    this.opsets = opsets;
    this.producer = producer;
    this.nodes = nodes;
    this.initializers = initializers;
    this.inputs = inputs;
    this.outputs = outputs;
  }

  /** Opens the file's bytes again, from the start, for each pass. */
  @FunctionalInterface
  public interface Source {
    InputStream open() throws IOException;
  }

  /** Receives the values of one initializer: {@code count} floats to read from {@code in}. */
  @FunctionalInterface
  public interface Sink {
    void accept(Tensor tensor, FloatStream in) throws IOException;
  }

  /** The values of one float tensor, read in order. */
  public interface FloatStream {
    void read(float[] dst, int offset, int count) throws IOException;
  }

  /** Reads the graph (a first pass; values are skipped). {@code file} names it in errors. */
  public static OnnxModel read(String file, Source source) throws IOException {
    try (InputStream in = source.open()) {
      ProtoReader r = new ProtoReader(in);
      long ir = 0;
      String producer = "";
      Map<String, Long> opsets = new LinkedHashMap<>();
      Graph g = null;
      while (!r.atEnd()) {
        int tag = r.tag();
        switch (tag) {
          case 1 << 3 | ProtoReader.VARINT -> ir = r.varint();
          case 2 << 3 | ProtoReader.LEN -> producer = r.string(1 << 10);
          case 7 << 3 | ProtoReader.LEN -> {
            r.push(r.length());
            g = graph(r);
            r.pop();
          }
          case 8 << 3 | ProtoReader.LEN -> {
            r.push(r.length());
            String domain = "";
            long version = 0;
            while (!r.atEnd()) {
              int t = r.tag();
              if (t == (1 << 3 | ProtoReader.LEN)) {
                domain = r.string(1 << 10);
              } else if (t == (2 << 3 | ProtoReader.VARINT)) {
                version = r.varint();
              } else {
                r.skipValue(t & 7);
              }
            }
            r.pop();
            opsets.put(domain, version);
          }
          default -> r.skipValue(tag & 7);
        }
      }
      if (g == null) {
        throw new OnnxFormatException(file, "ModelProto.graph", "is missing: not an ONNX model");
      }
      return new OnnxModel(file, ir, Collections.unmodifiableMap(opsets), producer,
          List.copyOf(g.nodes), List.copyOf(g.initializers), List.copyOf(g.inputs),
          List.copyOf(g.outputs));
    } catch (ProtoReader.ProtoException | java.io.EOFException e) {
      throw new OnnxFormatException(file, "protobuf", e.getMessage() + " (a corrupt or truncated file?)");
    }
  }

  private record Graph(List<Node> nodes, List<Tensor> initializers, List<String> inputs,
      List<String> outputs) {}

  private static Graph graph(ProtoReader r) throws IOException {
    List<Node> nodes = new ArrayList<>();
    List<Tensor> inits = new ArrayList<>();
    List<String> inputs = new ArrayList<>(), outputs = new ArrayList<>();
    while (!r.atEnd()) {
      int tag = r.tag();
      switch (tag) {
        case 1 << 3 | ProtoReader.LEN -> {
          r.push(r.length());
          nodes.add(node(r));
          r.pop();
        }
        case 5 << 3 | ProtoReader.LEN -> {
          r.push(r.length());
          inits.add(tensor(r, false));
          r.pop();
        }
        case 11 << 3 | ProtoReader.LEN, 12 << 3 | ProtoReader.LEN -> {
          r.push(r.length());
          String name = "";
          while (!r.atEnd()) {
            int t = r.tag();
            if (t == (1 << 3 | ProtoReader.LEN)) {
              name = r.string(1 << 12);
            } else {
              r.skipValue(t & 7);
            }
          }
          r.pop();
          (tag >>> 3 == 11 ? inputs : outputs).add(name);
        }
        case 15 << 3 | ProtoReader.LEN -> throw new ProtoReader.ProtoException(
            "the graph has sparse initializers, which mtk does not read");
        default -> r.skipValue(tag & 7);
      }
    }
    return new Graph(nodes, inits, inputs, outputs);
  }

  private static Node node(ProtoReader r) throws IOException {
    List<String> in = new ArrayList<>(), out = new ArrayList<>();
    String op = "", domain = "", name = "";
    Map<String, Attribute> attrs = new LinkedHashMap<>();
    while (!r.atEnd()) {
      int tag = r.tag();
      switch (tag) {
        case 1 << 3 | ProtoReader.LEN -> in.add(r.string(1 << 12));
        case 2 << 3 | ProtoReader.LEN -> out.add(r.string(1 << 12));
        case 3 << 3 | ProtoReader.LEN -> name = r.string(1 << 12);
        case 4 << 3 | ProtoReader.LEN -> op = r.string(1 << 10);
        case 7 << 3 | ProtoReader.LEN -> domain = r.string(1 << 10);
        case 5 << 3 | ProtoReader.LEN -> {
          r.push(r.length());
          Attribute a = attribute(r);
          r.pop();
          attrs.put(a.name(), a);
        }
        default -> r.skipValue(tag & 7);
      }
    }
    return new Node(op, domain, name, List.copyOf(in), List.copyOf(out), Collections.unmodifiableMap(attrs));
  }

  private static Attribute attribute(ProtoReader r) throws IOException {
    String name = "", s = null;
    long i = 0;
    float f = 0;
    List<Long> ints = new ArrayList<>();
    List<Float> floats = new ArrayList<>();
    Tensor t = null;
    while (!r.atEnd()) {
      int tag = r.tag();
      switch (tag) {
        case 1 << 3 | ProtoReader.LEN -> name = r.string(1 << 10);
        case 2 << 3 | ProtoReader.FIXED32 -> f = Float.intBitsToFloat(r.fixed32());
        case 3 << 3 | ProtoReader.VARINT -> i = r.varint();
        case 4 << 3 | ProtoReader.LEN -> s = r.string(1 << 16);
        case 5 << 3 | ProtoReader.LEN -> {
          r.push(r.length());
          t = tensor(r, true);
          r.pop();
        }
        case 7 << 3 | ProtoReader.FIXED32 -> floats.add(Float.intBitsToFloat(r.fixed32()));
        case 7 << 3 | ProtoReader.LEN -> {
          r.push(r.length());
          while (!r.atEnd()) {
            floats.add(Float.intBitsToFloat(r.fixed32()));
          }
          r.pop();
        }
        case 8 << 3 | ProtoReader.VARINT -> ints.add(r.varint());
        case 8 << 3 | ProtoReader.LEN -> {
          r.push(r.length());
          while (!r.atEnd()) {
            ints.add(r.varint());
          }
          r.pop();
        }
        default -> r.skipValue(tag & 7);
      }
    }
    float[] fl = new float[floats.size()];
    for (int k = 0; k < fl.length; k++) {
      fl[k] = floats.get(k);
    }
    return new Attribute(name, i, f, ints.stream().mapToLong(Long::longValue).toArray(), fl, s, t);
  }

  /** The most values a constant may hold to be read into memory (shapes, scalars, axes). */
  private static final int MAX_CONSTANT = 1 << 16;

  /** A TensorProto: its header, and for constants ({@code values}) its numbers. */
  private static Tensor tensor(ProtoReader r, boolean values) throws IOException {
    List<Long> dims = new ArrayList<>();
    int type = 0;
    String name = "";
    boolean external = false;
    byte[] raw = null;
    List<Double> listed = new ArrayList<>();
    while (!r.atEnd()) {
      int tag = r.tag();
      switch (tag) {
        case 1 << 3 | ProtoReader.VARINT -> dims.add(r.varint());
        case 1 << 3 | ProtoReader.LEN -> {
          r.push(r.length());
          while (!r.atEnd()) {
            dims.add(r.varint());
          }
          r.pop();
        }
        case 2 << 3 | ProtoReader.VARINT -> type = (int) r.varint();
        case 8 << 3 | ProtoReader.LEN -> name = r.string(1 << 12);
        case 14 << 3 | ProtoReader.VARINT -> external = r.varint() == 1;
        case 9 << 3 | ProtoReader.LEN -> {
          long n = r.length();
          if (values && n <= 8L * MAX_CONSTANT) {
            raw = new byte[(int) n];
            r.readFully(raw, 0, raw.length);
          } else {
            r.skip(n);
          }
        }
        case 4 << 3 | ProtoReader.LEN, 7 << 3 | ProtoReader.LEN, 5 << 3 | ProtoReader.LEN,
            10 << 3 | ProtoReader.LEN -> {
          long n = r.length();
          if (!values || n > 8L * MAX_CONSTANT) {
            r.skip(n);
            break;
          }
          r.push(n);
          int field = tag >>> 3;
          while (!r.atEnd()) {
            listed.add(switch (field) {
              case 4 -> (double) Float.intBitsToFloat(r.fixed32());
              case 10 -> Double.longBitsToDouble(r.fixed64());
              default -> (double) r.varint();
            });
          }
          r.pop();
        }
        default -> r.skipValue(tag & 7);
      }
    }
    long[] d = dims.stream().mapToLong(Long::longValue).toArray();
    double[] v = null;
    if (values) {
      v = raw != null ? decodeRaw(raw, type) : listed.stream().mapToDouble(Double::doubleValue).toArray();
    }
    return new Tensor(name, type, d, external, v);
  }

  private static double[] decodeRaw(byte[] raw, int type) {
    var b = java.nio.ByteBuffer.wrap(raw).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    return switch (type) {
      case FLOAT -> {
        double[] v = new double[raw.length / 4];
        for (int k = 0; k < v.length; k++) {
          v[k] = b.getFloat();
        }
        yield v;
      }
      case INT64 -> {
        double[] v = new double[raw.length / 8];
        for (int k = 0; k < v.length; k++) {
          v[k] = b.getLong();
        }
        yield v;
      }
      case INT32 -> {
        double[] v = new double[raw.length / 4];
        for (int k = 0; k < v.length; k++) {
          v[k] = b.getInt();
        }
        yield v;
      }
      case DOUBLE -> {
        double[] v = new double[raw.length / 8];
        for (int k = 0; k < v.length; k++) {
          v[k] = b.getDouble();
        }
        yield v;
      }
      default -> new double[0];
    };
  }

  /**
   * A second pass: streams the float values of the initializers that {@code sinks} names to
   * them, in file order; every named one must be a float tensor stored in the file.
   */
  public void readInitializers(Source source, Map<String, Sink> sinks) throws IOException {
    for (String name : sinks.keySet()) {
      Tensor t = initializer(name);
      if (t == null) {
        throw new OnnxFormatException(file, "graph.initializer", "has no tensor named " + name);
      }
      if (t.dataType() != FLOAT) {
        throw new OnnxFormatException(file, "initializer " + name, "is of data type "
            + typeName(t.dataType()) + "; only float32 weights are read (a quantized model?)");
      }
      if (t.external()) {
        throw new OnnxFormatException(file, "initializer " + name, "keeps its data in an "
            + "external file; only self-contained .onnx files are read");
      }
    }
    try (InputStream in = source.open()) {
      ProtoReader r = new ProtoReader(in);
      while (!r.atEnd()) {
        int tag = r.tag();
        if (tag != (7 << 3 | ProtoReader.LEN)) {
          r.skipValue(tag & 7);
          continue;
        }
        r.push(r.length());
        int index = 0;
        while (!r.atEnd()) {
          int t = r.tag();
          if (t != (5 << 3 | ProtoReader.LEN)) {
            r.skipValue(t & 7);
            continue;
          }
          r.push(r.length());
          Tensor header = initializers.get(index++);
          Sink sink = sinks.get(header.name());
          if (sink != null) {
            streamValues(r, header, sink);
          }
          r.pop();
        }
        r.pop();
      }
    } catch (ProtoReader.ProtoException | java.io.EOFException e) {
      throw new OnnxFormatException(file, "protobuf", e.getMessage() + " (a corrupt or truncated file?)");
    }
  }

  private void streamValues(ProtoReader r, Tensor header, Sink sink) throws IOException {
    long count = header.count();
    while (!r.atEnd()) {
      int tag = r.tag();
      if (tag == (9 << 3 | ProtoReader.LEN) || tag == (4 << 3 | ProtoReader.LEN)) {
        long n = r.length();
        if (n != 4 * count) {
          throw new OnnxFormatException(file, "initializer " + header.name(), "holds " + n
              + " bytes, not the " + 4 * count + " of a float tensor " + header.shape());
        }
        long before = r.position();
        sink.accept(header, (dst, off, k) -> r.readFloats(dst, off, k));
        if (r.position() != before + n) {
          throw new IllegalStateException("the sink of " + header.name() + " read "
              + (r.position() - before) + " of " + n + " bytes");
        }
        return;
      }
      r.skipValue(tag & 7);
    }
    throw new OnnxFormatException(file, "initializer " + header.name(), "has no values");
  }

  public String file() {
    return file;
  }

  public long irVersion() {
    return irVersion;
  }

  /** Opset version by domain ("" is the default ONNX domain). */
  public Map<String, Long> opsets() {
    return opsets;
  }

  public String producer() {
    return producer;
  }

  public List<Node> nodes() {
    return nodes;
  }

  public List<Tensor> initializers() {
    return initializers;
  }

  public Tensor initializer(String name) {
    for (Tensor t : initializers) {
      if (t.name().equals(name)) {
        return t;
      }
    }
    return null;
  }

  public List<String> inputs() {
    return inputs;
  }

  public List<String> outputs() {
    return outputs;
  }

  public static String typeName(int type) {
    return switch (type) {
      case FLOAT -> "float32";
      case UINT8 -> "uint8";
      case INT8 -> "int8";
      case INT32 -> "int32";
      case INT64 -> "int64";
      case FLOAT16 -> "float16";
      case DOUBLE -> "float64";
      case BFLOAT16 -> "bfloat16";
      default -> "type " + type;
    };
  }
}
