package dev.mtk.core.kernel;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector kernels on jdk.incubator.vector. Each body has the same shape: a vector loop, then a
 * scalar tail that repeats the scalar twin's arithmetic. Reductions keep four accumulators: FMA has
 * a latency of four cycles and two pipes, so one accumulator would leave the units idle.
 *
 * <p>Only loaded by {@link KernelProvider} after it checked that the module is present.
 */
final class PanamaKernels implements VectorKernels {

  static final VectorSpecies<Float> F = PanamaSupport.floatSpecies();
  static final int L = F.length();
  static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
  static final VectorSpecies<Long> LG = VectorSpecies.of(long.class, F.vectorShape());
  // One int lane per byte: the byte species is a quarter of the float width. The narrowest byte
  // species is 64 bits, so with 128-bit floats the int8 dot runs on the scalar path.
  static final boolean INT8_VECTOR = F.vectorBitSize() >= 256;
  static final VectorSpecies<Byte> B =
      INT8_VECTOR ? VectorSpecies.of(byte.class, VectorShape.forBitSize(F.vectorBitSize() / 4))
          : null;

  static final PanamaKernels INSTANCE = new PanamaKernels();

  private PanamaKernels() {}

  @Override
  public String name() {
    return "panama-" + F.vectorBitSize();
  }

  // Rotations by a half, a quarter, … of the vector: lane i of v.rearrange(ROT_h) is lane i + h.
  private static final VectorShuffle<Float> ROT_8 = L >= 16 ? VectorShuffle.iota(F, 8, 1, true) : null;
  private static final VectorShuffle<Float> ROT_4 = L >= 8 ? VectorShuffle.iota(F, 4, 1, true) : null;
  private static final VectorShuffle<Float> ROT_2 = L >= 4 ? VectorShuffle.iota(F, 2, 1, true) : null;
  private static final VectorShuffle<Float> ROT_1 = L >= 2 ? VectorShuffle.iota(F, 1, 1, true) : null;

  /**
   * The sum of the lanes as a fixed tree: lane i + lane i + L/2, then the same on the halves, down
   * to lane 0. Not reduceLanes(ADD): its order is unspecified and differs between the interpreter
   * and compiled code, so the same call could give other bits once the JIT compiled it and
   * training would not be reproducible. A rotation is exact data movement and the adds are IEEE
   * adds: the same bits on every tier. Measured on AVX-512: 1.6 ns, against 1.2 ns for
   * reduceLanes and 8 ns for extracting the sixteen lanes one by one.
   */
  static float sumLanes(FloatVector v) {
    if (L > 16) {
      float s = 0f;
      for (int i = 0; i < L; i++) {
        s += v.lane(i);
      }
      return s;
    }
    if (L == 16) {
      v = v.add(v.rearrange(ROT_8));
    }
    if (L >= 8) {
      v = v.add(v.rearrange(ROT_4));
    }
    if (L >= 4) {
      v = v.add(v.rearrange(ROT_2));
    }
    if (L >= 2) {
      v = v.add(v.rearrange(ROT_1));
    }
    return v.lane(0);
  }

  @Override
  public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
    int i = 0;
    FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
    for (int bound = n - 4 * L; i <= bound; i += 4 * L) {
      int ai = aOff + i, bi = bOff + i;
      s0 = FloatVector.fromArray(F, a, ai).fma(FloatVector.fromArray(F, b, bi), s0);
      s1 = FloatVector.fromArray(F, a, ai + L).fma(FloatVector.fromArray(F, b, bi + L), s1);
      s2 = FloatVector.fromArray(F, a, ai + 2 * L).fma(FloatVector.fromArray(F, b, bi + 2 * L), s2);
      s3 = FloatVector.fromArray(F, a, ai + 3 * L).fma(FloatVector.fromArray(F, b, bi + 3 * L), s3);
    }
    for (; i <= n - L; i += L) {
      s0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), s0);
    }
    float s = sumLanes(s0.add(s1).add(s2.add(s3)));
    for (; i < n; i++) {
      s += a[aOff + i] * b[bOff + i];
    }
    return s;
  }

  @Override
  public float squaredL2(float[] a, int aOff, float[] b, int bOff, int n) {
    int i = 0;
    FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
    for (int bound = n - 4 * L; i <= bound; i += 4 * L) {
        FloatVector d0 = FloatVector.fromArray(F, a, aOff + i).sub(FloatVector.fromArray(F, b, bOff + i));
        FloatVector d1 = FloatVector.fromArray(F, a, aOff + i + L)
            .sub(FloatVector.fromArray(F, b, bOff + i + L));
        FloatVector d2 = FloatVector.fromArray(F, a, aOff + i + 2 * L)
            .sub(FloatVector.fromArray(F, b, bOff + i + 2 * L));
        FloatVector d3 = FloatVector.fromArray(F, a, aOff + i + 3 * L)
            .sub(FloatVector.fromArray(F, b, bOff + i + 3 * L));
        s0 = d0.fma(d0, s0);
        s1 = d1.fma(d1, s1);
        s2 = d2.fma(d2, s2);
        s3 = d3.fma(d3, s3);
    }
    for (; i <= n - L; i += L) {
      FloatVector d = FloatVector.fromArray(F, a, aOff + i).sub(FloatVector.fromArray(F, b, bOff + i));
      s0 = d.fma(d, s0);
    }
    float s = sumLanes(s0.add(s1).add(s2.add(s3)));
    for (; i < n; i++) {
      float d = a[aOff + i] - b[bOff + i];
      s += d * d;
    }
    return s;
  }

  @Override
  public float cosine(float[] a, int aOff, float[] b, int bOff, int n) {
    int i = 0;
    // 4-way unrolled: twelve independent FMA chains, so the chains' latency, not the two loads
    // per step, would otherwise bound the loop
    FloatVector ab0 = FloatVector.zero(F), ab1 = ab0, ab2 = ab0, ab3 = ab0;
    FloatVector aa0 = ab0, aa1 = ab0, aa2 = ab0, aa3 = ab0;
    FloatVector bb0 = ab0, bb1 = ab0, bb2 = ab0, bb3 = ab0;
    for (int bound = n - 4 * L; i <= bound; i += 4 * L) {
      int ai = aOff + i, bi = bOff + i;
      FloatVector x0 = FloatVector.fromArray(F, a, ai), y0 = FloatVector.fromArray(F, b, bi);
      FloatVector x1 = FloatVector.fromArray(F, a, ai + L), y1 = FloatVector.fromArray(F, b, bi + L);
      FloatVector x2 = FloatVector.fromArray(F, a, ai + 2 * L);
      FloatVector y2 = FloatVector.fromArray(F, b, bi + 2 * L);
      FloatVector x3 = FloatVector.fromArray(F, a, ai + 3 * L);
      FloatVector y3 = FloatVector.fromArray(F, b, bi + 3 * L);
      ab0 = x0.fma(y0, ab0);
      aa0 = x0.fma(x0, aa0);
      bb0 = y0.fma(y0, bb0);
      ab1 = x1.fma(y1, ab1);
      aa1 = x1.fma(x1, aa1);
      bb1 = y1.fma(y1, bb1);
      ab2 = x2.fma(y2, ab2);
      aa2 = x2.fma(x2, aa2);
      bb2 = y2.fma(y2, bb2);
      ab3 = x3.fma(y3, ab3);
      aa3 = x3.fma(x3, aa3);
      bb3 = y3.fma(y3, bb3);
    }
    for (; i <= n - L; i += L) {
      FloatVector x = FloatVector.fromArray(F, a, aOff + i), y = FloatVector.fromArray(F, b, bOff + i);
      ab0 = x.fma(y, ab0);
      aa0 = x.fma(x, aa0);
      bb0 = y.fma(y, bb0);
    }
    float ab = sumLanes(ab0.add(ab1).add(ab2.add(ab3)));
    float aa = sumLanes(aa0.add(aa1).add(aa2.add(aa3)));
    float bb = sumLanes(bb0.add(bb1).add(bb2.add(bb3)));
    for (; i < n; i++) {
      float x = a[aOff + i], y = b[bOff + i];
      ab += x * y;
      aa += x * x;
      bb += y * y;
    }
    return (float) (ab / Math.sqrt((double) aa * (double) bb));
  }

  @Override
  public void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
    int i = 0;
    FloatVector va = FloatVector.broadcast(F, alpha);
    for (int bound = F.loopBound(n); i < bound; i += L) {
      FloatVector.fromArray(F, x, xOff + i).fma(va, FloatVector.fromArray(F, y, yOff + i))
          .intoArray(y, yOff + i);
    }
    for (; i < n; i++) {
      y[yOff + i] += alpha * x[xOff + i];
    }
  }

  @Override
  public void scale(float alpha, float[] x, int xOff, int n) {
    int i = 0;
    for (int bound = F.loopBound(n); i < bound; i += L) {
      FloatVector.fromArray(F, x, xOff + i).mul(alpha).intoArray(x, xOff + i);
    }
    for (; i < n; i++) {
      x[xOff + i] *= alpha;
    }
  }

  @Override
  public float sum(float[] x, int off, int n) {
    int i = 0;
    FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
    for (int bound = n - 4 * L; i <= bound; i += 4 * L) {
      s0 = s0.add(FloatVector.fromArray(F, x, off + i));
      s1 = s1.add(FloatVector.fromArray(F, x, off + i + L));
      s2 = s2.add(FloatVector.fromArray(F, x, off + i + 2 * L));
      s3 = s3.add(FloatVector.fromArray(F, x, off + i + 3 * L));
    }
    for (; i <= n - L; i += L) {
      s0 = s0.add(FloatVector.fromArray(F, x, off + i));
    }
    float s = sumLanes(s0.add(s1).add(s2.add(s3)));
    for (; i < n; i++) {
      s += x[off + i];
    }
    return s;
  }

  @Override
  public float max(float[] x, int off, int n) {
    int i = 0;
    float m = Float.NEGATIVE_INFINITY;
    if (n >= L) {
      FloatVector vm = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
      for (int bound = F.loopBound(n); i < bound; i += L) {
        vm = vm.max(FloatVector.fromArray(F, x, off + i));
      }
      m = vm.reduceLanes(VectorOperators.MAX);
    }
    for (; i < n; i++) {
      m = Math.max(m, x[off + i]);
    }
    return m;
  }

  @Override
  public void softmax(float[] x, int off, int n) {
    float m = max(x, off, n);
    int i = 0;
    float s = 0f;
    FloatVector vs = FloatVector.zero(F);
    for (int bound = F.loopBound(n); i < bound; i += L) {
      FloatVector e = exp(FloatVector.fromArray(F, x, off + i).sub(m));
      e.intoArray(x, off + i);
      vs = vs.add(e);
    }
    s = sumLanes(vs);
    for (; i < n; i++) {
      float e = ScalarKernels.exp(x[off + i] - m);
      x[off + i] = e;
      s += e;
    }
    scale(1f / s, x, off, n);
  }

  @Override
  public void layerNormForward(float[] out, int outOff, float[] x, int xOff, float[] gamma,
      int gOff, float[] beta, int bOff, int n, float eps, float[] mean, float[] rstd, int statIdx) {
    float mu = sum(x, xOff, n) / n;
    int i = 0;
    float v = 0f;
    FloatVector vmu = FloatVector.broadcast(F, mu);
    FloatVector vv = FloatVector.zero(F);
    int bound = F.loopBound(n);
    for (; i < bound; i += L) {
      FloatVector d = FloatVector.fromArray(F, x, xOff + i).sub(vmu);
      vv = d.fma(d, vv);
    }
    v = sumLanes(vv);
    for (; i < n; i++) {
      float d = x[xOff + i] - mu;
      v += d * d;
    }
    float rs = (float) (1.0 / Math.sqrt(v / n + eps));
    FloatVector vrs = FloatVector.broadcast(F, rs);
    for (i = 0; i < bound; i += L) {
      FloatVector xhat = FloatVector.fromArray(F, x, xOff + i).sub(vmu).mul(vrs);
      xhat.fma(FloatVector.fromArray(F, gamma, gOff + i), FloatVector.fromArray(F, beta, bOff + i))
          .intoArray(out, outOff + i);
    }
    for (; i < n; i++) {
      out[outOff + i] = (x[xOff + i] - mu) * rs * gamma[gOff + i] + beta[bOff + i];
    }
    mean[statIdx] = mu;
    rstd[statIdx] = rs;
  }

  @Override
  public void layerNormBackward(float[] dx, int dxOff, float[] dgamma, int dgOff, float[] dbeta,
      int dbOff, float[] dout, int doutOff, float[] x, int xOff, float[] gamma, int gOff, int n,
      float mean, float rstd) {
    FloatVector vmu = FloatVector.broadcast(F, mean);
    FloatVector vrs = FloatVector.broadcast(F, rstd);
    FloatVector sg = FloatVector.zero(F), sgx = sg;
    int bound = F.loopBound(n);
    int i = 0;
    for (; i < bound; i += L) {
      FloatVector xhat = FloatVector.fromArray(F, x, xOff + i).sub(vmu).mul(vrs);
      FloatVector g = FloatVector.fromArray(F, dout, doutOff + i).mul(FloatVector.fromArray(F, gamma, gOff + i));
      sg = sg.add(g);
      sgx = g.fma(xhat, sgx);
    }
    float sumG = sumLanes(sg), sumGX = sumLanes(sgx);
    for (; i < n; i++) {
      float xhat = (x[xOff + i] - mean) * rstd;
      float g = dout[doutOff + i] * gamma[gOff + i];
      sumG += g;
      sumGX += g * xhat;
    }
    float meanG = sumG / n, meanGX = sumGX / n;
    FloatVector vmg = FloatVector.broadcast(F, meanG), vmgx = FloatVector.broadcast(F, meanGX);
    for (i = 0; i < bound; i += L) {
      FloatVector xhat = FloatVector.fromArray(F, x, xOff + i).sub(vmu).mul(vrs);
      FloatVector d = FloatVector.fromArray(F, dout, doutOff + i);
      FloatVector gm = FloatVector.fromArray(F, gamma, gOff + i);
      FloatVector.fromArray(F, dbeta, dbOff + i).add(d).intoArray(dbeta, dbOff + i);
      d.fma(xhat, FloatVector.fromArray(F, dgamma, dgOff + i)).intoArray(dgamma, dgOff + i);
      FloatVector inner = d.mul(gm).sub(vmg).sub(xhat.mul(vmgx));
      inner.fma(vrs, FloatVector.fromArray(F, dx, dxOff + i)).intoArray(dx, dxOff + i);
    }
    for (; i < n; i++) {
      float xhat = (x[xOff + i] - mean) * rstd;
      float d = dout[doutOff + i];
      dbeta[dbOff + i] += d;
      dgamma[dgOff + i] += d * xhat;
      dx[dxOff + i] += rstd * (d * gamma[gOff + i] - meanG - xhat * meanGX);
    }
  }

  /**
   * exp by the same steps as {@link ScalarKernels#exp}: only add, multiply, FMA and bit moves,
   * which give the same bits interpreted and compiled. (lanewise(EXP) does not: its compiled form
   * calls a vector math library whose last bit can differ from the interpreter's.)
   */
  static FloatVector exp(FloatVector x) {
    // no masks and no blends: clamping does the range checks (masked blends fell back to slow
    // Java code in C2 here, measured at a fifth of the GELU backward's time)
    FloatVector xc = x.min(ScalarKernels.EXP_HI).max(ScalarKernels.EXP_LO);
    FloatVector t = xc.fma(FloatVector.broadcast(F, ScalarKernels.LOG2E),
        FloatVector.broadcast(F, ScalarKernels.ROUND_MAGIC));
    FloatVector n = t.sub(ScalarKernels.ROUND_MAGIC);
    FloatVector r = n.fma(FloatVector.broadcast(F, -ScalarKernels.LN2_HI), xc);
    r = n.fma(FloatVector.broadcast(F, -ScalarKernels.LN2_LO), r);
    FloatVector p = r.fma(FloatVector.broadcast(F, ScalarKernels.EXP_P0),
        FloatVector.broadcast(F, ScalarKernels.EXP_P1));
    p = p.fma(r, FloatVector.broadcast(F, ScalarKernels.EXP_P2));
    p = p.fma(r, FloatVector.broadcast(F, ScalarKernels.EXP_P3));
    p = p.fma(r, FloatVector.broadcast(F, ScalarKernels.EXP_P4));
    p = p.fma(r, FloatVector.broadcast(F, ScalarKernels.EXP_P5));
    p = p.fma(r.mul(r), r.add(1f));
    IntVector bits = (IntVector) t.reinterpretAsInts().sub(Float.floatToRawIntBits(ScalarKernels.ROUND_MAGIC))
        .add(127).lanewise(VectorOperators.LSHL, 23);
    return p.mul(bits.reinterpretAsFloats());
  }

  /** tanh(u) = 1 - 2 / (exp(2u) + 1), exactly as {@link ScalarKernels#tanh}. */
  static FloatVector tanh(FloatVector u) {
    FloatVector e = exp(u.add(u));
    return FloatVector.broadcast(F, 1f).sub(FloatVector.broadcast(F, 2f).div(e.add(1f)));
  }

  /** Vector erf by the same A&S 7.1.26 formula as {@link ScalarKernels#erf}. */
  private static FloatVector erf(FloatVector x) {
    FloatVector ax = x.abs();
    FloatVector t = FloatVector.broadcast(F, 1f).div(ax.fma(ScalarKernels.ERF_P, 1f));
    FloatVector poly = t.fma(ScalarKernels.ERF_A5, ScalarKernels.ERF_A4);
    poly = poly.fma(t, FloatVector.broadcast(F, ScalarKernels.ERF_A3));
    poly = poly.fma(t, FloatVector.broadcast(F, ScalarKernels.ERF_A2));
    poly = poly.fma(t, FloatVector.broadcast(F, ScalarKernels.ERF_A1));
    poly = poly.mul(t);
    FloatVector e = exp(ax.mul(ax).neg());
    FloatVector y = poly.mul(e).neg().add(1f);
    // erf is odd: give y (≥ 0) the sign bit of x, by bits rather than a mask
    IntVector sign = (IntVector) x.reinterpretAsInts().and(0x80000000);
    return ((IntVector) y.reinterpretAsInts().or(sign)).reinterpretAsFloats();
  }

  private static FloatVector gelu(GeluForm form, FloatVector x) {
    if (form == GeluForm.ERF) {
      return x.mul(0.5f).mul(erf(x.mul(ScalarKernels.INV_SQRT2)).add(1f));
    }
    FloatVector u = x.mul(x).mul(x).fma(FloatVector.broadcast(F, ScalarKernels.GELU_TANH_C), x)
        .mul(ScalarKernels.SQRT_2_OVER_PI);
    return x.mul(0.5f).mul(tanh(u).add(1f));
  }

  private static FloatVector geluGrad(GeluForm form, FloatVector x) {
    if (form == GeluForm.ERF) {
      // Φ(x) and φ(x) share exp(-x²/2): one exponential, and a body small enough for C2 to keep
      // every vector in registers (two exp calls made it fall back to slow code)
      FloatVector e = exp(x.mul(x).mul(-0.5f));
      FloatVector z = x.abs().mul(ScalarKernels.INV_SQRT2);
      FloatVector t = FloatVector.broadcast(F, 1f).div(z.fma(ScalarKernels.ERF_P, 1f));
      FloatVector poly = t.fma(ScalarKernels.ERF_A5, ScalarKernels.ERF_A4);
      poly = poly.fma(t, FloatVector.broadcast(F, ScalarKernels.ERF_A3));
      poly = poly.fma(t, FloatVector.broadcast(F, ScalarKernels.ERF_A2));
      poly = poly.fma(t, FloatVector.broadcast(F, ScalarKernels.ERF_A1));
      FloatVector y = poly.mul(t).mul(e).neg().add(1f);
      IntVector sign = (IntVector) x.reinterpretAsInts().and(0x80000000);
      FloatVector erf = ((IntVector) y.reinterpretAsInts().or(sign)).reinterpretAsFloats();
      FloatVector cdf = erf.add(1f).mul(0.5f);
      return x.fma(e.mul(ScalarKernels.INV_SQRT_2PI), cdf);
    }
    FloatVector x2 = x.mul(x);
    FloatVector u = x2.mul(x).fma(FloatVector.broadcast(F, ScalarKernels.GELU_TANH_C), x)
        .mul(ScalarKernels.SQRT_2_OVER_PI);
    FloatVector th = tanh(u);
    FloatVector du = x2.fma(3f * ScalarKernels.GELU_TANH_C, 1f).mul(ScalarKernels.SQRT_2_OVER_PI);
    FloatVector left = th.add(1f).mul(0.5f);
    FloatVector right = x.mul(0.5f).mul(th.mul(th).neg().add(1f)).mul(du);
    return left.add(right);
  }

  @Override
  public void geluForward(GeluForm form, float[] out, int outOff, float[] x, int xOff, int n) {
    int i = 0;
    for (int bound = F.loopBound(n); i < bound; i += L) {
      gelu(form, FloatVector.fromArray(F, x, xOff + i)).intoArray(out, outOff + i);
    }
    for (; i < n; i++) {
      out[outOff + i] = ScalarKernels.gelu(form, x[xOff + i]);
    }
  }

  @Override
  public void geluBackward(GeluForm form, float[] dx, int dxOff, float[] dout, int doutOff,
      float[] x, int xOff, int n) {
    int i = 0;
    for (int bound = F.loopBound(n); i < bound; i += L) {
      FloatVector g = geluGrad(form, FloatVector.fromArray(F, x, xOff + i));
      FloatVector.fromArray(F, dout, doutOff + i).fma(g, FloatVector.fromArray(F, dx, dxOff + i))
          .intoArray(dx, dxOff + i);
    }
    for (; i < n; i++) {
      dx[dxOff + i] += dout[doutOff + i] * ScalarKernels.geluGrad(form, x[xOff + i]);
    }
  }

  @Override
  public int dotInt8(byte[] a, int aOff, byte[] b, int bOff, int n) {
    int i = 0;
    int s = 0;
    if (INT8_VECTOR) {
      int step = B.length();
      IntVector acc0 = IntVector.zero(I), acc1 = acc0;
      // two accumulators: the widening converts dominate, but the adds still chain
      for (int bound = n - 2 * step; i <= bound; i += 2 * step) {
        IntVector x0 = (IntVector) ByteVector.fromArray(B, a, aOff + i).convertShape(VectorOperators.B2I, I, 0);
        IntVector y0 = (IntVector) ByteVector.fromArray(B, b, bOff + i).convertShape(VectorOperators.B2I, I, 0);
        IntVector x1 = (IntVector) ByteVector.fromArray(B, a, aOff + i + step).convertShape(VectorOperators.B2I, I, 0);
        IntVector y1 = (IntVector) ByteVector.fromArray(B, b, bOff + i + step).convertShape(VectorOperators.B2I, I, 0);
        acc0 = acc0.add(x0.mul(y0));
        acc1 = acc1.add(x1.mul(y1));
      }
      s = acc0.add(acc1).reduceLanes(VectorOperators.ADD); // exact: integers
    }
    for (; i < n; i++) {
      s += a[aOff + i] * b[bOff + i];
    }
    return s;
  }

  @Override
  public long hamming(long[] a, int aOff, long[] b, int bOff, int n) {
    int i = 0;
    long s = 0;
    int step = LG.length();
    if (n >= step) {
      LongVector acc = LongVector.zero(LG);
      for (int bound = LG.loopBound(n); i < bound; i += step) {
        acc = acc.add(LongVector.fromArray(LG, a, aOff + i)
            .lanewise(VectorOperators.XOR, LongVector.fromArray(LG, b, bOff + i))
            .lanewise(VectorOperators.BIT_COUNT));
      }
      s = acc.reduceLanes(VectorOperators.ADD); // exact: integers
    }
    for (; i < n; i++) {
      s += Long.bitCount(a[aOff + i] ^ b[bOff + i]);
    }
    return s;
  }

  private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

  @Override
  public float dot(float[] q, int qOff, MemorySegment x, long xOff, int n) {
    // the array form's loop, with the second operand read from the segment
    int i = 0;
    FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
    for (int bound = n - 4 * L; i <= bound; i += 4 * L) {
      int qi = qOff + i;
      long xi = xOff + 4L * i;
      s0 = FloatVector.fromArray(F, q, qi).fma(FloatVector.fromMemorySegment(F, x, xi, LE), s0);
      s1 = FloatVector.fromArray(F, q, qi + L).fma(FloatVector.fromMemorySegment(F, x, xi + 4L * L, LE), s1);
      s2 = FloatVector.fromArray(F, q, qi + 2 * L).fma(FloatVector.fromMemorySegment(F, x, xi + 8L * L, LE), s2);
      s3 = FloatVector.fromArray(F, q, qi + 3 * L).fma(FloatVector.fromMemorySegment(F, x, xi + 12L * L, LE), s3);
    }
    for (; i <= n - L; i += L) {
      s0 = FloatVector.fromArray(F, q, qOff + i).fma(FloatVector.fromMemorySegment(F, x, xOff + 4L * i, LE), s0);
    }
    float s = sumLanes(s0.add(s1).add(s2.add(s3)));
    for (; i < n; i++) {
      s += q[qOff + i] * x.get(ScalarKernels.LE_FLOAT, xOff + 4L * i);
    }
    return s;
  }

  // A block of 16 rows is scored in 16 / BI.length() int vectors (one with 512 bits, two with
  // 256); each loads that many codes of one dimension and widens them to ints.
  private static final boolean BLOCK_VECTOR = I.length() == 16 || I.length() == 8;
  private static final VectorSpecies<Integer> BI = I;
  private static final VectorSpecies<Byte> BB =
      BLOCK_VECTOR ? VectorSpecies.of(byte.class, VectorShape.forBitSize(I.length() * 8)) : null;

  @Override
  public void dotInt8Blocks(int[] q, int qOff, int m, MemorySegment codes, long off,
      long blockBytes, int blocks, int[] out, int outOff, boolean accumulate) {
    if (!BLOCK_VECTOR) {
      ScalarKernels.INSTANCE.dotInt8Blocks(q, qOff, m, codes, off, blockBytes, blocks, out, outOff,
          accumulate);
      return;
    }
    // Four units (a unit is a block, or half a block with 256-bit vectors) at a time: one
    // broadcast of q[j] serves four independent accumulators. The sums start from out when
    // accumulating, else from a zero array that is never written: the choice is of an array and
    // an offset, not of a vector, so no branch sits between vector expressions (which would make
    // C2 box them), and zeros are not loaded from stores just made (a stalled load).
    int lanes = BI.length(), perBlock = CODE_BLOCK / lanes, units = blocks * perBlock;
    int[] init = accumulate ? out : ZEROS;
    int step = accumulate ? lanes : 0;
    int u = 0;
    for (; u + 3 < units; u += 4) {
      long a0 = unitAddress(off, blockBytes, u, perBlock, lanes);
      long a1 = unitAddress(off, blockBytes, u + 1, perBlock, lanes);
      long a2 = unitAddress(off, blockBytes, u + 2, perBlock, lanes);
      long a3 = unitAddress(off, blockBytes, u + 3, perBlock, lanes);
      int o = outOff + u * lanes, i0 = accumulate ? o : 0;
      IntVector s0 = IntVector.fromArray(BI, init, i0), s1 = IntVector.fromArray(BI, init, i0 + step);
      IntVector s2 = IntVector.fromArray(BI, init, i0 + 2 * step);
      IntVector s3 = IntVector.fromArray(BI, init, i0 + 3 * step);
      for (int j = 0; j < m; j++) {
        IntVector qj = IntVector.broadcast(BI, q[qOff + j]);
        long dj = (long) CODE_BLOCK * j;
        s0 = s0.add(((IntVector) ByteVector.fromMemorySegment(BB, codes, a0 + dj, LE)
            .convertShape(VectorOperators.B2I, BI, 0)).mul(qj));
        s1 = s1.add(((IntVector) ByteVector.fromMemorySegment(BB, codes, a1 + dj, LE)
            .convertShape(VectorOperators.B2I, BI, 0)).mul(qj));
        s2 = s2.add(((IntVector) ByteVector.fromMemorySegment(BB, codes, a2 + dj, LE)
            .convertShape(VectorOperators.B2I, BI, 0)).mul(qj));
        s3 = s3.add(((IntVector) ByteVector.fromMemorySegment(BB, codes, a3 + dj, LE)
            .convertShape(VectorOperators.B2I, BI, 0)).mul(qj));
      }
      s0.intoArray(out, o);
      s1.intoArray(out, o + lanes);
      s2.intoArray(out, o + 2 * lanes);
      s3.intoArray(out, o + 3 * lanes);
    }
    for (; u < units; u++) {
      long a0 = unitAddress(off, blockBytes, u, perBlock, lanes);
      int o = outOff + u * lanes;
      IntVector s0 = IntVector.fromArray(BI, init, accumulate ? o : 0);
      for (int j = 0; j < m; j++) {
        s0 = s0.add(((IntVector) ByteVector.fromMemorySegment(BB, codes, a0 + (long) CODE_BLOCK * j, LE)
            .convertShape(VectorOperators.B2I, BI, 0)).mul(q[qOff + j]));
      }
      s0.intoArray(out, o);
    }
  }

  private static final int[] ZEROS = new int[16];

  /** Byte address of unit u: its block's start plus the unit's lanes within the block. */
  private static long unitAddress(long off, long blockBytes, int u, int perBlock, int lanes) {
    return off + (u / perBlock) * blockBytes + (long) (u % perBlock) * lanes;
  }

  // Three loops rather than one with a branch on the mode: a branch between vector expressions
  // inside the loop makes C2 box the vectors (see docs/KERNELS.md).
  @Override
  public void keys(int[] acc, int accOff, float scale, float bias, int mode, float[] w, int wOff,
      float[] out, int outOff, int n) {
    FloatVector sv = FloatVector.broadcast(F, scale), bv = FloatVector.broadcast(F, bias);
    int i = 0;
    int bound = F.loopBound(n);
    if (mode == KEY_SCALED) {
      for (; i < bound; i += L) {
        FloatVector y = ((FloatVector) IntVector.fromArray(I, acc, accOff + i)
            .convertShape(VectorOperators.I2F, F, 0)).fma(sv, bv);
        y.mul(FloatVector.fromArray(F, w, wOff + i)).intoArray(out, outOff + i);
      }
    } else if (mode == KEY_L2) {
      for (; i < bound; i += L) {
        FloatVector y = ((FloatVector) IntVector.fromArray(I, acc, accOff + i)
            .convertShape(VectorOperators.I2F, F, 0)).fma(sv, bv);
        y.mul(2f).sub(FloatVector.fromArray(F, w, wOff + i)).intoArray(out, outOff + i);
      }
    } else {
      for (; i < bound; i += L) {
        ((FloatVector) IntVector.fromArray(I, acc, accOff + i).convertShape(VectorOperators.I2F, F, 0))
            .fma(sv, bv).intoArray(out, outOff + i);
      }
    }
    if (i < n) {
      ScalarKernels.INSTANCE.keys(acc, accOff + i, scale, bias, mode, w, wOff + i, out, outOff + i,
          n - i);
    }
  }

  // Longs to ints halves the width: eight 64-bit counts become eight 32-bit lanes.
  private static final VectorSpecies<Integer> IH =
      VectorSpecies.of(int.class, VectorShape.forBitSize(Math.max(64, F.vectorBitSize() / 2)));

  @Override
  public void hammingWords(long q, long mask, MemorySegment words, long off, int n, int[] acc,
      int accOff) {
    int step = LG.length();
    int i = 0;
    if (IH.length() == step) {
      LongVector qv = LongVector.broadcast(LG, q), mv = LongVector.broadcast(LG, mask);
      for (int bound = LG.loopBound(n); i < bound; i += step) {
        IntVector h = (IntVector) LongVector.fromMemorySegment(LG, words, off + 8L * i, LE)
            .lanewise(VectorOperators.XOR, qv).lanewise(VectorOperators.AND, mv)
            .lanewise(VectorOperators.BIT_COUNT).convertShape(VectorOperators.L2I, IH, 0);
        h.add(IntVector.fromArray(IH, acc, accOff + i)).intoArray(acc, accOff + i);
      }
    }
    if (i < n) {
      ScalarKernels.INSTANCE.hammingWords(q, mask, words, off + 8L * i, n - i, acc, accOff + i);
    }
  }

  @Override
  public int collectAbove(float[] x, int off, int n, float bar, int[] out) {
    FloatVector b = FloatVector.broadcast(F, bar);
    int c = 0;
    int i = 0;
    for (int bound = F.loopBound(n); i < bound; i += L) {
      long bits = FloatVector.fromArray(F, x, off + i).compare(VectorOperators.GT, b).toLong();
      while (bits != 0) {
        out[c++] = i + Long.numberOfTrailingZeros(bits);
        bits &= bits - 1;
      }
    }
    for (; i < n; i++) {
      if (x[off + i] > bar) {
        out[c++] = i;
      }
    }
    return c;
  }
}
