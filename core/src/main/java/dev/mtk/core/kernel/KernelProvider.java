package dev.mtk.core.kernel;

import java.util.Locale;

/**
 * Chooses, once per JVM, between the Panama (jdk.incubator.vector) kernels and their scalar twins,
 * as Lucene's VectorizationProvider does. The system property {@code mtk.simd} overrides the
 * choice: {@code auto} (default), {@code off} (scalar), or a width in bits ({@code 128}, {@code 256},
 * {@code 512}) no wider than the CPU's preferred one. A fallback prints one line on stderr saying
 * why and how to get the fast path.
 */
public final class KernelProvider {

  public static final String PROPERTY = "mtk.simd";

  private static final VectorKernels KERNELS;
  private static final String DESCRIPTION;

  static {
    String requested = System.getProperty(PROPERTY, "auto").trim().toLowerCase(Locale.ROOT);
    VectorKernels chosen = ScalarKernels.INSTANCE;
    String why;
    if (requested.equals("off") || requested.equals("scalar") || requested.equals("false")) {
      why = "forced by -D" + PROPERTY + "=" + requested;
    } else if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      why = "the Vector API module is not enabled; start the JVM with "
          + "--add-modules jdk.incubator.vector (./mtk does)";
      System.err.println("mtk: using scalar kernels: " + why);
    } else {
      String problem = PanamaSupport.problem(requested);
      if (problem == null) {
        chosen = PanamaKernels.INSTANCE;
        why = PanamaKernels.L + " float lanes";
      } else {
        why = problem;
        System.err.println("mtk: using scalar kernels: " + why);
      }
    }
    KERNELS = chosen;
    DESCRIPTION = chosen.name() + " (" + why + ")";
  }

  private KernelProvider() {}

  /** The kernels chosen for this JVM. */
  public static VectorKernels kernels() {
    return KERNELS;
  }

  /** The scalar twins, for tests and comparisons. */
  public static VectorKernels scalar() {
    return ScalarKernels.INSTANCE;
  }

  /** True when the Panama kernels are in use. */
  public static boolean vectorized() {
    return KERNELS != ScalarKernels.INSTANCE;
  }

  /** One line for logs and {@code mtk --version}, e.g. "panama-512 (16 float lanes)". */
  public static String description() {
    return DESCRIPTION;
  }

  /** The float width in bits asked for by {@code mtk.simd}, or 0 for the CPU's preferred one. */
  static int requestedBits() {
    String requested = System.getProperty(PROPERTY, "auto").trim().toLowerCase(Locale.ROOT);
    return switch (requested) {
      case "128", "256", "512" -> Integer.parseInt(requested);
      default -> 0;
    };
  }
}
