package org.orthoinit.init;

import java.util.Map;
import java.util.SplittableRandom;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.Network;
import org.orthoinit.model.Parameter;

/**
 * The seed's {@code weights_init}: {@code xavier_uniform_(w, gain=calculate_gain('relu'))} on every
 * conv and linear weight, zero biases; batch norms start as PyTorch's (gamma 1, beta 0, running
 * mean 0, running variance 1). From given weights it does nothing: they are the start.
 */
public final class Xavier extends DataFree {

  /** {@code torch.nn.init.calculate_gain('relu')}. */
  public static final double RELU_GAIN = Math.sqrt(2.0);
  private static final Xavier INSTANCE = new Xavier();

  Xavier() {}

  @Override
  public String id() {
    return "xavier";
  }

  @Override
  public String description() {
    return "xavier_uniform_ with gain sqrt(2), zero biases (Glorot and Bengio 2010): the seed's "
        + "weights_init";
  }

  @Override
  public Look look() {
    return new Look("xavier", 0x1F5AC8, Marker.SQUARE);
  }

  @Override
  public boolean keepsWeights() {
    return true;
  }

  @Override
  public Report initialize(ModelSession session, Context context) {
    if (!context.given()) {
      initialize(session, context.seed());
    }
    return null;
  }

  @Override
  void kernel(Parameter kernel, float[] values, SplittableRandom random, Orthonormal qr) {
    uniform(values, bound(Fans.of(kernel), RELU_GAIN), random);
  }

  /** The half-width of xavier_uniform_'s interval: gain * sqrt(6 / (fan_in + fan_out)). */
  public static double bound(Fans fans, double gain) {
    return gain * Math.sqrt(6.0 / (fans.in() + fans.out()));
  }

  /** Initial values of every variable of {@code network}, in TensorFlow's layout. */
  public static Map<String, float[]> values(Network network, long seed) {
    return INSTANCE.start(network, seed);
  }

  /** Assigns Xavier values to every variable of the session's model. */
  public static void initialize(ModelSession session, long seed) {
    session.assign(values(session.network(), seed));
  }
}
