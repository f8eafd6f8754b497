package org.orthoinit.init;

import java.util.SplittableRandom;
import org.orthoinit.model.Parameter;

/**
 * Saxe et al. 2014, "Exact solutions to the nonlinear dynamics of learning in deep linear
 * networks": {@code torch.nn.init.orthogonal_(w, gain=sqrt(2))} on every conv and linear weight
 * flattened to [out, fan_in] (orthonormal rows when out <= fan_in, else orthonormal columns,
 * times the ReLU gain); zero biases.
 */
final class Orthogonal extends DataFree {

  @Override
  public String id() {
    return "orthogonal";
  }

  @Override
  public String description() {
    return "orthogonal_ with gain sqrt(2) on each kernel flattened to [out, fan_in], zero biases "
        + "(Saxe et al. 2014)";
  }

  @Override
  public Look look() {
    return new Look("orthogonal (Saxe)", 0x1AA3A3, Marker.PLUS);
  }

  @Override
  void kernel(Parameter kernel, float[] values, SplittableRandom random, Orthonormal qr) {
    fill(kernel, values, random, qr);
  }

  /** Gain times an orthonormal [fan_in, out] matrix: orthogonal_'s value in our layout. */
  static void fill(Parameter kernel, float[] values, SplittableRandom random, Orthonormal qr) {
    // TensorFlow's layouts flatten to [fan_in, out] (HWIO: rows (kh, kw, c)): PyTorch's matrix
    // transposed, with its columns in another order, which keeps them orthonormal
    long[] shape = kernel.shape();
    int out = (int) shape[shape.length - 1];
    int fanIn = values.length / out;
    float[] m = qr.matrix(fanIn, out, random);
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (Xavier.RELU_GAIN * m[i]);
    }
  }
}
