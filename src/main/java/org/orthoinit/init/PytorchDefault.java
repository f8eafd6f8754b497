package org.orthoinit.init;

import java.util.SplittableRandom;
import org.orthoinit.model.Parameter;

/**
 * What a fresh {@code nn.Conv2d} or {@code nn.Linear} holds (their {@code reset_parameters}):
 * {@code kaiming_uniform_(w, a=sqrt(5))}, uniform in +-gain * sqrt(3 / fan_in) with gain
 * sqrt(2 / (1 + a^2)) = sqrt(1/3), so +-1 / sqrt(fan_in); biases uniform in +-1 / sqrt(fan_in)
 * of their weight's fan_in. The init most PyTorch users never change.
 */
final class PytorchDefault extends DataFree {

  @Override
  public String id() {
    return "pytorch-default";
  }

  @Override
  public String description() {
    return "a fresh nn.Conv2d/nn.Linear: kaiming_uniform_(a=sqrt(5)) and uniform biases, both "
        + "in +-1/sqrt(fan_in)";
  }

  @Override
  public Look look() {
    return new Look("pytorch default", 0x6E6E6E, Marker.CROSS);
  }

  /** The half-width of both intervals. */
  static double bound(Fans fans) {
    return 1 / Math.sqrt(fans.in());
  }

  @Override
  void kernel(Parameter kernel, float[] values, SplittableRandom random, Orthonormal qr) {
    uniform(values, bound(Fans.of(kernel)), random);
  }

  @Override
  void bias(Parameter bias, Fans fans, float[] values, SplittableRandom random) {
    uniform(values, bound(fans), random);
  }
}
