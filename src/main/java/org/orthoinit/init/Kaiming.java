package org.orthoinit.init;

import java.util.SplittableRandom;
import org.orthoinit.model.Parameter;

/**
 * He et al. 2015, "Delving Deep into Rectifiers": {@code kaiming_normal_(w, mode='fan_in',
 * nonlinearity='relu')}, a Gaussian of standard deviation sqrt(2 / fan_in), on every conv and
 * linear weight; zero biases.
 */
final class Kaiming extends DataFree {

  @Override
  public String id() {
    return "kaiming";
  }

  @Override
  public String description() {
    return "kaiming_normal_, fan_in, ReLU gain: std sqrt(2 / fan_in), zero biases (He et al. 2015)";
  }

  @Override
  public Look look() {
    return new Look("kaiming", 0xE08A1E, Marker.TRIANGLE_DOWN);
  }

  @Override
  void kernel(Parameter kernel, float[] values, SplittableRandom random, Orthonormal qr) {
    double std = Xavier.RELU_GAIN / Math.sqrt(Fans.of(kernel).in());
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (std * random.nextGaussian());
    }
  }
}
