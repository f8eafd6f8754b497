package org.orthoinit.model;

import java.util.List;

/**
 * One node of a network's graph, named as PyTorch names the module ({@code features.9},
 * {@code classifier.1}, {@code layer1.0.conv1}), so a parameter's state_dict name is
 * {@code name() + ".weight"}. Each node reads the outputs of the nodes it names in
 * {@link #inputs()} (or the network's input, {@link Network#INPUT_NAME}).
 */
public sealed interface Layer {

  /** PyTorch's module path. */
  String name();

  /** The nodes whose outputs this one reads, in order. */
  List<String> inputs();

  /** Calls the method of {@code visitor} for this layer's kind. */
  <R> R accept(Visitor<R> visitor);

  /**
   * One method per layer kind. Every walk that treats each kind in its own way (shape inference,
   * renaming, the TensorFlow graph builder, the summary and FLOP count, the ONNX export)
   * implements it, so a new kind does not compile until every walk handles it.
   */
  interface Visitor<R> {
    R conv(Conv layer);

    R maxPool(MaxPool layer);

    R avgPool(AvgPool layer);

    R globalAvgPool(GlobalAvgPool layer);

    R relu(Relu layer);

    R leakyRelu(LeakyRelu layer);

    R sigmoid(Sigmoid layer);

    R hardSigmoid(HardSigmoid layer);

    R hardSwish(HardSwish layer);

    R erf(Erf layer);

    R clip(Clip layer);

    R batchNorm(BatchNorm layer);

    R layerNorm(LayerNorm layer);

    R scale(Scale layer);

    R dropout(Dropout layer);

    R arithmetic(Arithmetic layer);

    R add(Add layer);

    R elementwise(Elementwise layer);

    R concat(Concat layer);

    R channelShuffle(ChannelShuffle layer);

    R channelSlice(ChannelSlice layer);

    R flatten(Flatten layer);

    R linear(Linear layer);
  }

  /** A node of one input. */
  sealed interface Unary extends Layer {
    String input();

    @Override
    default List<String> inputs() {
      return List.of(input());
    }
  }

  /**
   * A 2-D convolution, NHWC inside, kernels HWIO with {@code in / groups} input channels.
   *
   * @param groups 1 for a plain convolution; {@code in} for a depthwise one
   */
  record Conv(String name, String input, int in, int out, Window window, int groups,
      boolean bias) implements Unary {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.conv(this);
    }

    public Conv {
      if (in < 1 || out < 1 || groups < 1 || in % groups != 0 || out % groups != 0) {
        throw new IllegalArgumentException(name + ": " + in + " -> " + out
            + " channels cannot be split into " + groups + " groups");
      }
    }

    /** A k x k convolution with the same stride and padding on every side, one group. */
    public static Conv of(String name, String input, int in, int out, int kernel, int stride,
        int padding, boolean bias) {
      return new Conv(name, input, in, out, Window.square(kernel, stride, padding), 1, bias);
    }

    /**
     * True for the layers the SVD initializer rewrites: as many output as input channels and one
     * group.
     */
    public boolean square() {
      return in == out && groups == 1;
    }

    public boolean depthwise() {
      return groups > 1 && groups == in;
    }

    /** Values of one kernel: in / groups x kernel height x kernel width (PyTorch's fan-in). */
    public int fanIn() {
      return in / groups * window.kernelH() * window.kernelW();
    }

    public String weight() {
      return name + ".weight";
    }

    public String biasName() {
      return name + ".bias";
    }
  }

  /** Max pooling; padding counts as -inf. */
  record MaxPool(String name, String input, Window window, boolean ceilMode) implements Unary {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.maxPool(this);
    }

    /** k x k pooling at stride k, as nn.MaxPool2d(k). */
    public static MaxPool of(String name, String input, int kernel) {
      return new MaxPool(name, input, Window.square(kernel, kernel, 0), false);
    }
  }

  /** Average pooling; {@code countIncludePad} counts the zero padding in each average. */
  record AvgPool(String name, String input, Window window, boolean ceilMode,
      boolean countIncludePad) implements Unary {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.avgPool(this);
    }
}

  /** The mean over height and width: C x 1 x 1. */
  record GlobalAvgPool(String name, String input) implements Unary {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.globalAvgPool(this);
    }
}

  record Relu(String name, String input) implements Unary {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.relu(this);
    }
}

  /** x for x >= 0, alpha x below. */
  record LeakyRelu(String name, String input, float alpha) implements Unary {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.leakyRelu(this);
    }

    public LeakyRelu {
      if (!Float.isFinite(alpha)) {
        throw new IllegalArgumentException(name + ": alpha must be finite, got " + alpha);
      }
    }
  }

  /** 1 / (1 + e^-x). */
  record Sigmoid(String name, String input) implements Unary {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.sigmoid(this);
    }
}

  /**
   * min(max(alpha x + beta, 0), 1): ONNX's HardSigmoid (its defaults alpha 0.2, beta 0.5);
   * PyTorch's {@code Hardsigmoid} is alpha 1/6, beta 0.5.
   */
  record HardSigmoid(String name, String input, float alpha, float beta) implements Unary {
    /** PyTorch's {@code Hardsigmoid}: relu6(x + 3) / 6. */
    public static final float TORCH_ALPHA = 1f / 6;

    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.hardSigmoid(this);
    }

    public HardSigmoid {
      if (!Float.isFinite(alpha) || !Float.isFinite(beta)) {
        throw new IllegalArgumentException(name + ": alpha and beta must be finite, got "
            + alpha + " and " + beta);
      }
    }
  }

  /** x min(max(x / 6 + 1/2, 0), 1), that is x relu6(x + 3) / 6: ONNX's and PyTorch's. */
  record HardSwish(String name, String input) implements Unary {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.hardSwish(this);
    }
  }

  /** The error function, 2 / sqrt(pi) times the integral of e^-t^2 from 0 to x: GELU's part. */
  record Erf(String name, String input) implements Unary {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.erf(this);
    }
  }

  /** min(max(x, min), max): ReLU6 is Clip(0, 6). */
  record Clip(String name, String input, float min, float max) implements Unary {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.clip(this);
    }

    public Clip {
      if (!(min <= max)) {
        throw new IllegalArgumentException(name + ": clip min " + min + " above max " + max);
      }
    }
  }

  /**
   * BatchNorm over {@code channels}; its parameters are weight (gamma) and bias (beta), its
   * running statistics running_mean and running_var (PyTorch's unbiased variance).
   */
  record BatchNorm(String name, String input, int channels, float epsilon, float momentum,
      RunningVariance runningVariance) implements Unary {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.batchNorm(this);
    }

    /** PyTorch's defaults. */
    public static final float EPSILON = 1e-5f;
    public static final float MOMENTUM = 0.1f;

    /**
     * What the running variance is moved towards in training: PyTorch keeps the batch's
     * unbiased variance (n / (n - 1) times the one it normalizes with), ONNX's specification the
     * population one.
     */
    public enum RunningVariance {
      UNBIASED, POPULATION
    }

    /** PyTorch's BatchNorm: the unbiased running variance. */
    public BatchNorm(String name, String input, int channels, float epsilon, float momentum) {
      this(name, input, channels, epsilon, momentum, RunningVariance.UNBIASED);
    }

    public static BatchNorm of(String name, String input, int channels) {
      return new BatchNorm(name, input, channels, EPSILON, MOMENTUM);
    }

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

  /**
   * Layer normalization over the channels at each position (of a vector: over its values), as
   * PyTorch's LayerNorm over the last axis of a channels-last image (ConvNeXt): (x - mean) /
   * sqrt(var + epsilon), the population variance, then times weight plus bias per channel when
   * {@code affine}.
   */
  record LayerNorm(String name, String input, int channels, float epsilon, boolean affine)
      implements Unary {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.layerNorm(this);
    }

    /** PyTorch's default. */
    public static final float EPSILON = 1e-5f;

    public LayerNorm {
      if (!(epsilon >= 0f) || !Float.isFinite(epsilon)) {
        throw new IllegalArgumentException(name + ": epsilon must be finite and not negative, got "
            + epsilon);
      }
    }

    public String weight() {
      return name + ".weight";
    }

    public String biasName() {
      return name + ".bias";
    }
  }

  /**
   * Its input times a trained factor per channel (ConvNeXt's layer scale, PyTorch's
   * {@code nn.Parameter} of shape [C, 1, 1]); the parameter is named as the layer.
   */
  record Scale(String name, String input, int channels) implements Unary {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.scale(this);
    }

    /**
     * A layer scale's name: PyTorch's {@code <module>.layer_scale} or {@code <module>.gamma},
     * with {@code _N} after it for another layer reading the same tensor.
     */
    public static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile(
        ".+\\.(layer_scale|gamma)(_\\d+)?");

    public String weight() {
      return name;
    }
  }

  /** Dropout with probability {@code p} while training; the identity otherwise. */
  record Dropout(String name, String input, float p) implements Unary {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.dropout(this);
    }

    public Dropout {
      if (!(p >= 0f && p < 1f)) {
        throw new IllegalArgumentException(name + ": dropout must be in [0, 1), got " + p);
      }
    }
  }

  /**
   * Its input and a constant, combined element-wise: x + c, x - c (or c - x), x * c, x / c (or
   * c / x), the constant broadcast over the batch and over each axis where it has size 1 (a
   * normalization's per-channel mean, a scale).
   *
   * @param shape the constant's shape for one sample, each axis 1 or the input's
   * @param values the constant, in PyTorch's (NCHW) order of {@code shape}
   * @param constantFirst the constant is the left operand (matters for SUB and DIV)
   */
  record Arithmetic(String name, String input, Op op, Dims shape, float[] values,
      boolean constantFirst) implements Unary {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.arithmetic(this);
    }


    /** The element-wise operations, with their ONNX op types. */
    public enum Op {
      ADD("Add"), SUB("Sub"), MUL("Mul"), DIV("Div");

      private final String onnx;

      Op(String onnx) {
        this.onnx = onnx;
      }

      /** ONNX's op type: Add, Sub, Mul or Div. */
      public String onnx() {
        return onnx;
      }
    }

    public Arithmetic {
      values = values.clone();
      if (values.length != shape.size()) {
        throw new IllegalArgumentException(name + ": " + values.length + " values for a "
            + shape + " constant");
      }
    }

    @Override
    public float[] values() {
      return values.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Arithmetic a && name.equals(a.name) && input.equals(a.input)
          && op == a.op && shape.equals(a.shape) && java.util.Arrays.equals(values, a.values)
          && constantFirst == a.constantFirst;
    }

    @Override
    public int hashCode() {
      return java.util.Objects.hash(name, input, op, shape, constantFirst)
          + 31 * java.util.Arrays.hashCode(values);
    }

    @Override
    public String toString() {
      return "Arithmetic[" + name + ", " + input + ", " + op + " " + shape + "]";
    }
  }

  /** The element-wise sum of two or more inputs of one shape. */
  record Add(String name, List<String> inputs) implements Layer {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.add(this);
    }

    public Add {
      inputs = List.copyOf(inputs);
    }
  }

  /**
   * {@code left op right} of two layers' outputs, element by element, each axis of size 1 in one
   * broadcast over the other's: a squeeze-excitation's [C, 1, 1] scale times its [C, H, W] input,
   * SiLU's x times sigmoid(x). (An ONNX Add of two outputs of one shape reads as {@link Add}.)
   */
  record Elementwise(String name, String left, String right, Arithmetic.Op op) implements Layer {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.elementwise(this);
    }

    @Override
    public List<String> inputs() {
      return List.of(left, right);
    }
  }

  /** Concatenation along PyTorch's {@code axis} (1: channels, NCHW). */
  record Concat(String name, List<String> inputs, int axis) implements Layer {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.concat(this);
    }

    public Concat {
      inputs = List.copyOf(inputs);
    }
  }

  /**
   * ShuffleNet's channel shuffle: the channels, read as {@code groups} rows of C / groups,
   * are written out column by column, so output channel {@code j * groups + i} is input channel
   * {@code i * (C / groups) + j}. (ONNX: a Reshape to [N, groups, C / groups, H, W], a Transpose
   * [0, 2, 1, 3, 4] and a Reshape back.)
   */
  record ChannelShuffle(String name, String input, int groups) implements Unary {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.channelShuffle(this);
    }
  }

  /** Channels {@code from} (inclusive) to {@code to} (exclusive): a chunk or a split's part. */
  record ChannelSlice(String name, String input, int from, int to) implements Unary {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.channelSlice(this);
    }
  }

  /** [N, C, H, W] -> [N, C * H * W] in PyTorch's NCHW order. */
  record Flatten(String name, String input) implements Unary {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.flatten(this);
    }
}

  /**
   * A fully connected layer; stored [in, out] in TensorFlow, [out, in] in PyTorch. On an image it
   * maps the channels at each position (PyTorch's Linear on a channels-last tensor, ConvNeXt's
   * pointwise layers).
   */
  record Linear(String name, String input, int in, int out, boolean bias) implements Unary {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.linear(this);
    }

    public String weight() {
      return name + ".weight";
    }

    public String biasName() {
      return name + ".bias";
    }
  }
}
