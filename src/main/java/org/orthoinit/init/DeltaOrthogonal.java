package org.orthoinit.init;

import java.util.SplittableRandom;
import org.orthoinit.model.Parameter;

/**
 * Xiao et al. 2018, "Dynamical Isometry and a Mean Field Theory of CNNs" (their Algorithm 2):
 * every conv kernel is zero but at its centre tap, which holds a random orthogonal [Cin, Cout]
 * matrix H (orthonormal rows when Cin <= Cout, as the paper requires, else columns), times the
 * ReLU gain sqrt(2); at stride 1 such a convolution maps each pixel's channels x to sqrt(2) x H,
 * keeping norms. Linear layers get {@link Orthogonal}'s init; biases are zero. The init that
 * trains 10,000-layer vanilla CNNs: the natural rival of the paper's data-dependent one.
 */
final class DeltaOrthogonal extends DataFree {

  @Override
  public String id() {
    return "delta-orthogonal";
  }

  @Override
  public String description() {
    return "an orthogonal matrix times sqrt(2) at each kernel's centre tap, zeros elsewhere; "
        + "linear layers orthogonal (Xiao et al. 2018)";
  }

  @Override
  public Look look() {
    return new Look("delta-orthogonal", 0xC81E96, Marker.RECTANGLE);
  }

  @Override
  void kernel(Parameter kernel, float[] values, SplittableRandom random, Orthonormal qr) {
    if (kernel.kind() == Parameter.Kind.LINEAR_WEIGHT) {
      Orthogonal.fill(kernel, values, random, qr);
      return;
    }
    // HWIO [kh, kw, Cin, Cout]: the centre tap's [Cin, Cout] block starts at (kh/2, kw/2)
    long[] shape = kernel.shape();
    int kw = (int) shape[1];
    int in = (int) shape[2];
    int out = (int) shape[3];
    float[] h = qr.matrix(in, out, random);
    int centre = (((int) shape[0] / 2) * kw + kw / 2) * in * out;
    for (int i = 0; i < h.length; i++) {
      values[centre + i] = (float) (Xavier.RELU_GAIN * h[i]);
    }
  }
}
