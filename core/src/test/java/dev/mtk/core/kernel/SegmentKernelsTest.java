package dev.mtk.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The kernels that read a (memory-mapped) segment, against the array kernels and plain loops. */
class SegmentKernelsTest {

  static final VectorKernels SIMD = KernelProvider.kernels();
  static final VectorKernels SCALAR = KernelProvider.scalar();
  static final ValueLayout.OfFloat LE =
      ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

  @ParameterizedTest
  @MethodSource("dev.mtk.core.kernel.VectorKernelsTest#lengths")
  void segmentDotHasTheArrayDotsBits(int n) {
    SplittableRandom rnd = new SplittableRandom(n);
    float[] q = new float[n + 3], x = new float[n + 5];
    for (int i = 0; i < q.length; i++) {
      q[i] = (float) rnd.nextDouble(-1, 1);
    }
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rnd.nextDouble(-1, 1);
    }
    try (Arena arena = Arena.ofConfined()) {
      // an odd byte offset: mapped rows are not aligned in general
      MemorySegment seg = arena.allocate(4L * x.length + 3);
      for (int i = 0; i < x.length; i++) {
        seg.set(LE, 3 + 4L * i, x[i]);
      }
      for (VectorKernels k : new VectorKernels[] {SIMD, SCALAR}) {
        float viaArray = k.dot(q, 2, x, 4, n);
        float viaSegment = k.dot(q, 2, seg, 3 + 16, n);
        assertEquals(Float.floatToIntBits(viaArray), Float.floatToIntBits(viaSegment), k.name());
      }
      double ref = 0;
      for (int i = 0; i < n; i++) {
        ref += (double) q[2 + i] * x[4 + i];
      }
      assertEquals(ref, SIMD.dot(q, 2, seg, 3 + 16, n), 1e-5 * Math.max(1, n));
    }
  }

  @ParameterizedTest
  @MethodSource("dims")
  void blockedInt8DotIsExact(int d) {
    SplittableRandom rnd = new SplittableRandom(d * 31L);
    int blocks = 5;
    byte[] codes = new byte[blocks * 16 * d];
    for (int i = 0; i < codes.length; i++) {
      codes[i] = (byte) rnd.nextInt(-127, 128);
    }
    int[] q = new int[d + 3];
    for (int j = 0; j < q.length; j++) {
      q[j] = rnd.nextInt(-127, 128);
    }
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment seg = arena.allocate(codes.length + 7);
      MemorySegment.copy(codes, 0, seg, ValueLayout.JAVA_BYTE, 7, codes.length);
      for (int m : new int[] {1, Math.max(1, d / 2), d}) {
        int[] expected = new int[blocks * 16 + 2];
        for (int b = 0; b < blocks; b++) {
          for (int r = 0; r < 16; r++) {
            int s = 1000 * r; // the kernel accumulates onto what is there
            for (int j = 0; j < m; j++) {
              s += q[3 + j] * codes[b * 16 * d + 16 * j + r];
            }
            expected[2 + 16 * b + r] = s;
          }
        }
        for (VectorKernels k : new VectorKernels[] {SIMD, SCALAR}) {
          int[] out = new int[blocks * 16 + 2];
          for (int i = 2; i < out.length; i++) {
            out[i] = 1000 * ((i - 2) % 16);
          }
          k.dotInt8Blocks(q, 3, m, seg, 7, 16L * d, blocks, out, 2, true);
          assertArrayEquals(expected, out, k.name() + " m=" + m);
          int[] fresh = new int[blocks * 16 + 2];
          java.util.Arrays.fill(fresh, 77);
          k.dotInt8Blocks(q, 3, m, seg, 7, 16L * d, blocks, fresh, 2, false);
          for (int i = 2; i < fresh.length; i++) {
            assertEquals(expected[i] - 1000 * ((i - 2) % 16), fresh[i], k.name() + " m=" + m);
          }
        }
      }
    }
  }

  @ParameterizedTest
  @MethodSource("dev.mtk.core.kernel.VectorKernelsTest#lengths")
  void keysAreTheScalarFormula(int n) {
    SplittableRandom rnd = new SplittableRandom(n + 7);
    int[] acc = new int[n + 1];
    float[] w = new float[n + 2];
    for (int i = 0; i < acc.length; i++) {
      acc[i] = rnd.nextInt(-2_000_000, 2_000_000);
    }
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) rnd.nextDouble(0.5, 2);
    }
    float scale = 3.1e-4f, bias = -0.25f;
    for (int mode : new int[] {VectorKernels.KEY_PLAIN, VectorKernels.KEY_SCALED, VectorKernels.KEY_L2}) {
      float[] expected = new float[n + 3];
      for (int i = 0; i < n; i++) {
        // the formula written out, in double then rounded as the kernels' float steps are
        float y = (float) ((double) scale * acc[1 + i] + bias);
        expected[3 + i] = mode == VectorKernels.KEY_SCALED ? y * w[2 + i]
            : mode == VectorKernels.KEY_L2 ? 2 * y - w[2 + i] : y;
      }
      for (VectorKernels k : new VectorKernels[] {SIMD, SCALAR}) {
        float[] out = new float[n + 3];
        k.keys(acc, 1, scale, bias, mode, w, 2, out, 3, n);
        assertArrayEquals(expected, out, k.name() + " mode " + mode);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("dev.mtk.core.kernel.VectorKernelsTest#lengths")
  void hammingWordsCountsDifferingBits(int n) {
    SplittableRandom rnd = new SplittableRandom(n + 11);
    long q = rnd.nextLong(), mask = (1L << 37) - 1;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment seg = arena.allocate(8L * n + 5);
      long[] x = new long[n];
      for (int i = 0; i < n; i++) {
        x[i] = rnd.nextLong();
        seg.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 5 + 8L * i, x[i]);
      }
      int[] expected = new int[n + 1];
      for (int i = 0; i < n; i++) {
        int bits = 0;
        for (int b = 0; b < 37; b++) {
          bits += ((x[i] >>> b) & 1) != ((q >>> b) & 1) ? 1 : 0;
        }
        expected[1 + i] = 5 + bits;
      }
      for (VectorKernels k : new VectorKernels[] {SIMD, SCALAR}) {
        int[] acc = new int[n + 1];
        java.util.Arrays.fill(acc, 1, n + 1, 5);
        k.hammingWords(q, mask, seg, 5, n, acc, 1);
        assertArrayEquals(expected, acc, k.name());
      }
    }
  }

  @ParameterizedTest
  @MethodSource("dev.mtk.core.kernel.VectorKernelsTest#lengths")
  void collectAboveFindsEveryLargerValue(int n) {
    SplittableRandom rnd = new SplittableRandom(n + 13);
    float[] x = new float[n + 2];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rnd.nextDouble();
    }
    x[1] = 5f; // before the range: must not be seen
    for (float bar : new float[] {-1f, 0.5f, 0.99f, 2f, Float.NaN}) {
      int[] expected = new int[n];
      int c = 0;
      for (int i = 0; i < n; i++) {
        if (x[2 + i] > bar) {
          expected[c++] = i;
        }
      }
      for (VectorKernels k : new VectorKernels[] {SIMD, SCALAR}) {
        int[] out = new int[n];
        assertEquals(c, k.collectAbove(x, 2, n, bar, out), k.name() + " bar " + bar);
        assertArrayEquals(java.util.Arrays.copyOf(expected, c), java.util.Arrays.copyOf(out, c),
            k.name() + " bar " + bar);
      }
    }
  }

  static int[] dims() {
    return new int[] {1, 2, 3, 8, 15, 16, 17, 64, 100, 256};
  }
}
