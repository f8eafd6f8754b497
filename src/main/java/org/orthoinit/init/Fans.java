package org.orthoinit.init;

import org.orthoinit.model.Parameter;

/**
 * PyTorch's fan_in and fan_out ({@code torch.nn.init._calculate_fan_in_and_fan_out}) for kernels in
 * TensorFlow's layouts. tensorflow-framework's VarianceScaling counts channels twice for 4-D
 * kernels, so the fans are computed here.
 *
 * @param in fan_in: Cin * kh * kw for a conv, in for a linear layer
 * @param out fan_out: Cout * kh * kw for a conv, out for a linear layer
 */
public record Fans(long in, long out) {

  /**
   * Fans of a kernel: rank 4 is HWIO [kh, kw, Cin, Cout], rank 2 is [in, out].
   *
   * @throws IllegalArgumentException for other ranks, with the shape in the message
   */
  public static Fans of(long[] shape) {
    if (shape.length == 4) {
      long receptive = shape[0] * shape[1];
      return new Fans(shape[2] * receptive, shape[3] * receptive);
    }
    if (shape.length == 2) {
      return new Fans(shape[0], shape[1]);
    }
    throw new IllegalArgumentException("fans need a rank-2 [in, out] or rank-4 HWIO kernel, got rank "
        + shape.length + " " + java.util.Arrays.toString(shape));
  }

  public static Fans of(Parameter p) {
    return of(p.shape());
  }
}
