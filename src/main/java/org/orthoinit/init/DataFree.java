package org.orthoinit.init;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.orthoinit.model.Layer;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.Network;
import org.orthoinit.model.Parameter;
import org.orthoinit.util.Seeds;

/**
 * An initializer that sets every variable from the seed alone: its own kernels (and biases, if
 * it says so); batch norms as PyTorch starts them (gamma 1, beta 0, running mean 0, running
 * variance 1); other biases zero. One random stream from the seed is drawn in parameter order.
 */
abstract class DataFree implements Initializer {

  /**
   * A kernel's values, in TensorFlow's layout (HWIO, or [in, out]).
   *
   * @param qr orthonormal matrices, for the initializers that need them (opened on first use)
   */
  abstract void kernel(Parameter kernel, float[] values, SplittableRandom random,
      Orthonormal qr);

  /**
   * A bias's values; zeros unless overridden.
   *
   * @param fans the fans of the kernel the bias belongs to
   */
  void bias(Parameter bias, Fans fans, float[] values, SplittableRandom random) {}

  @Override
  public Report initialize(ModelSession session, Context context) {
    if (context.given()) {
      throw new IllegalStateException("init " + id() + " sets every weight; it cannot start "
          + "from given weights");
    }
    session.assign(start(session.network(), context.seed()));
    return null;
  }

  /** Every variable's initial value. */
  final Map<String, float[]> start(Network network, long seed) {
    try (Orthonormal qr = Orthonormal.lazy()) {
      return start(network, seed, qr);
    }
  }

  private Map<String, float[]> start(Network network, long seed, Orthonormal qr) {
    SplittableRandom random = new SplittableRandom(new Seeds(seed).weights());
    Map<String, float[]> values = new LinkedHashMap<>();
    List<Parameter> parameters = network.parameters();
    Fans fans = null; // of the last kernel: its bias follows it
    for (Parameter p : parameters) {
      float[] v = new float[Math.toIntExact(p.size())];
      switch (p.kind()) {
        case CONV_KERNEL, LINEAR_WEIGHT -> {
          fans = Fans.of(p);
          kernel(p, v, random, qr);
        }
        case BIAS -> bias(p, fans, v, random);
        case BN_GAMMA -> Arrays.fill(v, 1f);
        case SCALE -> Arrays.fill(v, Parameter.LAYER_SCALE_INIT);
        case BN_BETA -> { } // zeros
        default -> throw new IllegalStateException("unknown parameter kind " + p.kind());
      }
      values.put(p.name(), v);
    }
    for (Layer.BatchNorm bn : network.batchNorms()) {
      values.put(bn.runningMean(), new float[bn.channels()]);
      float[] ones = new float[bn.channels()];
      Arrays.fill(ones, 1f);
      values.put(bn.runningVar(), ones);
    }
    return values;
  }

  /** Uniform in [-a, a). */
  static void uniform(float[] v, double a, SplittableRandom random) {
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) ((2.0 * random.nextDouble() - 1.0) * a);
    }
  }
}
