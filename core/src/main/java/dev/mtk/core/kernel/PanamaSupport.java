package dev.mtk.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * What the Panama kernels need to know before they load: is the requested width usable on this
 * CPU? Kept apart from {@link KernelProvider} so that the provider never touches an incubator
 * class when the module is absent.
 */
final class PanamaSupport {

  private PanamaSupport() {}

  /** Null when the Panama kernels can run with the requested setting, else the reason they can't. */
  static String problem(String requested) {
    int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
    if (!requested.equals("auto") && KernelProvider.requestedBits() == 0) {
      return "-D" + KernelProvider.PROPERTY + "=" + requested
          + " is not one of auto, off, 128, 256, 512";
    }
    int bits = KernelProvider.requestedBits();
    if (preferred < 128) {
      return "this CPU offers " + preferred + "-bit vectors; at least 128 are needed";
    }
    if (bits > preferred) {
      return "-D" + KernelProvider.PROPERTY + "=" + bits + " is wider than this CPU's " + preferred
          + "-bit vectors";
    }
    return null;
  }

  /** The float species the kernels use: the requested width, or the CPU's preferred one. */
  static VectorSpecies<Float> floatSpecies() {
    int bits = KernelProvider.requestedBits();
    return bits == 0 ? FloatVector.SPECIES_PREFERRED
        : VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
  }
}
