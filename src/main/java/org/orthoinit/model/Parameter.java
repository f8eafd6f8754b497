package org.orthoinit.model;

import java.util.Arrays;

/**
 * A trainable parameter: its PyTorch state_dict name and its shape in TensorFlow's layout (HWIO
 * kernels, [in, out] linear weights).
 */
public record Parameter(String name, Kind kind, long[] shape) {

  /** What a parameter is, which decides its initial value and its layout conversion. */
  public enum Kind {
    CONV_KERNEL, LINEAR_WEIGHT, BIAS,
    /** A normalization's scale per channel (batch or layer norm): starts at 1. */
    BN_GAMMA,
    /** A normalization's shift per channel: starts at 0. */
    BN_BETA,
    /** A trained factor per channel (a layer scale): starts at {@link #LAYER_SCALE_INIT}. */
    SCALE
  }

  /** A layer scale's start, ConvNeXt's: each residual branch starts near the identity. */
  public static final float LAYER_SCALE_INIT = 1e-6f;

  public Parameter {
    shape = shape.clone();
  }

  static Parameter bias(String name, int size) {
    return new Parameter(name, Kind.BIAS, new long[] {size});
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  public long size() {
    return Arrays.stream(shape).reduce(1, (a, b) -> a * b);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Parameter p && name.equals(p.name) && kind == p.kind
        && Arrays.equals(shape, p.shape);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(shape);
  }

  @Override
  public String toString() {
    return name + Arrays.toString(shape);
  }
}
