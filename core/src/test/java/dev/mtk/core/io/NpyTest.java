package dev.mtk.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {

  @TempDir
  Path dir;

  @Test
  void roundTripsMatricesAndVectors() throws Exception {
    float[] data = {1f, -2.5f, 3e-8f, Float.MAX_VALUE, 0f, -0f};
    Path f = dir.resolve("m.npy");
    Npy.writeFloat32(f, data, 2, 3);
    assertArrayEquals(data, Npy.readFloat32(f));
    try (Arena a = Arena.ofConfined()) {
      Npy.Matrix m = Npy.map(f, a);
      assertEquals(2, m.rows());
      assertEquals(3, m.cols());
      float[] row = new float[4];
      m.row(1, row, 1);
      assertArrayEquals(new float[] {0f, Float.MAX_VALUE, 0f, -0f}, row);
    }
    Path v = dir.resolve("v.npy");
    Npy.writeFloat32(v, new float[] {7f, 8f}, 2);
    try (Arena a = Arena.ofConfined()) {
      Npy.Matrix m = Npy.map(v, a);
      assertEquals(1, m.rows());
      assertEquals(2, m.cols());
    }
  }

  /** A version-1.0 file as numpy 1.24 writes np.arange(6, dtype='<f4').reshape(3, 2). */
  @Test
  void readsWhatNumpyWrites() throws Exception {
    String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }";
    String header = dict + " ".repeat(128 - 10 - dict.length() - 1) + "\n";
    byte[] head = header.getBytes(StandardCharsets.US_ASCII);
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(10 + head.length + 24)
        .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) head.length).put(head);
    for (int i = 0; i < 6; i++) {
      b.putFloat(i);
    }
    Path f = dir.resolve("np.npy");
    Files.write(f, b.array());
    assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, Npy.readFloat32(f));
  }

  @Test
  void badFilesGetClearErrors() throws Exception {
    Path f = dir.resolve("m.npy");
    Npy.writeFloat32(f, new float[12], 3, 4);
    byte[] good = Files.readAllBytes(f);

    Path cut = dir.resolve("cut.npy");
    Files.write(cut, Arrays.copyOf(good, good.length - 4));
    var e = assertThrows(Npy.NpyFormatException.class, () -> Npy.readFloat32(cut));
    assertTrue(e.getMessage().contains("cut short"), e.getMessage());

    Path f64 = dir.resolve("f64.npy");
    Files.write(f64, new String(good, StandardCharsets.ISO_8859_1).replace("<f4", "<f8")
        .getBytes(StandardCharsets.ISO_8859_1));
    e = assertThrows(Npy.NpyFormatException.class, () -> Npy.readFloat32(f64));
    assertTrue(e.getMessage().contains("astype"), e.getMessage());

    Path fortran = dir.resolve("fortran.npy");
    Files.write(fortran, new String(good, StandardCharsets.ISO_8859_1).replace("False", "True ")
        .getBytes(StandardCharsets.ISO_8859_1));
    e = assertThrows(Npy.NpyFormatException.class, () -> Npy.readFloat32(fortran));
    assertTrue(e.getMessage().contains("Fortran"), e.getMessage());

    Path text = dir.resolve("text.npy");
    Files.writeString(text, "id,x\n1,2\n");
    e = assertThrows(Npy.NpyFormatException.class, () -> Npy.readFloat32(text));
    assertTrue(e.getMessage().contains("not a .npy"), e.getMessage());

    // a header length of 65,535 in a small file must not be believed
    byte[] huge = good.clone();
    huge[8] = (byte) 0xFF;
    huge[9] = (byte) 0xFF;
    Path h = dir.resolve("huge.npy");
    Files.write(h, huge);
    e = assertThrows(Npy.NpyFormatException.class, () -> Npy.readFloat32(h));
    assertTrue(e.getMessage().contains("implausible"), e.getMessage());

    // a shape claiming 2^62 rows (rows × cols × 4 overflows a long) or more digits than a long holds
    for (String[] shape : new String[][] {{"(4611686018427387904, 4)", "needs more bytes of data than the file's 48"},
        {"(99999999999999999999, 4)", "is not made of whole numbers below 2^63"}}) {
      String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape[0] + ", }";
      byte[] head = (dict + " ".repeat(128 - 10 - dict.length() - 1) + "\n").getBytes(StandardCharsets.US_ASCII);
      java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(10 + head.length + 48).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) head.length).put(head);
      Path lie = dir.resolve("lie.npy");
      Files.write(lie, b.array());
      e = assertThrows(Npy.NpyFormatException.class, () -> Npy.readFloat32(lie));
      assertTrue(e.getMessage().contains(shape[1]), e.getMessage());
    }

    assertThrows(java.nio.file.NoSuchFileException.class, () -> Npy.readFloat32(dir.resolve("none.npy")));
  }
}
