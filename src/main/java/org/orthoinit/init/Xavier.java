package org.orthoinit.init;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.orthoinit.model.Architecture;
import org.orthoinit.model.Layer;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.Parameter;

/**
 * The seed's {@code weights_init}: {@code xavier_uniform_(w, gain=calculate_gain('relu'))} on every
 * conv and linear weight, zero biases; batch norms start as PyTorch's (gamma 1, beta 0, running
 * mean 0, running variance 1).
 */
public final class Xavier {

  /** {@code torch.nn.init.calculate_gain('relu')}. */
  public static final double RELU_GAIN = Math.sqrt(2.0);

  private Xavier() {}

  /** The half-width of xavier_uniform_'s interval: gain * sqrt(6 / (fan_in + fan_out)). */
  public static double bound(Fans fans, double gain) {
    return gain * Math.sqrt(6.0 / (fans.in() + fans.out()));
  }

  /** Initial values of every variable of {@code architecture}, in TensorFlow's layout. */
  public static Map<String, float[]> values(Architecture architecture, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    Map<String, float[]> values = new LinkedHashMap<>();
    for (Parameter p : architecture.parameters()) {
      float[] v = new float[Math.toIntExact(p.size())];
      switch (p.kind()) {
        case CONV_KERNEL, LINEAR_WEIGHT -> {
          double a = bound(Fans.of(p), RELU_GAIN);
          for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((2.0 * random.nextDouble() - 1.0) * a);
          }
        }
        case BN_GAMMA -> java.util.Arrays.fill(v, 1f);
        case BIAS, BN_BETA -> { } // zeros
        default -> throw new IllegalStateException("unknown parameter kind " + p.kind());
      }
      values.put(p.name(), v);
    }
    for (Layer.BatchNorm bn : architecture.batchNorms()) {
      values.put(bn.runningMean(), new float[bn.channels()]);
      float[] ones = new float[bn.channels()];
      java.util.Arrays.fill(ones, 1f);
      values.put(bn.runningVar(), ones);
    }
    return values;
  }

  /** Assigns Xavier values to every variable of the session's model. */
  public static void initialize(ModelSession session, long seed) {
    session.assign(values(session.model().architecture(), seed));
  }
}
