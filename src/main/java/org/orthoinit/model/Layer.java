package org.orthoinit.model;

/**
 * One module of the seed's {@code nn.Sequential}s, named as PyTorch names it ({@code features.9},
 * {@code classifier.1}), so a parameter's PyTorch state_dict name is {@code name() + ".weight"}.
 */
public sealed interface Layer {

  /** PyTorch's module path: {@code features.N} or {@code classifier.N}. */
  String name();

  /** A k x k convolution, NHWC inside; {@code stride} 2 only for features.0. */
  record Conv(String name, int in, int out, int kernel, int stride, int padding, boolean bias)
      implements Layer {
    /** True for the layers the SVD initializer rewrites (in_channels == out_channels). */
    public boolean square() {
      return in == out;
    }

    public String weight() {
      return name + ".weight";
    }

    public String biasName() {
      return name + ".bias";
    }
  }

  /** 2 x 2 max pooling, stride 2. */
  record MaxPool(String name) implements Layer {}

  record Relu(String name) implements Layer {}

  /** BatchNorm2d over {@code channels}; its parameters are weight (gamma) and bias (beta). */
  record BatchNorm(String name, int channels) implements Layer {
    public String weight() {
      return name + ".weight";
    }

    public String biasName() {
      return name + ".bias";
    }

    public String runningMean() {
      return name + ".running_mean";
    }

    public String runningVar() {
      return name + ".running_var";
    }
  }

  record Dropout(String name) implements Layer {}

  /** A fully connected layer; stored [in, out] in TensorFlow, [out, in] in PyTorch. */
  record Linear(String name, int in, int out) implements Layer {
    public String weight() {
      return name + ".weight";
    }

    public String biasName() {
      return name + ".bias";
    }
  }
}
