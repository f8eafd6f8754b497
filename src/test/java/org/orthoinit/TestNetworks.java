package org.orthoinit;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.orthoinit.model.Dims;
import org.orthoinit.model.Layer;
import org.orthoinit.model.Network;
import org.orthoinit.model.Parameter;
import org.orthoinit.model.Window;

/** Small networks that use every layer kind, and random weights for any network. */
public final class TestNetworks {

  private TestNetworks() {}

  /**
   * Every layer kind and attribute the graph builder handles: SAME-equivalent, strided and
   * asymmetric padding, batch norm, a depthwise (multiplier 2), a dilated grouped convolution,
   * ReLU6, a ceil_mode max pool with padding, average pools with and without the padding counted
   * and with ceil_mode, a 1 x 1 convolution, an add, channel and vector concats, a global average
   * pool, two flattens, dropout and two linear layers.
   */
  public static Network zoo() {
    return new Network("zoo", List.of(
        Layer.Conv.of("c0", Network.INPUT_NAME, 3, 8, 3, 1, 1, true), // 8x32x32
        new Layer.Conv("c1", "c0", 8, 8, new Window(3, 3, 2, 2, 0, 0, 1, 1, 1, 1), 1, false),
        Layer.BatchNorm.of("bn1", "c1", 8), // 8x16x16
        new Layer.Relu("r1", "bn1"),
        new Layer.Conv("dw", "r1", 8, 16, Window.square(3, 1, 1), 8, true), // 16x16x16
        new Layer.Conv("g", "dw", 16, 16, new Window(3, 3, 1, 1, 2, 2, 2, 2, 2, 2), 4, true),
        new Layer.Clip("clip", "g", 0f, 6f),
        new Layer.MaxPool("mp", "clip", Window.square(3, 2, 1), true), // 16x9x9
        new Layer.AvgPool("ap", "mp", Window.square(3, 2, 1), true, true), // 16x5x5
        Layer.Conv.of("a", "ap", 16, 16, 1, 1, 0, true),
        new Layer.AvgPool("b", "ap", Window.square(3, 1, 1), false, false),
        new Layer.Add("add", List.of("a", "b")),
        new Layer.Concat("cat", List.of("add", "ap"), 1), // 32x5x5
        new Layer.GlobalAvgPool("gap", "cat"), // 32x1x1
        new Layer.Flatten("flat", "cat"), // 800
        new Layer.Flatten("flat_gap", "gap"), // 32
        new Layer.Concat("both", List.of("flat", "flat_gap"), 1), // 832
        new Layer.Linear("fc1", "both", 832, 20, true),
        new Layer.Dropout("drop", "fc1", 0.3f),
        new Layer.Relu("r2", "drop"),
        new Layer.Linear("fc2", "r2", 20, 10, true)));
  }

  /**
   * A squeeze-excitation block (mobilenet_v3's: pool, 1x1 conv, ReLU, 1x1 conv, hard sigmoid,
   * times the input), SiLU as x times sigmoid(x), and the other element-wise ops of two layers
   * with broadcasting.
   */
  public static Network squeezeExcitation() {
    Layer.Arithmetic.Op mul = Layer.Arithmetic.Op.MUL;
    return new Network("se", List.of(
        Layer.Conv.of("c0", Network.INPUT_NAME, 3, 8, 3, 2, 1, true), // 8x16x16
        new Layer.GlobalAvgPool("squeeze", "c0"), // 8x1x1
        Layer.Conv.of("fc1", "squeeze", 8, 4, 1, 1, 0, true),
        new Layer.Relu("fc1_relu", "fc1"),
        Layer.Conv.of("fc2", "fc1_relu", 4, 8, 1, 1, 0, true),
        new Layer.HardSigmoid("gate", "fc2", Layer.HardSigmoid.TORCH_ALPHA, 0.5f),
        new Layer.Elementwise("excite", "c0", "gate", mul), // 8x16x16
        new Layer.Sigmoid("sig", "excite"),
        new Layer.Elementwise("silu", "excite", "sig", mul),
        new Layer.Elementwise("shift", "silu", "squeeze", Layer.Arithmetic.Op.SUB),
        new Layer.Sigmoid("positive", "fc2"),
        new Layer.Arithmetic("above_one", "positive", Layer.Arithmetic.Op.ADD,
            new Dims(1, 1, 1), new float[] {1f}, false),
        new Layer.Elementwise("ratio", "shift", "above_one", Layer.Arithmetic.Op.DIV),
        new Layer.Elementwise("wide", "ratio", "gate", Layer.Arithmetic.Op.ADD),
        new Layer.Flatten("flat", "wide"),
        new Layer.Linear("fc", "flat", 8 * 16 * 16, 10, true)));
  }

  /**
   * ShuffleNet V2's unit: the channels split in two halves (one passed through, one convolved),
   * concatenated and shuffled in 2 groups; then a shuffle in 4 groups and a slice of a vector.
   */
  public static Network shuffleUnit() {
    return new Network("shuffle", List.of(
        Layer.Conv.of("c0", Network.INPUT_NAME, 3, 8, 3, 2, 1, true), // 8x16x16
        new Layer.ChannelSlice("kept", "c0", 0, 4),
        new Layer.ChannelSlice("branch", "c0", 4, 8),
        Layer.Conv.of("branch_conv", "branch", 4, 4, 3, 1, 1, true),
        new Layer.Relu("branch_relu", "branch_conv"),
        new Layer.Concat("joined", List.of("kept", "branch_relu"), 1), // 8x16x16
        new Layer.ChannelShuffle("shuffled", "joined", 2),
        Layer.Conv.of("c1", "shuffled", 8, 12, 3, 2, 1, true), // 12x8x8
        new Layer.ChannelShuffle("shuffled4", "c1", 4),
        new Layer.Flatten("flat", "shuffled4"), // 768
        new Layer.ChannelSlice("head", "flat", 100, 700),
        new Layer.Linear("fc", "head", 600, 10, true)));
  }

  /**
   * ConvNeXt's block (torchvision's CNBlock): a 4 x 4 stride-4 stem and its layer norm, a 7 x 7
   * depthwise convolution, a layer norm over the channels, a pointwise linear layer to 4 times
   * the width, GELU (x (1 + erf(x / sqrt 2)) / 2), a pointwise linear layer back, a layer scale
   * and the residual add; then the head's pool, a layer norm without its affine part, and a
   * linear layer.
   */
  public static Network convnextBlock() {
    Dims scalar = new Dims(1, 1, 1);
    Layer.Arithmetic.Op mul = Layer.Arithmetic.Op.MUL;
    return new Network("convnext", List.of(
        new Layer.Conv("stem", Network.INPUT_NAME, 3, 8, Window.square(4, 4, 0), 1, true),
        new Layer.LayerNorm("stem_norm", "stem", 8, 1e-6f, true), // 8x8x8
        new Layer.Conv("block.dw", "stem_norm", 8, 8, Window.square(7, 1, 3), 8, true),
        new Layer.LayerNorm("block.norm", "block.dw", 8, 1e-6f, true),
        new Layer.Linear("block.pw1", "block.norm", 8, 32, true), // 32x8x8
        new Layer.Arithmetic("gelu.scaled", "block.pw1", Layer.Arithmetic.Op.DIV, scalar,
            new float[] {(float) Math.sqrt(2)}, false),
        new Layer.Erf("gelu.erf", "gelu.scaled"),
        new Layer.Arithmetic("gelu.plus_one", "gelu.erf", Layer.Arithmetic.Op.ADD, scalar,
            new float[] {1f}, false),
        new Layer.Elementwise("gelu.gated", "block.pw1", "gelu.plus_one", mul),
        new Layer.Arithmetic("gelu", "gelu.gated", mul, scalar, new float[] {0.5f}, false),
        new Layer.Linear("block.pw2", "gelu", 32, 8, true), // 8x8x8
        new Layer.Scale("block.layer_scale", "block.pw2", 8),
        new Layer.Add("block", List.of("block.layer_scale", "stem_norm")),
        new Layer.GlobalAvgPool("pool", "block"), // 8x1x1
        new Layer.LayerNorm("head_norm", "pool", 8, 1e-5f, false),
        new Layer.Flatten("flat", "head_norm"),
        new Layer.Linear("fc", "flat", 8, 10, true)));
  }

  /**
   * Random values for every variable of {@code network} in TensorFlow's layout: weights with
   * std 1 / sqrt(fan-in), biases and batch-norm shifts around 0, scales around 1, running
   * variances in [0.5, 1.5].
   */
  public static Map<String, float[]> randomWeights(Network network, long seed) {
    Random r = new Random(seed);
    Map<String, float[]> out = new LinkedHashMap<>();
    for (Parameter p : network.parameters()) {
      long[] s = p.shape();
      float[] v = new float[(int) p.size()];
      double fanIn = switch (p.kind()) {
        case CONV_KERNEL -> s[0] * s[1] * s[2];
        case LINEAR_WEIGHT -> s[0];
        default -> 1;
      };
      for (int i = 0; i < v.length; i++) {
        double g = r.nextGaussian();
        v[i] = (float) switch (p.kind()) {
          case CONV_KERNEL, LINEAR_WEIGHT -> g / Math.sqrt(fanIn);
          case BN_GAMMA, SCALE -> 1 + 0.2 * g;
          default -> 0.1 * g;
        };
      }
      out.put(p.name(), v);
    }
    for (Layer.BatchNorm bn : network.batchNorms()) {
      float[] mean = new float[bn.channels()];
      float[] var = new float[bn.channels()];
      for (int i = 0; i < mean.length; i++) {
        mean[i] = (float) (0.1 * r.nextGaussian());
        var[i] = (float) (0.5 + r.nextDouble());
      }
      out.put(bn.runningMean(), mean);
      out.put(bn.runningVar(), var);
    }
    return out;
  }

  /** NHWC images -> NCHW, as ONNX and PyTorch take them. */
  public static float[] nchw(float[] nhwc, int n) {
    float[] out = new float[nhwc.length];
    int s = Network.IMAGE_SIZE * Network.IMAGE_SIZE;
    int c = Network.IMAGE_CHANNELS;
    for (int i = 0; i < n; i++) {
      for (int p = 0; p < s; p++) {
        for (int k = 0; k < c; k++) {
          out[i * c * s + k * s + p] = nhwc[i * c * s + p * c + k];
        }
      }
    }
    return out;
  }
}
