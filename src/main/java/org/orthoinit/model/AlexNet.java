package org.orthoinit.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.orthoinit.util.Seeds;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Assign;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.PlaceholderWithDefault;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * The seed's AlexNet as a TensorFlow graph. Parameters are Variables named by their PyTorch
 * state_dict names ({@code features.9.weight}); the layers of a forward pass live in a name scope
 * per pass ({@code train/features.9/...}, {@code eval/...}) so both passes share the variables.
 *
 * <p>Layouts: images NHWC [N, 32, 32, 3] in [0, 1]; conv kernels HWIO; linear weights [in, out].
 */
public final class AlexNet {

  /** Training: batch statistics and dropout. Evaluation: running statistics, no dropout. */
  public enum Mode {
    TRAIN, EVAL
  }

  /** PyTorch BatchNorm2d defaults. */
  public static final float BN_EPSILON = 1e-5f;
  public static final float BN_MOMENTUM = 0.1f;

  /**
   * Computes a convolution's output; the SVD initializer substitutes its own kernels through this.
   * {@code bias} is null for the bias-free level-2 layers.
   */
  @FunctionalInterface
  public interface ConvHook {
    Operand<TFloat32> apply(Ops tf, Layer.Conv layer, Operand<TFloat32> x,
        Operand<TFloat32> kernel, Operand<TFloat32> bias);
  }

  /** A convolution and the representation leaving its block (after its ReLU, batch norm, pool). */
  public record Block(Layer.Conv conv, Operand<TFloat32> output) {}

  /**
   * One pass through the features.
   *
   * @param features [N, 1024], flattened in PyTorch's NCHW order
   * @param blocks every convolution's block output, in order
   * @param updates running-statistics updates (TRAIN mode with batch norm only): each gives the
   *     statistic's new value
   * @param decisionInputs by layer name ({@code features.1}), the input of every ReLU and max
   *     pool, NHWC: the layers whose gradient follows a decision (a sign, an argmax)
   */
  public record Features(Operand<TFloat32> features, List<Block> blocks,
      List<Operand<TFloat32>> updates,
      Map<String, Operand<TFloat32>> decisionInputs) {}

  /**
   * A full pass: features and logits [N, classes].
   *
   * @param decisionInputs the features' ReLU and max-pool inputs, then the classifier's ReLU
   *     inputs ({@code classifier.2}, [N, 4096])
   */
  public record Forward(Features features, Operand<TFloat32> logits,
      Map<String, Operand<TFloat32>> decisionInputs) {}

  private final Ops tf;
  private final Architecture architecture;
  private final long seed;
  private final Map<String, Variable<TFloat32>> variables = new LinkedHashMap<>();
  private final Map<String, Placeholder<TFloat32>> assignValues = new LinkedHashMap<>();
  private final Map<String, Assign<TFloat32>> assigns = new LinkedHashMap<>();
  private final Placeholder<TFloat32> images;
  private final PlaceholderWithDefault<TInt64> dropoutStep;
  private int randomOps;

  private AlexNet(Graph graph, ModelConfig config, long seed) {
    this.tf = Ops.create(graph);
    this.architecture = Architecture.of(config);
    this.seed = seed;
    for (Parameter p : architecture.parameters()) {
      addVariable(p.name(), Shape.of(p.shape()));
    }
    for (Layer.BatchNorm bn : architecture.batchNorms()) {
      addVariable(bn.runningMean(), Shape.of(bn.channels()));
      addVariable(bn.runningVar(), Shape.of(bn.channels()));
    }
    images = imagesPlaceholder(tf);
    dropoutStep = tf.withName("dropout_step").placeholderWithDefault(tf.constant(0L),
        Shape.scalar());
  }

  /**
   * Declares the model's variables and the images placeholder in {@code graph}; forward passes are
   * added with {@link #forward}.
   *
   * @param seed seeds the dropout masks
   */
  public static AlexNet declare(Graph graph, ModelConfig config, long seed) {
    return new AlexNet(graph, config, seed);
  }

  public Ops tf() {
    return tf;
  }

  public Architecture architecture() {
    return architecture;
  }

  public ModelConfig config() {
    return architecture.config();
  }

  /** A placeholder named "images" in {@code scope} for NHWC [N, 32, 32, 3] images. */
  public static Placeholder<TFloat32> imagesPlaceholder(Ops scope) {
    return scope.withName("images").placeholder(TFloat32.class, Placeholder.shape(
        Shape.of(-1, Architecture.IMAGE_SIZE, Architecture.IMAGE_SIZE,
            Architecture.IMAGE_CHANNELS)));
  }

  /** Images, NHWC [N, 32, 32, 3] in [0, 1]. */
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

  /** Every variable by PyTorch name: parameters first, then running statistics. */
  public Map<String, Variable<TFloat32>> variables() {
    return Collections.unmodifiableMap(variables);
  }

  /** The trainable parameters, in PyTorch's order. */
  public List<Variable<TFloat32>> trainable() {
    return architecture.parameters().stream().map(p -> variables.get(p.name())).toList();
  }

  /** Placeholder that {@link #assignOp} copies into the variable {@code name}. */
  public Placeholder<TFloat32> assignValue(String name) {
    return require(assignValues, name);
  }

  public Assign<TFloat32> assignOp(String name) {
    return require(assigns, name);
  }

  /** A full forward pass (features and classifier) of {@code x} in a scope named after the mode. */
  public Forward forward(Operand<TFloat32> x, Mode mode) {
    Ops scope = tf.withSubScope(mode.name().toLowerCase());
    Features f = features(scope, x, mode, AlexNet::standardConv);
    Map<String, Operand<TFloat32>> decisions = new LinkedHashMap<>(f.decisionInputs());
    Operand<TFloat32> logits = classifier(scope, f.features(), mode, decisions);
    return new Forward(f, logits, Collections.unmodifiableMap(decisions));
  }

  /**
   * Walks the feature layers in order from {@code x} [N, 32, 32, 3], computing each convolution
   * through {@code hook}.
   */
  public Features features(Ops scope, Operand<TFloat32> x, Mode mode, ConvHook hook) {
    List<Block> blocks = new ArrayList<>();
    List<Operand<TFloat32>> updates = new ArrayList<>();
    Map<String, Operand<TFloat32>> decisions = new LinkedHashMap<>();
    Layer.Conv open = null; // the conv whose block is being built
    for (Layer layer : architecture.features()) {
      Ops s = scope.withSubScope(layer.name());
      if (layer instanceof Layer.Conv c) {
        if (open != null) {
          blocks.add(new Block(open, x));
        }
        open = c;
        x = conv(s, c, x, hook);
      } else if (layer instanceof Layer.MaxPool) {
        decisions.put(layer.name(), x);
        x = maxPool(s, x);
      } else if (layer instanceof Layer.Relu) {
        decisions.put(layer.name(), x);
        x = s.nn.relu(x);
      } else if (layer instanceof Layer.BatchNorm bn) {
        x = batchNorm(s, bn, x, mode, updates);
      } else {
        throw new IllegalStateException("unexpected layer in features: " + layer);
      }
    }
    blocks.add(new Block(open, x));
    // [N, 2, 2, 256] NHWC -> [N, 256, 2, 2] -> [N, 1024]: PyTorch's view(N, -1) on NCHW
    Ops s = scope.withSubScope("flatten");
    Operand<TFloat32> nchw = s.linalg.transpose(x, s.constant(new int[] {0, 3, 1, 2}));
    Operand<TFloat32> flat = s.reshape(nchw, s.constant(new int[] {-1, Architecture.FEATURES}));
    return new Features(flat, blocks, updates, Collections.unmodifiableMap(decisions));
  }

  /** The classifier on features [N, 1024]; returns logits [N, classes]. */
  public Operand<TFloat32> classifier(Ops scope, Operand<TFloat32> x, Mode mode) {
    return classifier(scope, x, mode, new LinkedHashMap<>());
  }

  /**
   * The classifier on features [N, 1024]; returns logits [N, classes] and adds each ReLU's input
   * to {@code decisionInputs}.
   */
  private Operand<TFloat32> classifier(Ops scope, Operand<TFloat32> x, Mode mode,
      Map<String, Operand<TFloat32>> decisionInputs) {
    for (Layer layer : architecture.classifier()) {
      Ops s = scope.withSubScope(layer.name());
      if (layer instanceof Layer.Dropout) {
        if (mode == Mode.TRAIN && config().dropout() > 0f) {
          x = dropout(s, x, config().dropout());
        }
      } else if (layer instanceof Layer.Linear l) {
        x = linear(s, x, variables.get(l.weight()), variables.get(l.biasName()), mode);
      } else if (layer instanceof Layer.Relu) {
        decisionInputs.put(layer.name(), x);
        x = s.nn.relu(x);
      } else {
        throw new IllegalStateException("unexpected layer in classifier: " + layer);
      }
    }
    return x;
  }

  /**
   * x W + b for x [N, in] and W [in, out]. Training computes the product as (W^T x^T)^T: the same
   * sums, but the gradient it gets with respect to x is then (W dy^T)^T, with the large weight
   * as it is stored. The plain form's gradient, dy W^T, makes oneDNN transpose the weight first:
   * 27 ms instead of 6 at 4096 x 4096 and batch 30 on 2 cores, a ninth of a 15-layer step.
   */
  private static Operand<TFloat32> linear(Ops s, Operand<TFloat32> x, Operand<TFloat32> w,
      Operand<TFloat32> b, Mode mode) {
    if (mode == Mode.EVAL) {
      return s.nn.biasAdd(s.linalg.matMul(x, w), b);
    }
    Operand<TInt32> swap = s.constant(new int[] {1, 0});
    Operand<TFloat32> yT = s.linalg.matMul(w, s.linalg.transpose(x, swap),
        MatMul.transposeA(true));
    return s.nn.biasAdd(s.linalg.transpose(yT, swap), b);
  }

  /** The convolution with the model's own kernel and bias. */
  public static Operand<TFloat32> standardConv(Ops tf, Layer.Conv layer, Operand<TFloat32> x,
      Operand<TFloat32> kernel, Operand<TFloat32> bias) {
    return convolve(tf, layer, x, kernel, bias);
  }

  /**
   * conv(x, kernel) + bias with PyTorch's symmetric padding. At stride 1 and k = 3, TF's SAME pads
   * 1 on each side, as PyTorch's padding=1; at stride 2, SAME would pad 0 before and 1 after, so
   * the stride-2 layer pads explicitly and convolves VALID.
   */
  public static Operand<TFloat32> convolve(Ops tf, Layer.Conv layer, Operand<TFloat32> x,
      Operand<TFloat32> kernel, Operand<TFloat32> bias) {
    Operand<TFloat32> y;
    if (layer.stride() == 1 && layer.padding() == layer.kernel() / 2) {
      y = tf.nn.conv2d(x, kernel, List.of(1L, 1L, 1L, 1L), "SAME");
    } else {
      int p = layer.padding();
      Operand<TFloat32> padded = tf.pad(x,
          tf.constant(new int[][] {{0, 0}, {p, p}, {p, p}, {0, 0}}), tf.constant(0f));
      long st = layer.stride();
      y = tf.nn.conv2d(padded, kernel, List.of(1L, st, st, 1L), "VALID");
    }
    return bias == null ? y : tf.nn.biasAdd(y, bias);
  }

  private Operand<TFloat32> conv(Ops s, Layer.Conv c, Operand<TFloat32> x, ConvHook hook) {
    return hook.apply(s, c, x, variables.get(c.weight()),
        c.bias() ? variables.get(c.biasName()) : null);
  }

  /**
   * 2x2 max pooling at stride 2. Built as TensorFlow's MaxPool with ksize and strides as
   * attributes: oneDNN replaces that op (and its gradient) with its own, while the MaxPoolV2 that
   * the Java API builds from operand inputs stays on TensorFlow's slower kernels.
   */
  static Operand<TFloat32> maxPool(Ops s, Operand<TFloat32> x) {
    return s.scope().opBuilder("MaxPool", "MaxPool")
        .addInput(x.asOutput())
        .setAttr("ksize", new long[] {1, 2, 2, 1})
        .setAttr("strides", new long[] {1, 2, 2, 1})
        .setAttr("padding", "VALID")
        .build()
        .<TFloat32>output(0);
  }

  private Operand<TFloat32> batchNorm(Ops s, Layer.BatchNorm bn, Operand<TFloat32> x, Mode mode,
      List<Operand<TFloat32>> updates) {
    return batchNorm(s, x, variables.get(bn.weight()), variables.get(bn.biasName()),
        variables.get(bn.runningMean()), variables.get(bn.runningVar()), mode, updates);
  }

  /**
   * PyTorch's BatchNorm2d on NHWC {@code x} from plain ops (TF's fused kernel has no usable
   * gradient from Java). TRAIN normalizes with the batch mean and biased variance and adds to
   * {@code updates} the ops that move the running statistics towards the batch mean and the
   * unbiased variance (momentum {@value #BN_MOMENTUM}); EVAL uses the running statistics.
   *
   * <p>PyTorch sums the batch statistics in float64, so activations beyond about 1e19, whose
   * squares overflow float32, still normalize there (a 75-layer network at the seed's lr reaches
   * them in its first steps). So each channel is scaled by a power of two near its largest value
   * before it is summed or squared: exact in binary, and a constant to the gradient, so values
   * and derivatives are those of the plain formulas, without the overflow.
   */
  public static Operand<TFloat32> batchNorm(Ops s, Operand<TFloat32> x, Operand<TFloat32> gamma,
      Operand<TFloat32> beta, Variable<TFloat32> runningMean, Variable<TFloat32> runningVar,
      Mode mode, List<Operand<TFloat32>> updates) {
    Operand<TFloat32> mean;
    Operand<TFloat32> invStd;
    Operand<TFloat32> eps = s.constant(BN_EPSILON);
    if (mode == Mode.TRAIN) {
      Operand<TInt32> axes = s.constant(new int[] {0, 1, 2}); // all but channels, NHWC
      Operand<TFloat32> xs = powerOfTwoScale(s, x, axes);
      mean = s.math.mul(xs, s.math.mean(s.math.div(x, xs), axes));
      Operand<TFloat32> d = s.math.sub(x, mean);
      // var = v q^2 with v = mean((d / q)^2) <= 1; 1 / sqrt(var + eps) = rsqrt(v + eps / q^2) / q
      Operand<TFloat32> q = powerOfTwoScale(s, d, axes);
      Operand<TFloat32> v = s.math.mean(s.math.square(s.math.div(d, q)), axes);
      invStd = s.math.div(s.math.rsqrt(s.math.add(v, s.math.div(eps, s.math.square(q)))), q);
      // values per channel, N*H*W, for the unbiased running variance (inf beyond float32, as
      // PyTorch's float32 buffer)
      Operand<TFloat32> count = s.math.div(s.dtypes.cast(s.size(x), TFloat32.class),
          s.dtypes.cast(s.size(mean), TFloat32.class));
      Operand<TFloat32> unbiased = s.math.mul(s.math.mul(v, s.math.square(q)),
          s.math.div(count, s.math.sub(count, s.constant(1f))));
      Operand<TFloat32> keep = s.constant(1f - BN_MOMENTUM);
      Operand<TFloat32> moment = s.constant(BN_MOMENTUM);
      updates.add(s.assign(runningMean, s.math.add(s.math.mul(keep, runningMean),
          s.math.mul(moment, s.stopGradient(mean)))));
      updates.add(s.assign(runningVar, s.math.add(s.math.mul(keep, runningVar),
          s.math.mul(moment, s.stopGradient(unbiased)))));
    } else {
      mean = runningMean;
      invStd = s.math.rsqrt(s.math.add(runningVar, eps));
    }
    return s.math.add(s.math.mul(s.math.sub(x, mean), s.math.mul(gamma, invStd)), beta);
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

  private void addVariable(String name, Shape shape) {
    Variable<TFloat32> v = tf.withName(name).variable(shape, TFloat32.class);
    Ops scope = tf.withSubScope(name);
    Placeholder<TFloat32> value = scope.withName("value")
        .placeholder(TFloat32.class, Placeholder.shape(shape));
    variables.put(name, v);
    assignValues.put(name, value);
    assigns.put(name, scope.withName("assign").assign(v, value));
  }

  private static <V> V require(Map<String, V> map, String name) {
    V v = map.get(name);
    if (v == null) {
      throw new IllegalStateException("no variable named " + name);
    }
    return v;
  }
}
