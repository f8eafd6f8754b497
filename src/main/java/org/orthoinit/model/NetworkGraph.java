package org.orthoinit.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.orthoinit.util.Seeds;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.PlaceholderWithDefault;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.op.math.Mean;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * Turns any {@link Network} into TensorFlow ops, NHWC inside. The parameters are the session's
 * {@link Variables}; the layers of a pass live in a name scope per pass ({@code train/features.9/
 * ...}, {@code eval/...}) so all passes share the variables.
 *
 * <p>What TensorFlow's gradients need: explicit padding is a Pad and a VALID op (the C++
 * gradients of Conv2D and MaxPool drop EXPLICIT padding and dilations), a dilated kernel is
 * spread out with zeros rather than passed as a dilation, a depthwise convolution (groups ==
 * channels) is DepthwiseConv2dNative, and other grouped convolutions are split, convolved and
 * concatenated (grouped Conv2D has no CPU gradient).
 *
 * <p>Layouts: images NHWC [N, 32, 32, 3] in [0, 1]; conv kernels HWIO; linear weights [in, out].
 */
public final class NetworkGraph {

  /**
   * TRAIN: batch statistics, dropout, running-statistics updates. EVAL: running statistics, no
   * dropout. INIT: what a data-dependent initializer sees: batch statistics, no dropout, running
   * statistics untouched.
   */
  public enum Mode {
    TRAIN, EVAL, INIT
  }

  /**
   * Computes a convolution's output; the SVD initializer substitutes its own kernels through this.
   * {@code bias} is null for bias-free layers.
   */
  @FunctionalInterface
  public interface ConvHook {
    Operand<TFloat32> apply(Ops tf, Layer.Conv layer, Operand<TFloat32> x,
        Operand<TFloat32> kernel, Operand<TFloat32> bias);
  }

  /** Computes a linear layer's output ({@code bias} null when it has none). */
  @FunctionalInterface
  public interface LinearHook {
    Operand<TFloat32> apply(Ops tf, Layer.Linear layer, Operand<TFloat32> x,
        Operand<TFloat32> weight, Operand<TFloat32> bias);
  }

  /** A convolution and the representation leaving its block (after its ReLU, batch norm, pool). */
  public record Block(Layer.Conv conv, Operand<TFloat32> output) {}

  /**
   * One pass through the network.
   *
   * @param logits [N, classes]
   * @param features the representation the classifier reads ({@link Network#features()}), [N,
   *     1024] for the seed's AlexNet, flattened in PyTorch's NCHW order
   * @param outputs every layer's output by name, NHWC where spatial
   * @param blocks every convolution's block output, in order
   * @param updates running-statistics updates (TRAIN mode with batch norm only): each gives the
   *     statistic's new value
   * @param decisionInputs by layer name, the input of every ReLU, leaky ReLU, clip, hard sigmoid,
   *     hard swish and max pool: the layers whose gradient follows a decision (a sign, a kink, an
   *     argmax)
   */
  public record Pass(Operand<TFloat32> logits, Operand<TFloat32> features,
      Map<String, Operand<TFloat32>> outputs, List<Block> blocks,
      List<Operand<TFloat32>> updates, Map<String, Operand<TFloat32>> decisionInputs) {}

  private final Ops tf;
  private final Network network;
  private final Variables variables;
  private final long seed;
  private final Placeholder<TFloat32> images;
  private final PlaceholderWithDefault<TInt64> dropoutStep;
  private int randomOps;

  private NetworkGraph(Ops tf, Network network, Variables variables, long seed) {
    this.tf = tf;
    this.network = network;
    this.variables = variables;
    this.seed = seed;
    images = network.input().equals(Network.INPUT) ? imagesPlaceholder(tf)
        : inputPlaceholder(tf, network.input());
    dropoutStep = tf.withName("dropout_step").placeholderWithDefault(tf.constant(0L),
        Shape.scalar());
  }

  /**
   * Declares the images placeholder in {@code tf}'s graph; passes over {@code variables} are
   * added with {@link #forward} and {@link #walk}.
   *
   * @param seed seeds the dropout masks
   */
  public static NetworkGraph declare(Ops tf, Network network, Variables variables, long seed) {
    return new NetworkGraph(tf, network, variables, seed);
  }

  public Ops tf() {
    return tf;
  }

  public Network network() {
    return network;
  }

  /** A placeholder named "images" in {@code scope} for NHWC [N, 32, 32, 3] images. */
  public static Placeholder<TFloat32> imagesPlaceholder(Ops scope) {
    return scope.withName("images").placeholder(TFloat32.class, Placeholder.shape(
        Shape.of(-1, Network.IMAGE_SIZE, Network.IMAGE_SIZE, Network.IMAGE_CHANNELS)));
  }

  /** A placeholder named "images" for samples of shape {@code in}: NHWC, or [N, F] vectors. */
  public static Placeholder<TFloat32> inputPlaceholder(Ops scope, Dims in) {
    Shape shape = in.flat() ? Shape.of(-1, in.channels())
        : Shape.of(-1, in.height(), in.width(), in.channels());
    return scope.withName("images").placeholder(TFloat32.class, Placeholder.shape(shape));
  }

  /** Images, NHWC [N, 32, 32, 3] in [0, 1] (or the network's own input shape). */
  public Placeholder<TFloat32> images() {
    return images;
  }

  /**
   * Which step's dropout masks a training pass draws (0 when not fed): the masks are a function
   * of (seed, layer, step) alone, so a run resumed from a checkpoint draws what an uninterrupted
   * one would.
   */
  public Operand<TInt64> dropoutStep() {
    return dropoutStep;
  }

  /** A full pass of {@code x} in a scope named after the mode, with the model's own weights. */
  public Pass forward(Operand<TFloat32> x, Mode mode) {
    return forward(x, mode, ConvRoutes.NONE);
  }

  /**
   * {@link #forward(Operand, Mode)} with the convolutions that {@code routes} names computed at
   * their routed input-channel counts (the same output; exact input gradients where TensorFlow's
   * kernel for the plain shape is wrong).
   */
  public Pass forward(Operand<TFloat32> x, Mode mode, ConvRoutes routes) {
    return walk(tf.withSubScope(mode.name().toLowerCase()), x, mode,
        (s, c, in, k, b) -> convolve(s, c, in, k, b, routes.inputChannels(c)), null);
  }

  /** {@link #walk(Ops, Operand, Mode, ConvHook, LinearHook)} with the standard linear layers. */
  public Pass walk(Ops scope, Operand<TFloat32> x, Mode mode, ConvHook conv) {
    return walk(scope, x, mode, conv, null);
  }

  /**
   * Walks every layer in order from {@code x} [N, 32, 32, 3], each in its own sub-scope of
   * {@code scope}, computing each convolution through {@code conv} and each linear layer through
   * {@code linear} (null: the standard one for the mode).
   */
  public Pass walk(Ops scope, Operand<TFloat32> x, Mode mode, ConvHook conv, LinearHook linear) {
    Map<String, Operand<TFloat32>> out = new LinkedHashMap<>();
    List<Operand<TFloat32>> updates = new ArrayList<>();
    Map<String, Operand<TFloat32>> decisions = new LinkedHashMap<>();
    out.put(Network.INPUT_NAME, x);
    Step step = new Step(mode, conv, linear, out, updates, decisions);
    for (Layer layer : network.layers()) {
      step.s = scope.withSubScope(layer.name());
      step.in = out.get(layer.inputs().get(0));
      out.put(layer.name(), layer.accept(step));
    }
    List<Block> blocks = new ArrayList<>();
    network.blocks().forEach((c, end) -> blocks.add(new Block(c, out.get(end))));
    return new Pass(out.get(network.output()), out.get(network.features()),
        Collections.unmodifiableMap(out), blocks, updates, Collections.unmodifiableMap(decisions));
  }

  /**
   * {@code a op b} element by element; NHWC and [N, F] tensors broadcast as PyTorch's NCHW and
   * [N, F] ones do, axis by axis, and the gradient sums over the broadcast axes.
   */
  static Operand<TFloat32> elementwise(Ops tf, Layer.Arithmetic.Op op, Operand<TFloat32> a,
      Operand<TFloat32> b) {
    return switch (op) {
      case ADD -> tf.math.add(a, b);
      case SUB -> tf.math.sub(a, b);
      case MUL -> tf.math.mul(a, b);
      case DIV -> tf.math.div(a, b);
    };
  }

  /**
   * Layer normalization over the last axis (NHWC channels, a vector's values): (x - mean) /
   * sqrt(var + epsilon) with the population variance, then times {@code gamma} plus {@code beta}
   * (both null: no affine part).
   */
  static Operand<TFloat32> layerNorm(Ops tf, Operand<TFloat32> x, float epsilon,
      Operand<TFloat32> gamma, Operand<TFloat32> beta) {
    Operand<TInt32> last = tf.constant(-1);
    Operand<TFloat32> centred = tf.math.sub(x, tf.math.mean(x, last, Mean.keepDims(true)));
    Operand<TFloat32> variance = tf.math.mean(tf.math.square(centred), last,
        Mean.keepDims(true));
    Operand<TFloat32> y = tf.math.mul(centred,
        tf.math.rsqrt(tf.math.add(variance, tf.constant(epsilon))));
    return gamma == null ? y : tf.math.add(tf.math.mul(y, gamma), beta);
  }

  /** min(max(alpha x + beta, 0), 1): a hard sigmoid, its gradient alpha between the kinks. */
  static Operand<TFloat32> hardSigmoid(Ops tf, Operand<TFloat32> x, float alpha, float beta) {
    Operand<TFloat32> line = tf.math.add(tf.math.mul(x, tf.constant(alpha)), tf.constant(beta));
    return tf.math.minimum(tf.math.maximum(line, tf.constant(0f)), tf.constant(1f));
  }

  /** x times the hard sigmoid of slope 1/6 and offset 1/2: PyTorch's x relu6(x + 3) / 6. */
  static Operand<TFloat32> hardSwish(Ops tf, Operand<TFloat32> x) {
    return tf.math.mul(x, hardSigmoid(tf, x, Layer.HardSigmoid.TORCH_ALPHA, 0.5f));
  }

  /**
   * The ops of one layer of a walk: {@link #s} is the layer's scope and {@link #in} its first
   * input, set before each layer; the maps collect every layer's output, the batch norms'
   * running-statistics updates and the inputs of the layers that decide (ReLUs, clips, max
   * pools).
   */
  private final class Step implements Layer.Visitor<Operand<TFloat32>> {
    private final Mode mode;
    private final ConvHook conv;
    private final LinearHook linear;
    private final Map<String, Operand<TFloat32>> out;
    private final List<Operand<TFloat32>> updates;
    private final Map<String, Operand<TFloat32>> decisions;
    Ops s;
    Operand<TFloat32> in;

    Step(Mode mode, ConvHook conv, LinearHook linear, Map<String, Operand<TFloat32>> out,
        List<Operand<TFloat32>> updates, Map<String, Operand<TFloat32>> decisions) {
      this.mode = mode;
      this.conv = conv;
      this.linear = linear;
      this.out = out;
      this.updates = updates;
      this.decisions = decisions;
    }

    @Override
    public Operand<TFloat32> conv(Layer.Conv c) {
      return conv.apply(s, c, in, variables.get(c.weight()),
          c.bias() ? variables.get(c.biasName()) : null);
    }

    @Override
    public Operand<TFloat32> maxPool(Layer.MaxPool p) {
      decisions.put(p.name(), in);
      return NetworkGraph.maxPool(s, p, in, network.dims(p.input()));
    }

    @Override
    public Operand<TFloat32> avgPool(Layer.AvgPool p) {
      return NetworkGraph.avgPool(s, p, in, network.dims(p.input()));
    }

    @Override
    public Operand<TFloat32> globalAvgPool(Layer.GlobalAvgPool p) {
      return s.math.mean(in, s.constant(new int[] {1, 2}), Mean.keepDims(true)); // [N, 1, 1, C]
    }

    @Override
    public Operand<TFloat32> relu(Layer.Relu r) {
      decisions.put(r.name(), in);
      return s.nn.relu(in);
    }

    @Override
    public Operand<TFloat32> leakyRelu(Layer.LeakyRelu r) {
      decisions.put(r.name(), in);
      // relu(x) - alpha relu(-x): x at and above 0, alpha x below, for any alpha
      return s.math.sub(s.nn.relu(in),
          s.math.mul(s.constant(r.alpha()), s.nn.relu(s.math.neg(in))));
    }

    @Override
    public Operand<TFloat32> sigmoid(Layer.Sigmoid g) {
      return s.math.sigmoid(in);
    }

    @Override
    public Operand<TFloat32> hardSigmoid(Layer.HardSigmoid g) {
      decisions.put(g.name(), in);
      return NetworkGraph.hardSigmoid(s, in, g.alpha(), g.beta());
    }

    @Override
    public Operand<TFloat32> hardSwish(Layer.HardSwish g) {
      decisions.put(g.name(), in);
      return NetworkGraph.hardSwish(s, in);
    }

    @Override
    public Operand<TFloat32> erf(Layer.Erf e) {
      return s.math.erf(in);
    }

    @Override
    public Operand<TFloat32> clip(Layer.Clip c) {
      decisions.put(c.name(), in);
      return s.math.minimum(s.math.maximum(in, s.constant(c.min())), s.constant(c.max()));
    }

    @Override
    public Operand<TFloat32> batchNorm(Layer.BatchNorm bn) {
      return NetworkGraph.this.batchNorm(s, bn, in, network.dims(bn.input()).flat(), mode,
          updates);
    }

    @Override
    public Operand<TFloat32> layerNorm(Layer.LayerNorm n) {
      return NetworkGraph.layerNorm(s, in, n.epsilon(),
          n.affine() ? variables.get(n.weight()) : null,
          n.affine() ? variables.get(n.biasName()) : null);
    }

    @Override
    public Operand<TFloat32> scale(Layer.Scale c) {
      return s.math.mul(in, variables.get(c.weight())); // channels are the last axis
    }

    @Override
    public Operand<TFloat32> dropout(Layer.Dropout d) {
      return mode == Mode.TRAIN && d.p() > 0f ? NetworkGraph.this.dropout(s, in, d.p()) : in;
    }

    @Override
    public Operand<TFloat32> arithmetic(Layer.Arithmetic a) {
      return NetworkGraph.arithmetic(s, a, in);
    }

    @Override
    public Operand<TFloat32> add(Layer.Add a) {
      Operand<TFloat32> y = in;
      for (int i = 1; i < a.inputs().size(); i++) {
        y = s.math.add(y, out.get(a.inputs().get(i)));
      }
      return y;
    }

    @Override
    public Operand<TFloat32> elementwise(Layer.Elementwise e) {
      return NetworkGraph.elementwise(s, e.op(), in, out.get(e.right()));
    }

    @Override
    public Operand<TFloat32> concat(Layer.Concat c) {
      List<Operand<TFloat32>> parts = c.inputs().stream().map(out::get).toList();
      // channels are NHWC's last axis, a vector's second
      int axis = network.dims(c.name()).flat() ? 1 : 3;
      return s.concat(parts, s.constant(axis));
    }

    @Override
    public Operand<TFloat32> channelShuffle(Layer.ChannelShuffle c) {
      Dims d = network.dims(c.name());
      int g = c.groups();
      // NHWC: the channel axis read as [groups, C / groups], written as [C / groups, groups]
      Operand<TFloat32> split = s.reshape(in,
          s.constant(new int[] {-1, d.height(), d.width(), g, d.channels() / g}));
      Operand<TFloat32> swapped = s.linalg.transpose(split, s.constant(new int[] {0, 1, 2, 4, 3}));
      return s.reshape(swapped, s.constant(new int[] {-1, d.height(), d.width(), d.channels()}));
    }

    @Override
    public Operand<TFloat32> channelSlice(Layer.ChannelSlice c) {
      boolean flat = network.dims(c.name()).flat();
      int n = c.to() - c.from();
      return flat ? s.slice(in, s.constant(new int[] {0, c.from()}), s.constant(new int[] {-1, n}))
          : s.slice(in, s.constant(new int[] {0, 0, 0, c.from()}),
              s.constant(new int[] {-1, -1, -1, n}));
    }

    @Override
    public Operand<TFloat32> flatten(Layer.Flatten f) {
      return NetworkGraph.flatten(s, in, network.dims(f.input()));
    }

    @Override
    public Operand<TFloat32> linear(Layer.Linear l) {
      Operand<TFloat32> w = variables.get(l.weight());
      Operand<TFloat32> b = l.bias() ? variables.get(l.biasName()) : null;
      Dims d = network.dims(l.input());
      // on an image, each position's channels: [N, H, W, in] as [N H W, in] rows
      Operand<TFloat32> x = d.flat() ? in : s.reshape(in, s.constant(new int[] {-1, l.in()}));
      Operand<TFloat32> y = linear != null ? linear.apply(s, l, x, w, b)
          : NetworkGraph.linear(s, x, w, b, mode);
      return d.flat() ? y : s.reshape(y, s.constant(new int[] {-1, d.height(), d.width(),
          l.out()}));
    }
  }

  /**
   * x W + b for x [N, in] and W [in, out]. Training computes the product as (W^T x^T)^T: the same
   * sums, but the gradient it gets with respect to x is then (W dy^T)^T, with the large weight
   * as it is stored. The plain form's gradient, dy W^T, makes oneDNN transpose the weight first:
   * 27 ms instead of 6 at 4096 x 4096 and batch 30 on 2 cores, a ninth of a 15-layer step.
   */
  static Operand<TFloat32> linear(Ops s, Operand<TFloat32> x, Operand<TFloat32> w,
      Operand<TFloat32> b, Mode mode) {
    Operand<TFloat32> y;
    if (mode == Mode.TRAIN) {
      Operand<TInt32> swap = s.constant(new int[] {1, 0});
      Operand<TFloat32> yT = s.linalg.matMul(w, s.linalg.transpose(x, swap),
          MatMul.transposeA(true));
      y = s.linalg.transpose(yT, swap);
    } else {
      y = s.linalg.matMul(x, w);
    }
    return b == null ? y : s.nn.biasAdd(y, b);
  }

  /** x W + b in its plain form, [N, in] x [in, out]. */
  public static Operand<TFloat32> dense(Ops s, Operand<TFloat32> x, Operand<TFloat32> w,
      Operand<TFloat32> b) {
    return linear(s, x, w, b, Mode.EVAL);
  }

  /**
   * conv(x, kernel) + bias with the layer's padding, stride, dilation and groups. A stride-1
   * undilated convolution whose padding is TensorFlow's SAME (as PyTorch's padding=1 at k = 3)
   * convolves SAME; anything else pads explicitly and convolves VALID (at stride 2, SAME would
   * pad 0 before and 1 after, not PyTorch's 1 and 1).
   */
  public static Operand<TFloat32> convolve(Ops tf, Layer.Conv layer, Operand<TFloat32> x,
      Operand<TFloat32> kernel, Operand<TFloat32> bias) {
    return convolve(tf, layer, x, kernel, bias, layer.in());
  }

  /**
   * {@link #convolve(Ops, Layer.Conv, Operand, Operand, Operand)} with the input and the kernel
   * zero-padded to {@code channels} input channels (each group's alike; not for depthwise): the
   * same output, but the input gradient is computed at that channel count, where {@link
   * ConvRoutes} found it exact.
   */
  static Operand<TFloat32> convolve(Ops tf, Layer.Conv layer, Operand<TFloat32> x,
      Operand<TFloat32> kernel, Operand<TFloat32> bias, int channels) {
    Window w = layer.window();
    Operand<TFloat32> k = dilate(tf, kernel, w, layer.in() / layer.groups(), layer.out());
    if (channels != layer.in() && (layer.depthwise() || channels < layer.in()
        || channels % layer.groups() != 0)) {
      throw new IllegalArgumentException(layer.name() + ": cannot compute " + layer.in()
          + " input channels in " + layer.groups() + " groups as " + channels);
    }
    if (channels != layer.in() && layer.groups() == 1) {
      x = padChannels(tf, x, channels - layer.in());
      k = padInputChannels(tf, k, channels - layer.in());
    }
    Operand<TFloat32> y;
    if (layer.groups() == 1 && isSame(w)) {
      y = tf.nn.conv2d(x, k, List.of(1L, 1L, 1L, 1L), "SAME");
    } else {
      Operand<TFloat32> padded = pad(tf, x, w.padTop(), w.padLeft(), w.padBottom(),
          w.padRight(), 0f);
      List<Long> strides = List.of(1L, (long) w.strideH(), (long) w.strideW(), 1L);
      if (layer.groups() == 1) {
        y = tf.nn.conv2d(padded, k, strides, "VALID");
      } else if (layer.depthwise()) {
        // [kh, kw, 1, in * m] -> [kh, kw, in, m]: output channel i * m + j reads input i, as
        // PyTorch's groups == in
        Operand<TFloat32> dk = tf.reshape(k, tf.constant(new int[] {w.extentH(), w.extentW(),
            layer.in(), layer.out() / layer.in()}));
        y = tf.nn.depthwiseConv2dNative(padded, dk, strides, "VALID");
      } else {
        int g = layer.groups();
        List<Operand<TFloat32>> xs = splitChannels(tf, padded, g);
        List<Operand<TFloat32>> ks = splitChannels(tf, k, g);
        List<Operand<TFloat32>> ys = new ArrayList<>();
        // a routed grouped convolution pads each group's input alike
        int extra = (channels - layer.in()) / g;
        for (int i = 0; i < g; i++) {
          ys.add(tf.nn.conv2d(padChannels(tf, xs.get(i), extra),
              padInputChannels(tf, ks.get(i), extra), strides, "VALID"));
        }
        y = tf.concat(ys, tf.constant(3));
      }
    }
    return bias == null ? y : tf.nn.biasAdd(y, bias);
  }

  /** x op c with the layer's constant, NHWC [1, h, w, c] (or [1, F]) broadcast over x. */
  private static Operand<TFloat32> arithmetic(Ops s, Layer.Arithmetic a, Operand<TFloat32> x) {
    Dims d = a.shape();
    float[] v = a.values();
    Operand<TFloat32> c;
    if (d.flat()) {
      c = s.reshape(s.constant(v), s.constant(new int[] {1, d.channels()}));
    } else {
      int pixels = d.height() * d.width();
      float[] hwc = new float[v.length];
      for (int k = 0; k < d.channels(); k++) {
        for (int p = 0; p < pixels; p++) {
          hwc[p * d.channels() + k] = v[k * pixels + p];
        }
      }
      c = s.reshape(s.constant(hwc), s.constant(new int[] {1, d.height(), d.width(),
          d.channels()}));
    }
    Operand<TFloat32> left = a.constantFirst() ? c : x;
    Operand<TFloat32> right = a.constantFirst() ? x : c;
    return switch (a.op()) {
      case ADD -> s.math.add(left, right);
      case SUB -> s.math.sub(left, right);
      case MUL -> s.math.mul(left, right);
      case DIV -> s.math.div(left, right);
    };
  }

  /** True when TensorFlow's SAME padding at stride 1 is exactly the window's padding. */
  private static boolean isSame(Window w) {
    return w.strideH() == 1 && w.strideW() == 1 && w.dilationH() == 1 && w.dilationW() == 1
        && w.padTop() == (w.kernelH() - 1) / 2 && w.padBottom() == w.kernelH() - 1 - w.padTop()
        && w.padLeft() == (w.kernelW() - 1) / 2 && w.padRight() == w.kernelW() - 1 - w.padLeft();
  }

  /** NHWC {@code x} with {@code extra} zero channels after its own; unchanged for 0. */
  private static Operand<TFloat32> padChannels(Ops tf, Operand<TFloat32> x, int extra) {
    return extra == 0 ? x : tf.pad(x, tf.constant(new int[][] {{0, 0}, {0, 0}, {0, 0},
        {0, extra}}), tf.constant(0f));
  }

  /** HWIO {@code k} with {@code extra} zero input rows after its own; unchanged for 0. */
  private static Operand<TFloat32> padInputChannels(Ops tf, Operand<TFloat32> k, int extra) {
    return extra == 0 ? k : tf.pad(k, tf.constant(new int[][] {{0, 0}, {0, 0}, {0, extra},
        {0, 0}}), tf.constant(0f));
  }

  /** {@code x} [..., C] split into {@code parts} along its last axis. */
  private static List<Operand<TFloat32>> splitChannels(Ops tf, Operand<TFloat32> x, int parts) {
    var split = tf.split(tf.constant(3), x, (long) parts);
    List<Operand<TFloat32>> out = new ArrayList<>();
    split.output().forEach(out::add);
    return out;
  }

  /**
   * A HWIO kernel spread out for its dilation: [kh, kw, i, o] -> [d (kh - 1) + 1, ..., i, o] with
   * zeros between the taps, built from reshapes and pads so its gradient is exact.
   */
  private static Operand<TFloat32> dilate(Ops tf, Operand<TFloat32> kernel, Window w, int in,
      int out) {
    Operand<TFloat32> k = kernel;
    int kh = w.kernelH();
    int kw = w.kernelW();
    if (w.dilationH() > 1) {
      int d = w.dilationH();
      k = tf.reshape(k, tf.constant(new int[] {kh, 1, kw, in, out}));
      k = tf.pad(k, tf.constant(new int[][] {{0, 0}, {0, d - 1}, {0, 0}, {0, 0}, {0, 0}}),
          tf.constant(0f));
      k = tf.reshape(k, tf.constant(new int[] {kh * d, kw, in, out}));
      k = tf.slice(k, tf.constant(new int[] {0, 0, 0, 0}),
          tf.constant(new int[] {w.extentH(), kw, in, out}));
      kh = w.extentH();
    }
    if (w.dilationW() > 1) {
      int d = w.dilationW();
      k = tf.reshape(k, tf.constant(new int[] {kh, kw, 1, in, out}));
      k = tf.pad(k, tf.constant(new int[][] {{0, 0}, {0, 0}, {0, d - 1}, {0, 0}, {0, 0}}),
          tf.constant(0f));
      k = tf.reshape(k, tf.constant(new int[] {kh, kw * d, in, out}));
      k = tf.slice(k, tf.constant(new int[] {0, 0, 0, 0}),
          tf.constant(new int[] {kh, w.extentW(), in, out}));
    }
    return k;
  }

  /** NHWC {@code x} padded on height and width with {@code value}; unchanged when no padding. */
  private static Operand<TFloat32> pad(Ops tf, Operand<TFloat32> x, int top, int left,
      int bottom, int right, float value) {
    if (top + left + bottom + right == 0) {
      return x;
    }
    return tf.pad(x, tf.constant(new int[][] {{0, 0}, {top, bottom}, {left, right}, {0, 0}}),
        tf.constant(value));
  }

  /** Rows (or columns) beyond the padding that ceil_mode's last window reaches. */
  private static int ceilExtra(int size, int before, int after, int outputs, int stride,
      int kernel) {
    return Math.max(0, (outputs - 1) * stride + kernel - (size + before + after));
  }

  /**
   * Max pooling, built as TensorFlow's MaxPool with ksize and strides as attributes: oneDNN
   * replaces that op (and its gradient) with its own, while the MaxPoolV2 that the Java API
   * builds from operand inputs stays on TensorFlow's slower kernels. Padding (and ceil_mode's
   * extra row) is -inf, which a maximum never picks over a real value.
   */
  static Operand<TFloat32> maxPool(Ops s, Layer.MaxPool p, Operand<TFloat32> x, Dims in) {
    Window w = p.window();
    int oh = w.outputHeight(in.height(), p.ceilMode());
    int ow = w.outputWidth(in.width(), p.ceilMode());
    Operand<TFloat32> padded = pad(s, x, w.padTop(), w.padLeft(),
        w.padBottom() + ceilExtra(in.height(), w.padTop(), w.padBottom(), oh, w.strideH(),
            w.kernelH()),
        w.padRight() + ceilExtra(in.width(), w.padLeft(), w.padRight(), ow, w.strideW(),
            w.kernelW()),
        Float.NEGATIVE_INFINITY);
    Operand<TFloat32> y = s.scope().opBuilder("MaxPool", "MaxPool")
        .addInput(padded.asOutput())
        .setAttr("ksize", new long[] {1, w.kernelH(), w.kernelW(), 1})
        .setAttr("strides", new long[] {1, w.strideH(), w.strideW(), 1})
        .setAttr("padding", "VALID")
        .build()
        .<TFloat32>output(0);
    return cropTo(s, y, oh, ow);
  }

  /**
   * Average pooling: the window sums of the zero-padded input divided by how many values each
   * window counts (all its taps inside the padding with count_include_pad, only the image's
   * otherwise; never ceil_mode's extra rows), as PyTorch divides.
   */
  static Operand<TFloat32> avgPool(Ops s, Layer.AvgPool p, Operand<TFloat32> x, Dims in) {
    Window w = p.window();
    int oh = w.outputHeight(in.height(), p.ceilMode());
    int ow = w.outputWidth(in.width(), p.ceilMode());
    List<Long> ksize = List.of(1L, (long) w.kernelH(), (long) w.kernelW(), 1L);
    List<Long> strides = List.of(1L, (long) w.strideH(), (long) w.strideW(), 1L);
    int extraH = ceilExtra(in.height(), w.padTop(), w.padBottom(), oh, w.strideH(), w.kernelH());
    int extraW = ceilExtra(in.width(), w.padLeft(), w.padRight(), ow, w.strideW(), w.kernelW());
    if (!w.padded() && extraH == 0 && extraW == 0) {
      return cropTo(s, s.nn.avgPool(x, ksize, strides, "VALID"), oh, ow);
    }
    Operand<TFloat32> padded = pad(s, x, w.padTop(), w.padLeft(), w.padBottom() + extraH,
        w.padRight() + extraW, 0f);
    Operand<TFloat32> means = cropTo(s, s.nn.avgPool(padded, ksize, strides, "VALID"), oh, ow);
    float[] scale = new float[oh * ow]; // taps / counted taps, per output position
    int lowH = p.countIncludePad() ? -w.padTop() : 0;
    int highH = p.countIncludePad() ? in.height() + w.padBottom() : in.height();
    int lowW = p.countIncludePad() ? -w.padLeft() : 0;
    int highW = p.countIncludePad() ? in.width() + w.padRight() : in.width();
    for (int i = 0; i < oh; i++) {
      int h0 = i * w.strideH() - w.padTop();
      int rows = Math.min(h0 + w.kernelH(), highH) - Math.max(h0, lowH);
      for (int j = 0; j < ow; j++) {
        int w0 = j * w.strideW() - w.padLeft();
        int cols = Math.min(w0 + w.kernelW(), highW) - Math.max(w0, lowW);
        scale[i * ow + j] = (float) w.kernelH() * w.kernelW() / (rows * cols);
      }
    }
    return s.math.mul(means, s.reshape(s.constant(scale), s.constant(new int[] {1, oh, ow, 1})));
  }

  /** The first {@code h} x {@code w} positions of NHWC {@code y} (a no-op when it has no more). */
  private static Operand<TFloat32> cropTo(Ops s, Operand<TFloat32> y, int h, int w) {
    long[] shape = y.shape().asArray();
    if (shape[1] == h && shape[2] == w) {
      return y;
    }
    return s.slice(y, s.constant(new int[] {0, 0, 0, 0}), s.constant(new int[] {-1, h, w, -1}));
  }

  /** NHWC [N, H, W, C] -> NCHW -> [N, C H W]: PyTorch's flatten of its NCHW tensor. */
  private static Operand<TFloat32> flatten(Ops s, Operand<TFloat32> x, Dims in) {
    int size = Math.toIntExact(in.size());
    if (in.flat() || (in.height() == 1 && in.width() == 1)) {
      return s.reshape(x, s.constant(new int[] {-1, size}));
    }
    Operand<TFloat32> nchw = s.linalg.transpose(x, s.constant(new int[] {0, 3, 1, 2}));
    return s.reshape(nchw, s.constant(new int[] {-1, size}));
  }

  private Operand<TFloat32> batchNorm(Ops s, Layer.BatchNorm bn, Operand<TFloat32> x,
      boolean flat, Mode mode, List<Operand<TFloat32>> updates) {
    return batchNorm(s, x, variables.get(bn.weight()), variables.get(bn.biasName()),
        variables.get(bn.runningMean()), variables.get(bn.runningVar()), bn.epsilon(),
        bn.momentum(), bn.runningVariance(), flat ? new int[] {0} : new int[] {0, 1, 2}, mode,
        updates);
  }

  /** BatchNorm2d on NHWC {@code x} with PyTorch's epsilon and momentum. */
  public static Operand<TFloat32> batchNorm(Ops s, Operand<TFloat32> x, Operand<TFloat32> gamma,
      Operand<TFloat32> beta, Variable<TFloat32> runningMean, Variable<TFloat32> runningVar,
      Mode mode, List<Operand<TFloat32>> updates) {
    return batchNorm(s, x, gamma, beta, runningMean, runningVar, Layer.BatchNorm.EPSILON,
        Layer.BatchNorm.MOMENTUM, Layer.BatchNorm.RunningVariance.UNBIASED,
        new int[] {0, 1, 2}, mode, updates);
  }

  /**
   * PyTorch's BatchNorm on {@code x} (channels last) from plain ops (TF's fused kernel has no
   * usable gradient from Java), reducing over {@code axes}. TRAIN and INIT normalize with the
   * batch mean and biased variance; TRAIN also adds to {@code updates} the ops that move the
   * running statistics towards the batch mean and variance ({@code running}: the unbiased one,
   * as PyTorch, or the population one, as ONNX's specification); EVAL uses the running
   * statistics.
   *
   * <p>PyTorch sums the batch statistics in float64, so activations beyond about 1e19, whose
   * squares overflow float32, still normalize there (a 75-layer network at the seed's lr reaches
   * them in its first steps). So each channel is scaled by a power of two near its largest value
   * before it is summed or squared: exact in binary, and a constant to the gradient, so values
   * and derivatives are those of the plain formulas, without the overflow.
   */
  public static Operand<TFloat32> batchNorm(Ops s, Operand<TFloat32> x, Operand<TFloat32> gamma,
      Operand<TFloat32> beta, Variable<TFloat32> runningMean, Variable<TFloat32> runningVar,
      float epsilon, float momentum, Layer.BatchNorm.RunningVariance running, int[] reduce,
      Mode mode, List<Operand<TFloat32>> updates) {
    if (mode == Mode.INIT) {
      return batchNormInFloat64(s, x, gamma, beta, epsilon, reduce);
    }
    Operand<TFloat32> mean;
    Operand<TFloat32> invStd;
    Operand<TFloat32> eps = s.constant(epsilon);
    if (mode != Mode.EVAL) {
      Operand<TInt32> axes = s.constant(reduce); // all but channels
      Operand<TFloat32> xs = powerOfTwoScale(s, x, axes);
      mean = s.math.mul(xs, s.math.mean(s.math.div(x, xs), axes));
      Operand<TFloat32> d = s.math.sub(x, mean);
      // var = v q^2 with v = mean((d / q)^2) <= 1; 1 / sqrt(var + eps) = rsqrt(v + eps / q^2) / q
      Operand<TFloat32> q = powerOfTwoScale(s, d, axes);
      Operand<TFloat32> v = s.math.mean(s.math.square(s.math.div(d, q)), axes);
      invStd = s.math.div(s.math.rsqrt(s.math.add(v, s.math.div(eps, s.math.square(q)))), q);
      if (mode == Mode.TRAIN) {
        // values per channel, N*H*W, for the unbiased running variance (inf beyond float32, as
        // PyTorch's float32 buffer)
        Operand<TFloat32> count = s.math.div(s.dtypes.cast(s.size(x), TFloat32.class),
            s.dtypes.cast(s.size(mean), TFloat32.class));
        Operand<TFloat32> population = s.math.mul(v, s.math.square(q));
        Operand<TFloat32> toward = running == Layer.BatchNorm.RunningVariance.POPULATION
            ? population
            : s.math.mul(population, s.math.div(count, s.math.sub(count, s.constant(1f))));
        Operand<TFloat32> keep = s.constant(1f - momentum);
        Operand<TFloat32> moment = s.constant(momentum);
        updates.add(s.assign(runningMean, s.math.add(s.math.mul(keep, runningMean),
            s.math.mul(moment, s.stopGradient(mean)))));
        updates.add(s.assign(runningVar, s.math.add(s.math.mul(keep, runningVar),
            s.math.mul(moment, s.stopGradient(toward)))));
      }
    } else {
      mean = runningMean;
      invStd = s.math.rsqrt(s.math.add(runningVar, eps));
    }
    return s.math.add(s.math.mul(s.math.sub(x, mean), s.math.mul(gamma, invStd)), beta);
  }

  /**
   * INIT's batch norm: the batch statistics and the normalization in float64, rounded to float32
   * once (the walks of the SVD init, LSUV and the figure's per-epoch probe). PyTorch accumulates
   * a float32 batch norm's statistics in float64 (its normalization stays float32), and the SVD
   * init's kernels deep in a network amplify any difference in its walk (resnet50's layer4
   * kernels moved by 2e-4 to 4e-4 between PyTorch's own float32 and float64 forward passes); with
   * float32 statistics orthoinit's first rewritten layers of wide_resnet50_2 were 1e-5 from
   * PyTorch's float64 rule, with these 1e-6. No gradient flows here.
   */
  private static Operand<TFloat32> batchNormInFloat64(Ops s, Operand<TFloat32> x,
      Operand<TFloat32> gamma, Operand<TFloat32> beta, float epsilon, int[] reduce) {
    Operand<TInt32> axes = s.constant(reduce);
    Operand<TFloat64> x64 = s.dtypes.cast(x, TFloat64.class);
    Operand<TFloat64> d = s.math.sub(x64, s.math.mean(x64, axes));
    Operand<TFloat64> invStd = s.math.rsqrt(s.math.add(s.math.mean(s.math.square(d), axes),
        s.constant((double) epsilon)));
    Operand<TFloat64> scale = s.math.mul(s.dtypes.cast(gamma, TFloat64.class), invStd);
    return s.dtypes.cast(s.math.add(s.math.mul(d, scale), s.dtypes.cast(beta, TFloat64.class)),
        TFloat32.class);
  }

  /**
   * Per channel of {@code x}, the smallest power of two at or above its largest magnitude, and at
   * least 1 (small values need no scaling, and dividing by a tiny power would overflow); a
   * constant to the gradient.
   */
  private static Operand<TFloat32> powerOfTwoScale(Ops s, Operand<TFloat32> x,
      Operand<TInt32> axes) {
    Operand<TFloat32> largest = s.reduceMax(s.math.abs(x), axes);
    Operand<TFloat32> log2 = s.math.div(s.math.log(largest), s.constant((float) Math.log(2)));
    Operand<TFloat32> power = s.math.pow(s.constant(2f), s.math.ceil(log2));
    return s.stopGradient(s.math.maximum(power, s.constant(1f)));
  }

  /**
   * PyTorch's dropout: zero with probability p, scale the kept values by 1 / (1 - p). The
   * uniform draws are stateless, keyed by (seed, this layer) and the fed step.
   */
  private Operand<TFloat32> dropout(Ops s, Operand<TFloat32> x, float p) {
    Operand<TInt64> key = s.stack(List.of(s.constant(new Seeds(seed).dropout(++randomOps)),
        dropoutStep));
    Operand<TFloat32> u = s.random.statelessRandomUniform(s.shape(x), key, TFloat32.class);
    Operand<TFloat32> keep = s.dtypes.cast(s.math.greaterEqual(u, s.constant(p)), TFloat32.class);
    return s.math.mul(x, s.math.mul(keep, s.constant(1f / (1f - p))));
  }
}
