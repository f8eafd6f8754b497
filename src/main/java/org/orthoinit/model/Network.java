package org.orthoinit.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * A network as data: a graph of {@link Layer}s in topological order (every node reads only the
 * input or nodes before it), the last node's output being the logits. Every representation's
 * shape is inferred once, here, from the layers' attributes; a layer that does not fit its input
 * is refused naming the layer. Everything that needs the architecture (the TensorFlow graph, the
 * initializers, the summary, ONNX export and import) walks this graph.
 */
public final class Network {

  /** CIFAR-10 images: 32 x 32 RGB. */
  public static final int IMAGE_SIZE = 32;
  public static final int IMAGE_CHANNELS = 3;
  /** Float values of one image, [32, 32, 3] NHWC. */
  public static final int IMAGE_FLOATS = IMAGE_SIZE * IMAGE_SIZE * IMAGE_CHANNELS;
  /** The images entering the network: 3 x 32 x 32. */
  public static final Dims INPUT = new Dims(IMAGE_CHANNELS, IMAGE_SIZE, IMAGE_SIZE);
  /** What a layer names to read the network's input. */
  public static final String INPUT_NAME = "images";

  private final String name;
  private final Dims input;
  private final boolean classifier;
  private final List<Layer> layers;
  private final Map<String, Layer> byName = new HashMap<>();
  private final Map<String, Dims> outputs = new LinkedHashMap<>();
  private final Map<String, List<String>> consumers = new HashMap<>();

  /**
   * @param name what the network is called in files and figures ({@code alexnet}, {@code vgg})
   * @param layers in topological order; the last gives the logits, a vector
   * @throws IllegalArgumentException naming the first layer that does not fit
   */
  public Network(String name, List<Layer> layers) {
    this(name, INPUT, layers, true);
  }

  /**
   * A graph of layers from an input of any shape to an output of any shape, not necessarily a
   * classifier of CIFAR-10 images: what ONNX's operator tests import.
   *
   * @param input one sample's shape: C x H x W, or a vector
   * @throws IllegalArgumentException naming the first layer that does not fit
   */
  public static Network ofAnyShape(String name, Dims input, List<Layer> layers) {
    return new Network(name, input, layers, false);
  }

  private Network(String name, Dims input, List<Layer> layers, boolean classifier) {
    this.name = Objects.requireNonNull(name);
    this.input = Objects.requireNonNull(input);
    this.classifier = classifier;
    this.layers = List.copyOf(layers);
    if (this.layers.isEmpty()) {
      throw new IllegalArgumentException("a network needs at least one layer");
    }
    outputs.put(INPUT_NAME, input);
    for (Layer layer : this.layers) {
      if (outputs.containsKey(layer.name())) {
        throw new IllegalArgumentException("layer " + layer.name() + ": the name is used twice");
      }
      List<Dims> in = new ArrayList<>();
      for (String i : layer.inputs()) {
        Dims d = outputs.get(i);
        if (d == null) {
          throw new IllegalArgumentException("layer " + layer.name() + ": input " + i
              + " is not the network's input or an earlier layer");
        }
        in.add(d);
        consumers.computeIfAbsent(i, k -> new ArrayList<>()).add(layer.name());
      }
      if (in.isEmpty()) {
        throw new IllegalArgumentException("layer " + layer.name() + ": no input");
      }
      outputs.put(layer.name(), infer(layer, in));
      byName.put(layer.name(), layer);
    }
    outputs.remove(INPUT_NAME);
    if (classifier && !outputDims().flat()) {
      throw new IllegalArgumentException("layer " + output() + ": the logits must be a vector, got "
          + outputDims());
    }
  }

  /**
   * The output shape of {@code layer} reading {@code in} (one shape per input).
   *
   * @throws IllegalArgumentException naming the layer when it does not fit its input
   */
  public static Dims infer(Layer layer, List<Dims> in) {
    return layer.accept(new Inference("layer " + layer.name() + ": ", in.get(0), in));
  }

  /** A layer's output shape from its inputs' ({@code x} the first). */
  private record Inference(String where, Dims x, List<Dims> in) implements Layer.Visitor<Dims> {
    @Override
    public Dims conv(Layer.Conv c) {
      spatial(where, x);
      if (x.channels() != c.in()) {
        throw new IllegalArgumentException(where + "expects " + c.in() + " channels, gets "
            + x);
      }
      return pooled(where, c.out(), x, c.window(), false);
    }

    @Override
    public Dims maxPool(Layer.MaxPool p) {
      return pooled(where, x.channels(), spatial(where, x), undilated(where, p.window()),
          p.ceilMode());
    }

    @Override
    public Dims avgPool(Layer.AvgPool p) {
      return pooled(where, x.channels(), spatial(where, x), undilated(where, p.window()),
          p.ceilMode());
    }

    @Override
    public Dims globalAvgPool(Layer.GlobalAvgPool p) {
      return new Dims(spatial(where, x).channels(), 1, 1);
    }

    @Override
    public Dims relu(Layer.Relu r) {
      return x;
    }

    @Override
    public Dims leakyRelu(Layer.LeakyRelu r) {
      return x;
    }

    @Override
    public Dims sigmoid(Layer.Sigmoid g) {
      return x;
    }

    @Override
    public Dims hardSigmoid(Layer.HardSigmoid g) {
      return x;
    }

    @Override
    public Dims hardSwish(Layer.HardSwish g) {
      return x;
    }

    @Override
    public Dims erf(Layer.Erf e) {
      return x;
    }

    @Override
    public Dims clip(Layer.Clip c) {
      return x;
    }

    @Override
    public Dims batchNorm(Layer.BatchNorm b) {
      return expecting(b.channels());
    }

    @Override
    public Dims layerNorm(Layer.LayerNorm n) {
      return expecting(n.channels());
    }

    /** The input, which must have {@code channels} channels (a normalization's). */
    private Dims expecting(int channels) {
      if (x.channels() != channels) {
        throw new IllegalArgumentException(where + "expects " + channels + " channels, gets " + x);
      }
      return x;
    }

    @Override
    public Dims scale(Layer.Scale c) {
      spatial(where, x); // its parameter is PyTorch's [C, 1, 1]
      if (!Layer.Scale.NAME.matcher(c.name()).matches()) {
        // ONNX reads a Mul by a parameter of another name as a constant's
        throw new IllegalArgumentException(where + "a layer scale is named as PyTorch's "
            + "parameter: <module>.layer_scale or <module>.gamma");
      }
      if (x.channels() != c.channels()) {
        throw new IllegalArgumentException(where + "scales " + c.channels() + " channels, gets "
            + x);
      }
      return x;
    }

    @Override
    public Dims dropout(Layer.Dropout d) {
      return x;
    }

    @Override
    public Dims arithmetic(Layer.Arithmetic a) {
      Dims c = a.shape();
      boolean fits = c.flat() == x.flat() && (c.channels() == 1 || c.channels() == x.channels())
          && (c.height() == 1 || c.height() == x.height())
          && (c.width() == 1 || c.width() == x.width());
      if (!fits) {
        throw new IllegalArgumentException(where + "a " + c + " constant does not broadcast to "
            + x);
      }
      return x;
    }

    @Override
    public Dims add(Layer.Add a) {
      for (Dims d : in) {
        if (!d.equals(x)) {
          throw new IllegalArgumentException(where + "adds " + x + " and " + d);
        }
      }
      return x;
    }

    @Override
    public Dims elementwise(Layer.Elementwise e) {
      Dims a = in.get(0);
      Dims b = in.get(1);
      int c = broadcast(a.channels(), b.channels());
      int h = broadcast(a.height(), b.height());
      int w = broadcast(a.width(), b.width());
      if (a.flat() != b.flat() || c < 0 || h < 0 || w < 0) {
        throw new IllegalArgumentException(where + e.op().onnx() + " of " + a + " and " + b
            + ": the shapes do not broadcast");
      }
      if (e.op() == Layer.Arithmetic.Op.ADD && a.equals(b)) {
        // ONNX has one Add: it reads back as the Add layer, so a network holds that one
        throw new IllegalArgumentException(where + "an Add of two " + a + " outputs is an Add "
            + "layer, not an element-wise one");
      }
      return a.flat() ? Dims.vector(c) : new Dims(c, h, w);
    }

    /** The size two axes broadcast to: equal, or one of them 1; -1 when they do not. */
    private static int broadcast(int a, int b) {
      return a == b || b == 1 ? a : a == 1 ? b : -1;
    }

    @Override
    public Dims concat(Layer.Concat c) {
      return Network.concat(where, c.axis(), in);
    }

    @Override
    public Dims channelShuffle(Layer.ChannelShuffle c) {
      spatial(where, x);
      if (c.groups() < 1 || x.channels() % c.groups() != 0) {
        throw new IllegalArgumentException(where + "shuffles " + x.channels()
            + " channels in " + c.groups() + " groups, which do not divide them");
      }
      return x;
    }

    @Override
    public Dims channelSlice(Layer.ChannelSlice c) {
      if (c.from() < 0 || c.to() <= c.from() || c.to() > x.channels()) {
        throw new IllegalArgumentException(where + "takes channels [" + c.from() + ", " + c.to()
            + ") of " + x.channels());
      }
      if (c.from() == 0 && c.to() == x.channels()) {
        // ONNX reads such a slice as its input, so a network holding one would not read back
        throw new IllegalArgumentException(where + "takes all " + x.channels()
            + " channels: it is its input");
      }
      return new Dims(c.to() - c.from(), x.height(), x.width(), x.flat());
    }

    @Override
    public Dims flatten(Layer.Flatten f) {
      return Dims.vector(Math.toIntExact(x.size()));
    }

    @Override
    public Dims linear(Layer.Linear l) {
      if (x.channels() != l.in()) {
        throw new IllegalArgumentException(where + "expects " + (x.flat() ? "a vector of "
            + l.in() + " values" : l.in() + " channels") + ", gets " + x);
      }
      return new Dims(l.out(), x.height(), x.width(), x.flat());
    }
  }

  private static Window undilated(String where, Window w) {
    if (w.dilationH() != 1 || w.dilationW() != 1) {
      throw new IllegalArgumentException(where + "dilated pooling is not supported");
    }
    return w;
  }

  private static Dims spatial(String where, Dims x) {
    if (x.flat()) {
      throw new IllegalArgumentException(where + "needs channels x height x width, gets a vector"
          + " of " + x.channels());
    }
    return x;
  }

  private static Dims pooled(String where, int channels, Dims x, Window w, boolean ceil) {
    int h = w.outputHeight(x.height(), ceil);
    int wd = w.outputWidth(x.width(), ceil);
    if (h < 1 || wd < 1) {
      throw new IllegalArgumentException(where + "window " + w + " does not fit " + x);
    }
    return new Dims(channels, h, wd);
  }

  private static Dims concat(String where, int axis, List<Dims> in) {
    Dims x = in.get(0);
    if (axis != 1) {
      throw new IllegalArgumentException(where + "only concatenation along channels (axis 1)"
          + " is supported, got axis " + axis);
    }
    int channels = 0;
    for (Dims d : in) {
      if (d.flat() != x.flat() || d.height() != x.height() || d.width() != x.width()) {
        throw new IllegalArgumentException(where + "concatenates " + x + " and " + d);
      }
      channels += d.channels();
    }
    return new Dims(channels, x.height(), x.width(), x.flat());
  }

  public String name() {
    return name;
  }

  /** One sample's shape entering the network: {@link #INPUT} for CIFAR-10 classifiers. */
  public Dims input() {
    return input;
  }

  /** True when the output is a vector of logits (every network but {@link #ofAnyShape} ones). */
  public boolean classifier() {
    return classifier;
  }

  public List<Layer> layers() {
    return layers;
  }

  /** The layer named {@code name}, or null. */
  public Layer layer(String name) {
    return byName.get(name);
  }

  /** The last layer: its output is the logits. */
  public String output() {
    return layers.get(layers.size() - 1).name();
  }

  public Dims outputDims() {
    return outputs.get(output());
  }

  /** Output classes: the length of the logits. */
  public int classes() {
    return outputDims().channels();
  }

  /** Every layer's output shape, by name in layer order. */
  public Map<String, Dims> outputs() {
    return Collections.unmodifiableMap(outputs);
  }

  /** The shape of {@code name}'s output, or of the network's input. */
  public Dims dims(String name) {
    return name.equals(INPUT_NAME) ? input : outputs.get(name);
  }

  /** The shape entering each layer (its first input), by name in layer order. */
  public Map<String, Dims> inputs() {
    Map<String, Dims> in = new LinkedHashMap<>();
    for (Layer layer : layers) {
      in.put(layer.name(), dims(layer.inputs().get(0)));
    }
    return in;
  }

  /** The layers reading {@code name}'s output, in order. */
  public List<String> consumers(String name) {
    return consumers.getOrDefault(name, List.of());
  }

  /**
   * The representation a classifier reads: the output of the last Flatten, or of the layer before
   * the logits when there is none.
   */
  public String features() {
    for (int i = layers.size() - 1; i >= 0; i--) {
      if (layers.get(i) instanceof Layer.Flatten) {
        return layers.get(i).name();
      }
    }
    return layers.size() > 1 ? layers.get(layers.size() - 2).name() : INPUT_NAME;
  }

  /**
   * Where each convolution's block ends: after the chain of one-input, one-consumer layers that
   * follow it (its ReLU, batch norm, pooling), up to the next convolution, a join or a flatten.
   * The orthogonality of a block is measured there.
   */
  public Map<Layer.Conv, String> blocks() {
    Map<Layer.Conv, String> out = new LinkedHashMap<>();
    for (Layer.Conv c : convs()) {
      String end = c.name();
      while (consumers(end).size() == 1) {
        Layer next = byName.get(consumers(end).get(0));
        if (next instanceof Layer.Conv || next instanceof Layer.Flatten
            || next instanceof Layer.Linear || next.inputs().size() != 1) {
          break;
        }
        end = next.name();
      }
      out.put(c, end);
    }
    return out;
  }

  /** All convolutions, in order. */
  public List<Layer.Conv> convs() {
    return only(Layer.Conv.class);
  }

  public List<Layer.Linear> linears() {
    return only(Layer.Linear.class);
  }

  /** The batch norms, whose running statistics are variables but not trained. */
  public List<Layer.BatchNorm> batchNorms() {
    return only(Layer.BatchNorm.class);
  }

  private <T extends Layer> List<T> only(Class<T> kind) {
    return layers.stream().filter(kind::isInstance).map(kind::cast).toList();
  }

  /** Names and shapes (TensorFlow layout) of every trainable parameter, in PyTorch's order. */
  public List<Parameter> parameters() {
    var out = new ArrayList<Parameter>();
    for (Layer layer : layers) {
      if (layer instanceof Layer.Conv c) {
        Window w = c.window();
        out.add(new Parameter(c.weight(), Parameter.Kind.CONV_KERNEL,
            new long[] {w.kernelH(), w.kernelW(), c.in() / c.groups(), c.out()}));
        if (c.bias()) {
          out.add(Parameter.bias(c.biasName(), c.out()));
        }
      } else if (layer instanceof Layer.BatchNorm b) {
        out.add(new Parameter(b.weight(), Parameter.Kind.BN_GAMMA, new long[] {b.channels()}));
        out.add(new Parameter(b.biasName(), Parameter.Kind.BN_BETA, new long[] {b.channels()}));
      } else if (layer instanceof Layer.LayerNorm n && n.affine()) {
        out.add(new Parameter(n.weight(), Parameter.Kind.BN_GAMMA, new long[] {n.channels()}));
        out.add(new Parameter(n.biasName(), Parameter.Kind.BN_BETA, new long[] {n.channels()}));
      } else if (layer instanceof Layer.Scale c) {
        out.add(new Parameter(c.weight(), Parameter.Kind.SCALE, new long[] {c.channels()}));
      } else if (layer instanceof Layer.Linear l) {
        out.add(new Parameter(l.weight(), Parameter.Kind.LINEAR_WEIGHT,
            new long[] {l.in(), l.out()}));
        if (l.bias()) {
          out.add(Parameter.bias(l.biasName(), l.out()));
        }
      }
    }
    return out;
  }

  /** The same graph without its dropout layers (each consumer reads the dropout's input). */
  public Network withoutDropout() {
    Map<String, String> skip = new HashMap<>();
    List<Layer> kept = new ArrayList<>();
    for (Layer layer : layers) {
      if (layer instanceof Layer.Dropout d) {
        skip.put(d.name(), skip.getOrDefault(d.input(), d.input()));
      } else {
        kept.add(rebuild(layer, layer.name(), i -> skip.getOrDefault(i, i)));
      }
    }
    return new Network(name, input, kept, classifier);
  }

  /**
   * The same graph with every layer (and every input) renamed by {@code names}; the network's
   * input keeps its name.
   */
  public Network renamed(UnaryOperator<String> names) {
    UnaryOperator<String> map = i -> i.equals(INPUT_NAME) ? i : names.apply(i);
    return new Network(name, input, layers.stream()
        .map(l -> rebuild(l, names.apply(l.name()), map)).toList(), classifier);
  }

  /** {@code layer} called {@code name}, reading {@code map}'s image of each of its inputs. */
  private static Layer rebuild(Layer layer, String name, UnaryOperator<String> map) {
    return layer.accept(new Rebuild(name, map, map.apply(layer.inputs().get(0))));
  }

  /** A layer renamed, with its inputs renamed by {@code map} ({@code in}: its first). */
  private record Rebuild(String name, UnaryOperator<String> map, String in)
      implements Layer.Visitor<Layer> {
    @Override
    public Layer conv(Layer.Conv c) {
      return new Layer.Conv(name, in, c.in(), c.out(), c.window(), c.groups(), c.bias());
    }

    @Override
    public Layer maxPool(Layer.MaxPool p) {
      return new Layer.MaxPool(name, in, p.window(), p.ceilMode());
    }

    @Override
    public Layer avgPool(Layer.AvgPool p) {
      return new Layer.AvgPool(name, in, p.window(), p.ceilMode(), p.countIncludePad());
    }

    @Override
    public Layer globalAvgPool(Layer.GlobalAvgPool p) {
      return new Layer.GlobalAvgPool(name, in);
    }

    @Override
    public Layer relu(Layer.Relu r) {
      return new Layer.Relu(name, in);
    }

    @Override
    public Layer leakyRelu(Layer.LeakyRelu r) {
      return new Layer.LeakyRelu(name, in, r.alpha());
    }

    @Override
    public Layer sigmoid(Layer.Sigmoid g) {
      return new Layer.Sigmoid(name, in);
    }

    @Override
    public Layer hardSigmoid(Layer.HardSigmoid g) {
      return new Layer.HardSigmoid(name, in, g.alpha(), g.beta());
    }

    @Override
    public Layer hardSwish(Layer.HardSwish g) {
      return new Layer.HardSwish(name, in);
    }

    @Override
    public Layer erf(Layer.Erf e) {
      return new Layer.Erf(name, in);
    }

    @Override
    public Layer clip(Layer.Clip c) {
      return new Layer.Clip(name, in, c.min(), c.max());
    }

    @Override
    public Layer batchNorm(Layer.BatchNorm b) {
      return new Layer.BatchNorm(name, in, b.channels(), b.epsilon(), b.momentum(),
          b.runningVariance());
    }

    @Override
    public Layer layerNorm(Layer.LayerNorm n) {
      return new Layer.LayerNorm(name, in, n.channels(), n.epsilon(), n.affine());
    }

    @Override
    public Layer scale(Layer.Scale c) {
      return new Layer.Scale(name, in, c.channels());
    }

    @Override
    public Layer dropout(Layer.Dropout d) {
      return new Layer.Dropout(name, in, d.p());
    }

    @Override
    public Layer arithmetic(Layer.Arithmetic a) {
      return new Layer.Arithmetic(name, in, a.op(), a.shape(), a.values(), a.constantFirst());
    }

    @Override
    public Layer add(Layer.Add a) {
      return new Layer.Add(name, a.inputs().stream().map(map).toList());
    }

    @Override
    public Layer elementwise(Layer.Elementwise e) {
      return new Layer.Elementwise(name, map.apply(e.left()), map.apply(e.right()), e.op());
    }

    @Override
    public Layer concat(Layer.Concat c) {
      return new Layer.Concat(name, c.inputs().stream().map(map).toList(), c.axis());
    }

    @Override
    public Layer channelShuffle(Layer.ChannelShuffle c) {
      return new Layer.ChannelShuffle(name, in, c.groups());
    }

    @Override
    public Layer channelSlice(Layer.ChannelSlice c) {
      return new Layer.ChannelSlice(name, in, c.from(), c.to());
    }

    @Override
    public Layer flatten(Layer.Flatten f) {
      return new Layer.Flatten(name, in);
    }

    @Override
    public Layer linear(Layer.Linear l) {
      return new Layer.Linear(name, in, l.in(), l.out(), l.bias());
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Network n && name.equals(n.name) && input.equals(n.input)
        && classifier == n.classifier && layers.equals(n.layers);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + layers.hashCode();
  }

  @Override
  public String toString() {
    return name + " (" + layers.size() + " layers)";
  }
}
