package dev.mtk.models.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The ONNX reader on files written here byte by byte from onnx.proto's field numbers (an
 * independent writer: a few lines of protobuf encoding), and on damaged ones.
 */
class OnnxModelTest {

  /** A protobuf message under construction. */
  static final class Msg {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Msg varint(int field, long v) {
      tag(field, 0);
      raw(v);
      return this;
    }

    Msg bytes(int field, byte[] b) {
      tag(field, 2);
      raw(b.length);
      out.writeBytes(b);
      return this;
    }

    Msg str(int field, String s) {
      return bytes(field, s.getBytes(StandardCharsets.UTF_8));
    }

    Msg msg(int field, Msg m) {
      return bytes(field, m.out.toByteArray());
    }

    Msg fixed32(int field, float f) {
      tag(field, 5);
      int v = Float.floatToIntBits(f);
      for (int i = 0; i < 4; i++) {
        out.write(v >>> (8 * i));
      }
      return this;
    }

    void tag(int field, int wire) {
      raw((long) field << 3 | wire);
    }

    void raw(long v) {
      while ((v & ~0x7fL) != 0) {
        out.write((int) ((v & 0x7f) | 0x80));
        v >>>= 7;
      }
      out.write((int) v);
    }

    byte[] bytes() {
      return out.toByteArray();
    }
  }

  static Msg floatTensor(String name, long[] dims, float[] values) {
    Msg t = new Msg();
    for (long d : dims) {
      t.varint(1, d); // dims, unpacked
    }
    t.varint(2, OnnxModel.FLOAT).str(8, name);
    ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putFloat(v);
    }
    return t.bytes(9, b.array());
  }

  static Msg node(String op, List<String> in, List<String> out) {
    Msg n = new Msg();
    in.forEach(s -> n.str(1, s));
    out.forEach(s -> n.str(2, s));
    return n.str(3, op + "_0").str(4, op);
  }

  static byte[] model(Msg graph) {
    return new Msg().varint(1, 7).str(2, "handwritten").msg(8, new Msg().str(1, "").varint(2, 13))
        .msg(7, graph).bytes();
  }

  static OnnxModel read(byte[] file) throws Exception {
    return OnnxModel.read("test.onnx", () -> new ByteArrayInputStream(file));
  }

  @Test
  void readsTheGraphAndStreamsTheValues() throws Exception {
    float[] w = {1, 2, 3, 4, 5, 6};
    Msg constant = node("Constant", List.of(), List.of("c"));
    constant.msg(5, new Msg().str(1, "value").msg(5, new Msg().varint(2, OnnxModel.FLOAT)
        .bytes(9, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(5.656854f).array()))
        .varint(20, 4));
    Msg softmax = node("Softmax", List.of("s"), List.of("p"));
    softmax.msg(5, new Msg().str(1, "axis").varint(3, 3).varint(20, 2));
    Msg graph = new Msg()
        .msg(1, node("MatMul", List.of("x", "W"), List.of("y")))
        .msg(1, constant)
        .msg(1, softmax)
        .msg(5, floatTensor("W", new long[] {2, 3}, w))
        .msg(5, floatTensor("b.bias", new long[] {3}, new float[] {7, 8, 9}))
        .msg(11, new Msg().str(1, "x"))
        .msg(12, new Msg().str(1, "p"));
    byte[] file = model(graph);
    OnnxModel m = read(file);
    assertEquals(7, m.irVersion());
    assertEquals(Map.of("", 13L), m.opsets());
    assertEquals("handwritten", m.producer());
    assertEquals(List.of("MatMul", "Constant", "Softmax"), m.nodes().stream().map(OnnxModel.Node::opType).toList());
    assertEquals(List.of("x", "W"), m.nodes().get(0).inputs());
    assertEquals(3, m.nodes().get(2).attributes().get("axis").i());
    assertEquals(5.656854f, (float) m.nodes().get(1).attributes().get("value").t().values()[0]);
    assertArrayEquals(new long[] {2, 3}, m.initializer("W").dims());
    assertEquals(List.of("x"), m.inputs());
    assertEquals(List.of("p"), m.outputs());
    float[] got = new float[6], bias = new float[3];
    m.readInitializers(() -> new ByteArrayInputStream(file), Map.of(
        "W", (t, in) -> in.read(got, 0, 6),
        "b.bias", (t, in) -> in.read(bias, 0, 3)));
    assertArrayEquals(w, got);
    assertArrayEquals(new float[] {7, 8, 9}, bias);
  }

  @Test
  void aTruncatedFileIsOneLineNamingIt() throws Exception {
    byte[] file = model(new Msg().msg(5, floatTensor("W", new long[] {64}, new float[64])));
    byte[] cut = java.util.Arrays.copyOf(file, file.length - 10);
    var e = assertThrows(OnnxFormatException.class, () -> read(cut));
    assertTrue(e.getMessage().startsWith("test.onnx: "), e.getMessage());
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
  }

  @Test
  void aLengthLongerThanItsMessageIsRefusedBeforeAllocating() throws Exception {
    // a graph claiming 2 GB inside a 20-byte file
    Msg bad = new Msg();
    bad.tag(7, 2);
    bad.raw(2_000_000_000L);
    bad.out.writeBytes(new byte[16]);
    var e = assertThrows(OnnxFormatException.class, () -> read(bad.bytes()));
    assertTrue(e.getMessage().startsWith("test.onnx: protobuf: "), e.getMessage());
    // and inside a message, a field longer than what the message has left
    Msg inner = new Msg();
    inner.tag(1, 2);
    inner.raw(1_000_000);
    byte[] file = model(new Msg().bytes(1, inner.bytes()));
    var f = assertThrows(OnnxFormatException.class, () -> read(file));
    assertTrue(f.getMessage().contains("runs past the end of its message"), f.getMessage());
  }

  @Test
  void notOnnxAtAll() {
    var e = assertThrows(OnnxFormatException.class,
        () -> read("{\"this is\": \"json\"}".getBytes(StandardCharsets.UTF_8)));
    assertTrue(e.getMessage().startsWith("test.onnx: "), e.getMessage());
  }

  @Test
  void graphsMtkCannotRunAreRefusedNamingTheNodeOrTensor() throws Exception {
    Msg embeddings = floatTensor("embeddings.word_embeddings.weight", new long[] {4, 2}, new float[8]);
    byte[] quantized = model(new Msg().msg(1, node("MatMulInteger", List.of("x", "W"), List.of("y")))
        .msg(5, embeddings));
    var q = assertThrows(OnnxFormatException.class, () -> BertImport.plan(read(quantized), 0, null));
    assertTrue(q.getMessage().contains("quantized"), q.getMessage());
    byte[] conv = model(new Msg().msg(1, node("Conv", List.of("x", "W"), List.of("y"))).msg(5, embeddings));
    var c = assertThrows(OnnxFormatException.class, () -> BertImport.plan(read(conv), 0, null));
    assertTrue(c.getMessage().contains("node Conv_0") && c.getMessage().contains("op Conv"), c.getMessage());
    byte[] notBert = model(new Msg().msg(1, node("Add", List.of("x", "y"), List.of("z"))));
    var n = assertThrows(OnnxFormatException.class, () -> BertImport.plan(read(notBert), 0, null));
    assertTrue(n.getMessage().contains("not a BERT-family model"), n.getMessage());
  }
}
