package org.orthoinit.interop;

import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.orthoinit.interop.onnx.AttributeProto;
import org.orthoinit.interop.onnx.NodeProto;
import org.orthoinit.interop.onnx.TensorProto;
import org.orthoinit.interop.onnx.ValueInfoProto;
import org.orthoinit.model.Dims;
import org.orthoinit.model.Layer;
import org.orthoinit.model.Network;
import org.orthoinit.model.Parameter;
import org.orthoinit.model.Window;

/**
 * Reads the nodes of an ONNX graph into a {@link Network}: the inverse of {@link OnnxExport}, and
 * what {@code torch.onnx.export} writes for networks of the same layer kinds (Conv, MaxPool,
 * AveragePool, GlobalAveragePool, BatchNormalization, Dropout, Relu, Clip, Add, Sum, Concat,
 * Flatten, Gemm), with PyTorch's {@code x.view(x.size(0), -1)} (a Shape, Gather, Unsqueeze,
 * Concat chain into a Reshape) folded into a Flatten and its de-duplicating Identity nodes
 * followed. Weights come back in TensorFlow's layout.
 *
 * <p>Layers are named by their parameters ({@code features.9.weight} names {@code features.9}),
 * else by PyTorch's module path in the node name ({@code /features/features.2/Relu}), else by the
 * node name. Anything else is refused naming the node, its op and what is unsupported.
 */
public final class OnnxImport {

  /**
   * A network read from ONNX, its variables in TensorFlow's layout, and where in the file each
   * variable came from.
   *
   * @param model the file as read, for writing it back with new values
   * @param sources by variable name (parameters and running statistics), the tensor holding it
   * @param oneD true for a graph of [N, C, L] signals (any-shape imports only): inside, they are
   *     images of height 1, [N, C, 1, L]
   */
  public record Imported(Network network, Map<String, float[]> weights, OnnxModel model,
      Map<String, Source> sources, boolean oneD) {}

  /**
   * The tensor of the file a variable came from: an initializer or a Constant node's output.
   *
   * @param tensor its name in the file
   * @param transposed whether the file holds it transposed from PyTorch's layout (a Gemm
   *     weight without transB is [in, out])
   */
  public record Source(String tensor, boolean transposed, float factor, boolean broadcast) {
    /** A tensor held as it is, or transposed. */
    public Source(String tensor, boolean transposed) {
      this(tensor, transposed, 1f, false);
    }
  }

  /**
   * How to read a graph.
   *
   * @param classifier read a CIFAR-10 classifier to train and evaluate: input [N, 3, 32, 32],
   *     output [N, classes], dropout in training only whatever a training export says;
   *     otherwise a graph to evaluate as the file says: any [N, C, H, W], [N, C, L] or [N, F]
   *     input and any output of the supported layers
   * @param inputValues values for graph inputs that are weights rather than the data (ONNX's
   *     operator tests give a Conv's W as an input), by input name
   * @param runningVariance what batch norms move their running variance towards in training:
   *     PyTorch's unbiased batch variance (the default), or ONNX's population one
   */
  public record Options(boolean classifier, Map<String, TensorProto> inputValues,
      Layer.BatchNorm.RunningVariance runningVariance) {
    /** CIFAR-10 classifiers, their weights in the file, PyTorch's running variance. */
    public static final Options CLASSIFIER = new Options(true, Map.of());

    public Options {
      inputValues = Map.copyOf(inputValues);
      java.util.Objects.requireNonNull(runningVariance);
    }

    /** With PyTorch's running variance. */
    public Options(boolean classifier, Map<String, TensorProto> inputValues) {
      this(classifier, inputValues, Layer.BatchNorm.RunningVariance.UNBIASED);
    }
  }

  /** The highest opset whose operator definitions this importer knows (ONNX 1.12's). */
  public static final int MAX_OPSET = 17;

  /** An int64 tensor known at import time: shapes and indices; {@code BATCH} is the batch. */
  private record Static(long[] values, boolean scalar) {}

  /** Stands for the (dynamic) batch dimension inside folded shape values. */
  private static final long BATCH = Long.MIN_VALUE;

  private final Path file;
  private final OnnxModel model;
  private final Options options;
  private final long opset;
  /** The graph's tensors are [N, C, L] signals, held as [N, C, 1, L]. */
  private boolean oneD;
  /** Initializers and given inputs of types no handler reads, by name: for clear refusals. */
  private final Map<String, String> otherTypes = new HashMap<>();
  /** Float tensors known at import: initializers, Constant outputs and their Identity aliases. */
  private final Map<String, OnnxModel.Weight> constants = new HashMap<>();
  private final Map<String, Static> statics = new HashMap<>();
  /** A tensor name -> the layer whose output it is (or the network's input). */
  private final Map<String, String> producers = new HashMap<>();
  /** Each layer's output shape (and the input's). */
  private final Map<String, Dims> dimsByLayer = new HashMap<>();
  private final List<Layer> layers = new ArrayList<>();
  private final Set<String> names = new HashSet<>();
  /** Parameter values in PyTorch's layout, by the names the network gives them. */
  private final Map<String, float[]> torch = new LinkedHashMap<>();
  /** Each variable's tensor in the file. */
  private final Map<String, Source> sources = new LinkedHashMap<>();
  /** A float constant's name (or its Identity alias's) -> the tensor of the file holding it. */
  private final Map<String, String> origins = new HashMap<>();
  /** Float constants that hold their origin's transpose. */
  private final Set<String> flipped = new HashSet<>();

  private OnnxImport(OnnxModel model, Options options) {
    this.file = model.file();
    this.model = model;
    this.options = options;
    this.opset = model.opsetVersion();
  }

  /** Reads {@code file}, a CIFAR-10 classifier. */
  public static Imported read(Path file) throws InteropException {
    return read(OnnxModel.read(file));
  }

  /** Reads an already parsed classifier (its file names it in errors). */
  public static Imported read(OnnxModel model) throws InteropException {
    return read(model, Options.CLASSIFIER);
  }

  /** Reads an already parsed model as {@code options} say. */
  public static Imported read(OnnxModel model, Options options) throws InteropException {
    return new OnnxImport(model, options).run();
  }

  private Imported run() throws InteropException {
    if (opset < 1 || opset > MAX_OPSET) {
      throw new InteropException(file, "opset " + opset + " is outside the opsets whose "
          + "operators this importer knows (1 to " + MAX_OPSET + ", ONNX 1.12)");
    }
    Set<String> initializers = new HashSet<>();
    for (TensorProto t : model.proto().getGraph().getInitializerList()) {
      if (!initializers.add(t.getName())) {
        throw new InteropException(file, "initializer '" + t.getName() + "' appears twice");
      }
      known(t, "initializer");
    }
    for (Map.Entry<String, TensorProto> e : options.inputValues().entrySet()) {
      known(e.getValue().toBuilder().setName(e.getKey()).build(), "input");
    }
    String input = input();
    producers.put(input, Network.INPUT_NAME);
    Dims in = inputDims(input);
    dimsByLayer.put(Network.INPUT_NAME, in);
    names.add(Network.INPUT_NAME);
    String output = output();
    List<NodeProto> nodes = model.proto().getGraph().getNodeList();
    for (int i = 0; i < nodes.size(); i++) {
      NodeProto node = nodes.get(i);
      try {
        node(node, i);
      } catch (IllegalArgumentException | ArithmeticException e) {
        throw refuse(node, e.getMessage());
      }
    }
    String last = producers.get(output);
    if (last == null || last.equals(Network.INPUT_NAME)) {
      throw new InteropException(file, "the graph output '" + output
          + "' is not computed by any supported node");
    }
    if (layers.isEmpty() || !layers.get(layers.size() - 1).name().equals(last)) {
      throw new InteropException(file, "the graph output '" + output
          + "' is not the last layer's output (nodes after it compute nothing used)");
    }
    Network network;
    String name = model.proto().getGraph().getName().isEmpty() ? "network"
        : sanitize(model.proto().getGraph().getName());
    try {
      network = options.classifier() ? new Network(name, layers)
          : Network.ofAnyShape(name, in, layers);
    } catch (IllegalArgumentException e) {
      throw new InteropException(file, e.getMessage());
    }
    Map<String, float[]> weights = new LinkedHashMap<>();
    for (Parameter p : network.parameters()) {
      weights.put(p.name(), Layouts.toTensorFlow(p, torch.get(p.name())));
    }
    for (Layer.BatchNorm bn : network.batchNorms()) {
      weights.put(bn.runningMean(), torch.get(bn.runningMean()));
      weights.put(bn.runningVar(), torch.get(bn.runningVar()));
    }
    return new Imported(network, weights, model, Map.copyOf(sources), oneD);
  }

  /** Files an initializer or a given input by its type: float, int64 or bool, else other. */
  private void known(TensorProto t, String what) throws InteropException {
    String name = t.getName();
    switch (t.getDataType()) {
      case TensorProto.DataType.FLOAT_VALUE -> {
        constants.put(name, model.decodeFloat(t));
        origins.put(name, name);
      }
      case TensorProto.DataType.INT64_VALUE -> statics.put(name, new Static(int64s(what + " '"
          + name + "'", t), t.getDimsCount() == 0));
      case TensorProto.DataType.BOOL_VALUE -> statics.put(name, new Static(bools(what + " '"
          + name + "'", t), t.getDimsCount() == 0));
      default -> {
        TensorProto.DataType type = TensorProto.DataType.forNumber(t.getDataType());
        otherTypes.put(name, type == null ? "type " + t.getDataType() : type.name());
      }
    }
  }

  /** The graph's one input that is neither an initializer nor given: the data. */
  private String input() throws InteropException {
    List<String> inputs = new ArrayList<>();
    for (ValueInfoProto v : model.proto().getGraph().getInputList()) {
      String name = v.getName();
      if (!constants.containsKey(name) && !statics.containsKey(name)
          && !otherTypes.containsKey(name)) {
        inputs.add(name);
      }
    }
    if (inputs.size() != 1) {
      throw new InteropException(file, "expected one " + (options.classifier() ? "image " : "")
          + "input (the others initializers), found " + inputs.size() + " " + inputs);
    }
    return inputs.get(0);
  }

  /**
   * One sample's shape: float [N, 3, 32, 32] for classifiers; else float [N, C, H, W] or [N, F]
   * of known sizes.
   */
  private Dims inputDims(String input) throws InteropException {
    long[] shape = model.inputShape(input);
    if (options.classifier()) {
      long[] want = {Network.IMAGE_CHANNELS, Network.IMAGE_SIZE, Network.IMAGE_SIZE};
      if (shape.length != 4 || !Arrays.equals(Arrays.copyOfRange(shape, 1, 4), want)) {
        throw new InteropException(file, "input '" + input + "' has shape "
            + Arrays.toString(shape) + ", expected [N, 3, 32, 32] (CIFAR-10 images, NCHW)");
      }
    }
    for (ValueInfoProto v : model.proto().getGraph().getInputList()) {
      if (v.getName().equals(input)
          && v.getType().getTensorType().getElemType() != TensorProto.DataType.FLOAT_VALUE) {
        TensorProto.DataType type = TensorProto.DataType.forNumber(
            v.getType().getTensorType().getElemType());
        throw new InteropException(file, "input '" + input + "' is of type "
            + (type == null ? "unknown" : type.name()) + ", expected FLOAT");
      }
    }
    boolean known = shape.length >= 2;
    for (int i = 1; i < shape.length; i++) {
      known &= shape[i] >= 1 && shape[i] <= MAX_DIM;
    }
    if (!known || shape.length < 2 || shape.length > 4) {
      throw new InteropException(file, "input '" + input + "' has shape "
          + Arrays.toString(shape) + ", expected [N, C, H, W] images, [N, C, L] signals or"
          + " [N, F] vectors of known sizes (at most " + MAX_DIM + ")");
    }
    long values = 1;
    for (int i = 1; i < shape.length; i++) {
      values *= shape[i];
    }
    if (values > MAX_SAMPLE) {
      throw new InteropException(file, "input '" + input + "' has shape "
          + Arrays.toString(shape) + ": " + values + " values per sample, more than "
          + MAX_SAMPLE);
    }
    oneD = shape.length == 3;
    return shape.length == 2 ? Dims.vector((int) shape[1])
        : oneD ? new Dims((int) shape[1], 1, (int) shape[2])
        : new Dims((int) shape[1], (int) shape[2], (int) shape[3]);
  }

  /** The most values of one sample accepted from a file (2^28, a GiB of float32). */
  private static final long MAX_SAMPLE = 1L << 28;

  /** The largest size of one axis of one sample accepted from a file. */
  private static final long MAX_DIM = 1 << 20;

  private String output() throws InteropException {
    List<ValueInfoProto> outputs = model.proto().getGraph().getOutputList();
    if (outputs.size() != 1) {
      throw new InteropException(file, "expected one output (the logits), found "
          + outputs.size());
    }
    return outputs.get(0).getName();
  }

  /** Reads one node of an op at the since-version of its definition in the model's opset. */
  @FunctionalInterface
  private interface Handler {
    void read(OnnxImport importer, NodeProto n, int index, int since) throws InteropException;
  }

  /**
   * An op this importer reads: the opset versions its definition changed in (ONNX's
   * since-versions, up to {@link #MAX_OPSET}) and the handler, which reads each of them.
   */
  private record Op(int[] since, Handler handler) {
    /** The since-version in effect at {@code opset}: the newest not after it. */
    int at(long opset) {
      int version = -1;
      for (int v : since) {
        if (v <= opset) {
          version = v;
        }
      }
      return version;
    }
  }

  private static Map.Entry<String, Op> op(String type, Handler handler, int... since) {
    return Map.entry(type, new Op(since, handler));
  }

  /** The registry: every op read, keyed by op type, with its since-versions. */
  private static final Map<String, Op> OPS = Map.ofEntries(
      op("Constant", (im, n, i, v) -> im.constant(n), 1, 9, 11, 12, 13),
      op("Identity", (im, n, i, v) -> im.identity(n), 1, 13, 14, 16),
      op("Shape", (im, n, i, v) -> im.shape(n, v), 1, 13, 15),
      op("Gather", (im, n, i, v) -> im.gather(n), 1, 11, 13),
      op("Unsqueeze", (im, n, i, v) -> im.unsqueeze(n, v), 1, 11, 13),
      op("Slice", (im, n, i, v) -> im.slice(n, v), 1, 10, 11, 13),
      op("Transpose", (im, n, i, v) -> im.transpose(n), 1, 13),
      op("Conv", OnnxImport::conv, 1, 11),
      op("MaxPool", OnnxImport::maxPool, 1, 8, 10, 11, 12),
      op("AveragePool", OnnxImport::avgPool, 1, 7, 10, 11),
      op("GlobalAveragePool", (im, n, i, v) -> im.add(n, i, new Layer.GlobalAvgPool(
          im.name(n, i, null), im.layerInput(n, 0))), 1),
      op("BatchNormalization", OnnxImport::batchNorm, 1, 6, 7, 9, 14, 15),
      op("Dropout", OnnxImport::dropout, 1, 6, 7, 10, 12, 13),
      op("Relu", (im, n, i, v) -> im.add(n, i, new Layer.Relu(im.name(n, i, null),
          im.layerInput(n, 0))), 1, 6, 13, 14),
      op("LeakyRelu", (im, n, i, v) -> im.add(n, i, new Layer.LeakyRelu(im.name(n, i, null),
          im.layerInput(n, 0), im.floatAttr(n, "alpha", 0.01f))), 1, 6, 16),
      op("Sigmoid", (im, n, i, v) -> im.add(n, i, new Layer.Sigmoid(im.name(n, i, null),
          im.layerInput(n, 0))), 1, 6, 13),
      op("Clip", OnnxImport::clip, 1, 6, 11, 12, 13),
      op("Add", (im, n, i, v) -> im.arithmetic(n, i, v, Layer.Arithmetic.Op.ADD),
          1, 6, 7, 13, 14),
      op("Sub", (im, n, i, v) -> im.arithmetic(n, i, v, Layer.Arithmetic.Op.SUB),
          1, 6, 7, 13, 14),
      op("Mul", (im, n, i, v) -> im.arithmetic(n, i, v, Layer.Arithmetic.Op.MUL),
          1, 6, 7, 13, 14),
      op("Div", (im, n, i, v) -> im.arithmetic(n, i, v, Layer.Arithmetic.Op.DIV),
          1, 6, 7, 13, 14),
      op("Sum", (im, n, i, v) -> im.sum(n, i), 1, 6, 8, 13),
      op("Concat", OnnxImport::concat, 1, 4, 11, 13),
      op("Flatten", OnnxImport::flatten, 1, 9, 11, 13),
      op("Reshape", OnnxImport::reshape, 5, 13, 14),
      op("Pad", (im, n, i, v) -> im.pad(n, v), 2, 11, 13),
      op("Gemm", OnnxImport::gemm, 1, 6, 7, 9, 11, 13),
      op("MatMul", OnnxImport::matMul, 1, 9, 13));

  /** The op types the importer reads, sorted. */
  public static List<String> supportedOps() {
    return OPS.keySet().stream().sorted().toList();
  }

  /** Reads one node: a layer, a folded constant, or an alias. */
  private void node(NodeProto n, int index) throws InteropException {
    if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")) {
      throw refuse(n, "operators of domain '" + n.getDomain() + "' are not supported");
    }
    if (n.getOutputCount() < 1 || n.getOutput(0).isEmpty()) {
      throw refuse(n, "it has no output");
    }
    Op op = OPS.get(n.getOpType());
    if (op == null) {
      throw refuse(n, "this op is not supported");
    }
    int since = op.at(opset);
    if (since < 0) {
      throw refuse(n, "only its definitions since opset " + op.since()[0] + " are supported");
    }
    op.handler().read(this, n, index, since);
  }

  private InteropException refuse(NodeProto n, String why) {
    return new InteropException(file, describe(n) + ": " + why);
  }

  /** {@code node 'name' (Op, opset N)}, or the node's index when it has no name. */
  private String describe(NodeProto n) {
    String name = n.getName().isEmpty() ? "#" + model.proto().getGraph().getNodeList().indexOf(n)
        : "'" + n.getName() + "'";
    return "node " + name + " (" + n.getOpType() + ", opset " + opset + ")";
  }

  // ---- layers ----

  private void add(NodeProto n, int index, Layer layer) throws InteropException {
    for (int i = 1; i < n.getOutputCount(); i++) {
      if (!n.getOutput(i).isEmpty() && used(n.getOutput(i))) {
        throw refuse(n, "its output #" + i + " (" + n.getOutput(i) + ") is used, which is not"
            + " supported");
      }
    }
    List<Dims> in = new ArrayList<>();
    for (String i : layer.inputs()) {
      in.add(dimsOf(i));
    }
    dimsByLayer.put(layer.name(), Network.infer(layer, in));
    layers.add(layer);
    names.add(layer.name());
    producers.put(n.getOutput(0), layer.name());
  }

  private Dims dimsOf(String layer) {
    return dimsByLayer.get(layer);
  }

  private boolean used(String tensor) {
    for (NodeProto m : model.proto().getGraph().getNodeList()) {
      if (m.getInputList().contains(tensor)) {
        return true;
      }
    }
    for (ValueInfoProto v : model.proto().getGraph().getOutputList()) {
      if (v.getName().equals(tensor)) {
        return true;
      }
    }
    return false;
  }

  private void conv(NodeProto n, int index, int since) throws InteropException {
    String in = layerInput(n, 0);
    Dims x = dimsOf(in);
    OnnxModel.Weight w = weight(n, 1);
    if (w.rank() != (oneD ? 3 : 4)) {
      throw refuse(n, "weight " + w.name() + " has shape " + Arrays.toString(w.dims())
          + ", expected " + (oneD ? "[out, in / groups, k] (a 1-D graph)"
          : "[out, in / groups, kh, kw] (1-D and 2-D convolutions are supported)"));
    }
    int groups = (int) intAttr(n, "group", 1);
    int out = Math.toIntExact(w.dims()[0]);
    int kh = oneD ? 1 : Math.toIntExact(w.dims()[2]);
    int kw = Math.toIntExact(w.dims()[oneD ? 2 : 3]);
    long[] kernel = planar(ints(n, "kernel_shape", oneD ? new long[] {kw}
        : new long[] {kh, kw}), 1);
    if (kernel == null || !Arrays.equals(kernel, new long[] {kh, kw})) {
      throw refuse(n, "kernel_shape " + Arrays.toString(kernel) + " does not match weight "
          + Arrays.toString(w.dims()));
    }
    if (x.flat() || w.dims()[1] * groups != x.channels()) {
      throw refuse(n, "weight " + Arrays.toString(w.dims()) + " with group " + groups
          + " does not fit its input " + x);
    }
    Window window = window(n, x, kh, kw, true);
    String name = name(n, index, w.name());
    boolean bias = n.getInputCount() > 2 && !n.getInput(2).isEmpty();
    Layer.Conv c = new Layer.Conv(name, in, x.channels(), out, window, groups, bias);
    keep(c.weight(), n, 1, w.values(), false);
    if (bias) {
      keep(c.biasName(), n, 2, vector(n, 2, out), false);
    }
    add(n, index, c);
  }

  private void maxPool(NodeProto n, int index, int since) throws InteropException {
    if (intAttr(n, "storage_order", 0) != 0) {
      throw refuse(n, "storage_order 1 is not supported");
    }
    String in = layerInput(n, 0);
    long[] k = kernelShape(n);
    Window w = window(n, dimsOf(in), (int) k[0], (int) k[1], true);
    add(n, index, new Layer.MaxPool(name(n, index, null), in, w,
        intAttr(n, "ceil_mode", 0) != 0));
  }

  private void avgPool(NodeProto n, int index, int since) throws InteropException {
    String in = layerInput(n, 0);
    long[] k = kernelShape(n);
    Window w = window(n, dimsOf(in), (int) k[0], (int) k[1], false);
    add(n, index, new Layer.AvgPool(name(n, index, null), in, w,
        intAttr(n, "ceil_mode", 0) != 0, intAttr(n, "count_include_pad", 0) != 0));
  }

  private long[] kernelShape(NodeProto n) throws InteropException {
    long[] k = planar(ints(n, "kernel_shape", null), 1);
    if (k == null || k.length != 2 || k[0] < 1 || k[1] < 1 || k[0] > Integer.MAX_VALUE
        || k[1] > Integer.MAX_VALUE) {
      throw refuse(n, "kernel_shape must be two positive sizes, got "
          + (k == null ? "none" : Arrays.toString(k)));
    }
    return k;
  }

  /**
   * A window attribute as 2-D: itself in a 2-D graph; in a 1-D one, {@code [fill, v]} from its
   * one value (the height axis being 1). Null when it has the wrong length.
   */
  private long[] planar(long[] values, long fill) {
    if (values == null || !oneD) {
      return values;
    }
    return values.length == 1 ? new long[] {fill, values[0]} : null;
  }

  /** ONNX pads [begin..., end...] as 2-D [top, left, bottom, right]; null when malformed. */
  private long[] planarPads(long[] pads) {
    if (!oneD) {
      return pads;
    }
    return pads.length == 2 ? new long[] {0, pads[0], 0, pads[1]} : null;
  }

  /** A 2-D window from strides, pads (or auto_pad), dilations. */
  private Window window(NodeProto n, Dims x, int kh, int kw, boolean dilations)
      throws InteropException {
    if (x.flat()) {
      throw refuse(n, "its input is a vector of " + x.channels() + ", not an image");
    }
    long[] ones = oneD ? new long[] {1} : new long[] {1, 1};
    long[] strides = planar(ints(n, "strides", ones), 1);
    long[] dil = dilations ? planar(ints(n, "dilations", ones), 1) : new long[] {1, 1};
    long[] pads = planarPads(ints(n, "pads", oneD ? new long[2] : new long[4]));
    if (strides == null || dil == null || pads == null || strides.length != 2
        || dil.length != 2 || pads.length != 4) {
      throw refuse(n, "only " + (oneD ? "1-D windows in a 1-D graph" : "2-D windows")
          + " are supported (strides " + Arrays.toString(ints(n, "strides", null)) + ", pads "
          + Arrays.toString(ints(n, "pads", null)) + ")");
    }
    String auto = stringAttr(n, "auto_pad", "NOTSET");
    if (!auto.equals("NOTSET")) {
      long[] size = {x.height(), x.width()};
      long[] kernel = {kh, kw};
      for (int a = 0; a < 2; a++) {
        long extent = dil[a] * (kernel[a] - 1) + 1;
        long total = switch (auto) {
          case "VALID" -> 0;
          case "SAME_UPPER", "SAME_LOWER" ->
              Math.max(0, ((size[a] + strides[a] - 1) / strides[a] - 1) * strides[a] + extent
                  - size[a]);
          default -> throw refuse(n, "auto_pad " + auto + " is not an ONNX setting");
        };
        long before = auto.equals("SAME_LOWER") ? total - total / 2 : total / 2;
        pads[a] = before;
        pads[a + 2] = total - before;
      }
    }
    // ONNX pads: [top, left, bottom, right]
    return new Window(kh, kw, Math.toIntExact(strides[0]), Math.toIntExact(strides[1]),
        Math.toIntExact(pads[0]), Math.toIntExact(pads[1]), Math.toIntExact(pads[2]),
        Math.toIntExact(pads[3]), Math.toIntExact(dil[0]), Math.toIntExact(dil[1]));
  }

  /**
   * Batch norm. Before opset 9 only the spatial form (one statistic per channel) is read. A
   * training_mode export (opset 14 on) is read when its running-statistics outputs are unused:
   * the network normalizes with batch statistics in training and with the running ones in
   * evaluation, whatever the export was made in.
   */
  private void batchNorm(NodeProto n, int index, int since) throws InteropException {
    if (since < 9 && intAttr(n, "spatial", 1) != 1) {
      throw refuse(n, "spatial 0 (statistics per value, not per channel) is not supported");
    }
    String in = layerInput(n, 0);
    Dims x = dimsOf(in);
    OnnxModel.Weight scale = weight(n, 1);
    String name = name(n, index, scale.name());
    Layer.BatchNorm bn = new Layer.BatchNorm(name, in, x.channels(),
        floatAttr(n, "epsilon", 1e-5f), complement(floatAttr(n, "momentum", 0.9f)),
        options.runningVariance());
    keep(bn.weight(), n, 1, vector(n, 1, x.channels()), false);
    keep(bn.biasName(), n, 2, vector(n, 2, x.channels()), false);
    keep(bn.runningMean(), n, 3, vector(n, 3, x.channels()), false);
    keep(bn.runningVar(), n, 4, vector(n, 4, x.channels()), false);
    add(n, index, bn);
  }

  /**
   * PyTorch's momentum from ONNX's (which weighs the running value: 1 - PyTorch's), as the
   * shortest decimal that gives it back, so 0.9 reads as 0.1 and not 0.100000024.
   */
  static float complement(float onnx) {
    float exact = 1f - onnx;
    for (int digits = 1; digits <= 9; digits++) {
      float p = new BigDecimal(exact).round(new MathContext(digits)).floatValue();
      if (1f - p == onnx) {
        return p;
      }
    }
    return exact;
  }

  /**
   * A Dropout of its ratio. A training_mode input (training exports) must be known at import;
   * whatever it says, the network drops out in training and not in evaluation, as PyTorch's
   * module does.
   */
  private void dropout(NodeProto n, int index, int since) throws InteropException {
    String in = layerInput(n, 0);
    float p = since < 12 ? floatAttr(n, "ratio", 0.5f) : 0.5f;
    if (since >= 12 && n.getInputCount() > 1 && !n.getInput(1).isEmpty()) {
      p = scalar(n, 1);
    }
    if (n.getInputCount() > 2 && !n.getInput(2).isEmpty() && !isStatic(n.getInput(2))) {
      throw refuse(n, "its training_mode '" + n.getInput(2) + "' is not known at import");
    }
    boolean training = n.getInputCount() > 2 && !n.getInput(2).isEmpty()
        && statics.get(n.getInput(2)).values().length == 1
        && statics.get(n.getInput(2)).values()[0] != 0;
    if (!options.classifier() && training && p > 0) {
      // read to be evaluated as the file says: its output would be random
      throw refuse(n, "training_mode true with ratio " + p + " drops values at random, which "
          + "an evaluation does not reproduce");
    }
    add(n, index, new Layer.Dropout(name(n, index, null), in, p));
  }

  /** Clip: min and max are attributes before opset 11, optional inputs from it. */
  private void clip(NodeProto n, int index, int since) throws InteropException {
    String in = layerInput(n, 0);
    float min = Float.NEGATIVE_INFINITY;
    float max = Float.POSITIVE_INFINITY;
    if (since < 11) {
      min = floatAttr(n, "min", min);
      max = floatAttr(n, "max", max);
    } else {
      if (n.getInputCount() > 1 && !n.getInput(1).isEmpty()) {
        min = scalar(n, 1);
      }
      if (n.getInputCount() > 2 && !n.getInput(2).isEmpty()) {
        max = scalar(n, 2);
      }
    }
    add(n, index, new Layer.Clip(name(n, index, null), in, min, max));
  }

  /**
   * Add, Sub, Mul or Div of a layer's output and a float constant that broadcasts to it over
   * the batch (a normalization's mean, a scale), or the sum of two layers' outputs. Before
   * opset 7, legacy broadcasting (broadcast 1) is refused.
   */
  private void arithmetic(NodeProto n, int index, int since, Layer.Arithmetic.Op op)
      throws InteropException {
    if (since < 7 && intAttr(n, "broadcast", 0) != 0) {
      throw refuse(n, "legacy broadcasting (broadcast 1) is not supported");
    }
    if (n.getInputCount() != 2) {
      throw refuse(n, "it has " + n.getInputCount() + " inputs, expected 2");
    }
    boolean first = constants.containsKey(n.getInput(0));
    boolean second = constants.containsKey(n.getInput(1));
    if (!first && !second) {
      if (op != Layer.Arithmetic.Op.ADD) {
        throw refuse(n, "only by a constant: two layers' outputs combined by " + op
            + " are not supported");
      }
      add(n, index, new Layer.Add(name(n, index, null), layerInputs(n)));
      return;
    }
    if (first && second) {
      throw refuse(n, "both inputs are constants, which is not supported");
    }
    String in = layerInput(n, first ? 1 : 0);
    OnnxModel.Weight c = constants.get(n.getInput(first ? 0 : 1));
    Dims x = dimsOf(in);
    long[] own = x.flat() ? new long[] {x.channels()}
        : oneD ? new long[] {x.channels(), x.width()}
        : new long[] {x.channels(), x.height(), x.width()};
    long[] dims = c.dims();
    int extra = dims.length - own.length;
    if (extra > 1 || (extra == 1 && dims[0] != 1)) {
      throw refuse(n, "constant '" + c.name() + "' of shape " + Arrays.toString(dims)
          + " spans the batch of its input " + x + ", which is not supported");
    }
    long[] aligned = new long[own.length];
    for (int i = 0; i < own.length; i++) {
      int j = dims.length - own.length + i;
      aligned[i] = j < 0 ? 1 : dims[j];
      if (aligned[i] != 1 && aligned[i] != own[i]) {
        throw refuse(n, "constant '" + c.name() + "' of shape " + Arrays.toString(dims)
            + " does not broadcast to its input " + x);
      }
    }
    Dims shape = x.flat() ? Dims.vector((int) aligned[0])
        : oneD ? new Dims((int) aligned[0], 1, (int) aligned[1])
        : new Dims((int) aligned[0], (int) aligned[1], (int) aligned[2]);
    add(n, index, new Layer.Arithmetic(name(n, index, null), in, op, shape, c.values(), first));
  }

  /** The sum of two or more layers' outputs; of one, that output itself. */
  private void sum(NodeProto n, int index) throws InteropException {
    if (n.getInputCount() == 1) {
      producers.put(n.getOutput(0), layerInput(n, 0));
      return;
    }
    add(n, index, new Layer.Add(name(n, index, null), layerInputs(n)));
  }

  private void concat(NodeProto n, int index, int since) throws InteropException {
    if (n.getInputList().stream().allMatch(this::isStatic)) {
      List<Long> values = new ArrayList<>();
      for (String i : n.getInputList()) {
        for (long v : statics.get(i).values()) {
          values.add(v);
        }
      }
      statics.put(n.getOutput(0), new Static(values.stream().mapToLong(Long::longValue)
          .toArray(), false));
      return;
    }
    if (n.getInputCount() == 1) {
      producers.put(n.getOutput(0), layerInput(n, 0)); // torch.cat([x]): x itself
      return;
    }
    List<String> in = layerInputs(n);
    boolean flat = dimsOf(in.get(0)).flat();
    long axis = intAttr(n, "axis", 1);
    int rank = flat ? 2 : oneD ? 3 : 4;
    add(n, index, new Layer.Concat(name(n, index, null), in,
        Math.toIntExact(axis < 0 ? axis + rank : axis)));
  }

  private void flatten(NodeProto n, int index, int since) throws InteropException {
    long axis = intAttr(n, "axis", 1);
    int rank = dimsOf(layerInput(n, 0)).flat() ? 2 : oneD ? 3 : 4;
    if ((axis < 0 ? axis + rank : axis) != 1) {
      throw refuse(n, "only axis 1 (keep the batch) is supported, got " + axis);
    }
    add(n, index, new Layer.Flatten(name(n, index, null), layerInput(n, 0)));
  }

  /**
   * A Reshape to [N, C H W] (0, -1 or the batch first) is a flatten, one to the shape it has
   * its input; others are refused. From opset 14, allowzero 1 makes a 0 a size, not a copy.
   */
  private void reshape(NodeProto n, int index, int since) throws InteropException {
    String in = layerInput(n, 0);
    if (n.getInputCount() < 2 || !isStatic(n.getInput(1))) {
      throw refuse(n, "its target shape is not known at import");
    }
    long[] target = statics.get(n.getInput(1)).values();
    Dims d = dimsOf(in);
    if (since >= 14 && intAttr(n, "allowzero", 0) != 0) {
      for (long t : target) {
        if (t == 0) {
          throw refuse(n, "allowzero 1 with a size of 0 (an empty tensor) is not supported");
        }
      }
    }
    long[] own = d.flat() ? new long[] {d.channels()}
        : oneD ? new long[] {d.channels(), d.width()}
        : new long[] {d.channels(), d.height(), d.width()};
    if (target.length == own.length + 1 && (target[0] == BATCH || target[0] == 0
        || target[0] == -1)) {
      boolean same = true;
      int unknown = 0;
      for (int i = 0; i < own.length; i++) {
        unknown += target[i + 1] == -1 ? 1 : 0;
        same &= target[i + 1] == own[i] || target[i + 1] == 0 || target[i + 1] == -1;
      }
      if (same && unknown + (target[0] == -1 ? 1 : 0) <= 1) {
        producers.put(n.getOutput(0), in); // the shape it has
        return;
      }
    }
    long size = d.size();
    boolean batchFirst = target.length == 2
        && (target[0] == BATCH || target[0] == 0 || target[0] == -1);
    boolean flattens = batchFirst && (target[1] == -1 || target[1] == size)
        && !(target[0] == -1 && target[1] == -1);
    if (!flattens) {
      throw refuse(n, "only a reshape to [N, " + size + "] (a flatten) is supported, got "
          + describe(target));
    }
    add(n, index, new Layer.Flatten(name(n, index, null), in));
  }

  /**
   * A Pad that pads nothing (PyTorch writes one before some average pools) is its input; any
   * other is refused.
   */
  private void pad(NodeProto n, int since) throws InteropException {
    String in = layerInput(n, 0);
    if (!stringAttr(n, "mode", "constant").equals("constant")) {
      throw refuse(n, "only constant padding is supported");
    }
    long[] pads;
    if (since < 11) {
      pads = ints(n, "pads", new long[0]);
    } else if (n.getInputCount() < 2 || !isStatic(n.getInput(1))) {
      throw refuse(n, "its pads are not known at import");
    } else {
      pads = statics.get(n.getInput(1)).values();
    }
    for (long p : pads) {
      if (p != 0) {
        throw refuse(n, "only a Pad of zeros everywhere (none) is supported, got "
            + describe(pads));
      }
    }
    producers.put(n.getOutput(0), in);
  }

  /**
   * Gemm: alpha A B^(transB) + beta C for A a layer's output [N, in], B and C constants. alpha
   * and beta are taken into the parameters (the weight is alpha B, the bias beta C, and the file
   * gets the values back divided by them); a bias of one value for all outputs ([] or [1]) is
   * spread to each. transA would transpose the batch and is refused.
   */
  private void gemm(NodeProto n, int index, int since) throws InteropException {
    if (intAttr(n, "transA", 0) != 0) {
      throw refuse(n, "transA 1 transposes the batch axis, which is not supported");
    }
    if (since < 7 && intAttr(n, "broadcast", since < 6 ? 0 : 1) == 0
        && n.getInputCount() > 2) {
      throw refuse(n, "broadcast 0 (a bias per sample) is not supported");
    }
    float alpha = floatAttr(n, "alpha", 1f);
    float beta = floatAttr(n, "beta", 1f);
    if (alpha == 0f || !Float.isFinite(alpha) || !Float.isFinite(beta)) {
      throw refuse(n, "alpha " + alpha + " and beta " + beta + " must be finite, alpha not 0");
    }
    String in = layerInput(n, 0);
    Dims x = dimsOf(in);
    OnnxModel.Weight w = weight(n, 1);
    boolean transB = intAttr(n, "transB", 0) != 0;
    if (w.rank() != 2) {
      throw refuse(n, "weight " + w.name() + " has shape " + Arrays.toString(w.dims()));
    }
    int out = Math.toIntExact(transB ? w.dims()[0] : w.dims()[1]);
    int inSize = Math.toIntExact(transB ? w.dims()[1] : w.dims()[0]);
    if (!x.flat() || x.channels() != inSize) {
      throw refuse(n, "weight " + Arrays.toString(w.dims()) + (transB ? " (transB)" : "")
          + " does not fit its input " + x);
    }
    boolean bias = n.getInputCount() > 2 && !n.getInput(2).isEmpty() && beta != 0f;
    Layer.Linear l = new Layer.Linear(name(n, index, w.name()), in, inSize, out, bias);
    // PyTorch's layout is [out, in]
    float[] weight = transB ? w.values() : Layouts.transpose(w.values(), inSize, out);
    keep(l.weight(), n, 1, scaled(weight, alpha), !transB, alpha, false);
    if (bias) {
      OnnxModel.Weight c = weight(n, 2);
      long[] dims = c.dims();
      boolean one = c.values().length == 1 && dims.length <= 1;
      boolean vector = c.values().length == out && (dims.length == 1
          || (dims.length == 2 && dims[0] == 1));
      if (!one && !vector) {
        throw refuse(n, "bias '" + c.name() + "' has shape " + Arrays.toString(dims)
            + ", expected [" + out + "], [1, " + out + "] or one value (a bias per sample is not"
            + " supported)");
      }
      float[] values = one ? filled(out, c.values()[0]) : c.values();
      keep(l.biasName(), n, 2, scaled(values, beta), false, beta, one);
    }
    add(n, index, l);
  }

  /** MatMul of a layer's output [N, in] by a constant [in, out]: a linear layer, no bias. */
  private void matMul(NodeProto n, int index, int since) throws InteropException {
    String in = layerInput(n, 0);
    Dims x = dimsOf(in);
    OnnxModel.Weight w = weight(n, 1);
    if (w.rank() != 2 || !x.flat() || x.channels() != w.dims()[0]) {
      throw refuse(n, "only a product of [N, in] vectors by a constant [in, out] matrix is "
          + "supported, got " + x + " by " + Arrays.toString(w.dims()));
    }
    int inSize = Math.toIntExact(w.dims()[0]);
    int out = Math.toIntExact(w.dims()[1]);
    Layer.Linear l = new Layer.Linear(name(n, index, w.name()), in, inSize, out, false);
    keep(l.weight(), n, 1, Layouts.transpose(w.values(), inSize, out), true, 1f, false);
    add(n, index, l);
  }

  private static float[] scaled(float[] values, float factor) {
    if (factor == 1f) {
      return values;
    }
    float[] out = new float[values.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = values[i] * factor;
    }
    return out;
  }

  private static float[] filled(int n, float value) {
    float[] out = new float[n];
    Arrays.fill(out, value);
    return out;
  }

  // ---- constants, aliases and folded shapes ----

  private void constant(NodeProto n) throws InteropException {
    AttributeProto value = attribute(n, "value");
    if (value == null || !value.hasT() || n.getOutputCount() != 1) {
      throw refuse(n, "only a Constant with a tensor value is supported");
    }
    TensorProto t = value.getT();
    String what = describe(n);
    if (t.getDataType() == TensorProto.DataType.INT64_VALUE) {
      statics.put(n.getOutput(0), new Static(int64s(what, t), t.getDimsCount() == 0));
    } else if (t.getDataType() == TensorProto.DataType.BOOL_VALUE) {
      statics.put(n.getOutput(0), new Static(bools(what, t), t.getDimsCount() == 0));
    } else if (t.getDataType() == TensorProto.DataType.FLOAT_VALUE) {
      OnnxModel.Weight w = model.decodeFloat(t.toBuilder().setName(n.getOutput(0)).build());
      constants.put(n.getOutput(0), w);
      origins.put(n.getOutput(0), n.getOutput(0));
    } else {
      throw refuse(n, "only float, int64 and bool constants are supported, this is "
          + TensorProto.DataType.forNumber(t.getDataType()));
    }
  }

  private void identity(NodeProto n) throws InteropException {
    if (n.getInputCount() != 1) {
      throw refuse(n, "an Identity has one input, this has " + n.getInputCount());
    }
    String in = n.getInput(0);
    String out = n.getOutput(0);
    if (constants.containsKey(in)) {
      constants.put(out, constants.get(in).renamed(out));
      origins.put(out, origins.get(in));
      if (flipped.contains(in)) {
        flipped.add(out);
      }
    } else if (statics.containsKey(in)) {
      statics.put(out, statics.get(in));
    } else if (producers.containsKey(in)) {
      producers.put(out, producers.get(in));
    } else {
      throw refuse(n, "reads '" + in + "', which no earlier node gives");
    }
  }

  /** A layer's shape, [N, C, H, W] or [N, F]; from opset 15, its axes start to end only. */
  private void shape(NodeProto n, int since) throws InteropException {
    String in = layerInput(n, 0);
    Dims d = dimsOf(in);
    long[] s = d.flat() ? new long[] {BATCH, d.channels()}
        : oneD ? new long[] {BATCH, d.channels(), d.width()}
        : new long[] {BATCH, d.channels(), d.height(), d.width()};
    if (since >= 15) {
      int start = (int) clamp(intAttr(n, "start", 0), s.length);
      int end = (int) clamp(intAttr(n, "end", s.length), s.length);
      s = Arrays.copyOfRange(s, start, Math.max(start, end));
    }
    statics.put(n.getOutput(0), new Static(s, false));
  }

  /** An axis bound as ONNX reads it: negative from the end, then clamped to [0, rank]. */
  private static long clamp(long at, int rank) {
    long a = at < 0 ? at + rank : at;
    return Math.max(0, Math.min(rank, a));
  }

  /**
   * A Slice of known shape values (one axis): starts, ends, axes and steps as attributes before
   * opset 10, inputs from it.
   */
  private void slice(NodeProto n, int since) throws InteropException {
    if (!isStatic(n.getInput(0))) {
      throw refuse(n, "only a Slice of known shape values is supported");
    }
    long[] data = statics.get(n.getInput(0)).values();
    long[] starts;
    long[] ends;
    long[] axes;
    long[] steps;
    if (since < 10) {
      starts = ints(n, "starts", null);
      ends = ints(n, "ends", null);
      axes = ints(n, "axes", new long[] {0});
      steps = new long[] {1};
    } else {
      starts = staticInput(n, 1, null);
      ends = staticInput(n, 2, null);
      axes = staticInput(n, 3, new long[] {0});
      steps = staticInput(n, 4, new long[] {1});
    }
    if (starts == null || ends == null || starts.length != 1 || ends.length != 1
        || axes.length != 1 || steps.length != 1 || (axes[0] != 0 && axes[0] != -1)) {
      throw refuse(n, "only a Slice of one axis of a vector is supported");
    }
    long step = steps[0];
    if (step == 0) {
      throw refuse(n, "a step of 0 is not allowed");
    }
    int len = data.length;
    List<Long> out = new ArrayList<>();
    if (step > 0) {
      long from = clamp(starts[0], len);
      long to = clamp(ends[0], len);
      for (long i = from; i < to; i += step) {
        out.add(data[(int) i]);
      }
    } else {
      long from = Math.max(-1, Math.min(len - 1, starts[0] < 0 ? starts[0] + len : starts[0]));
      long to = Math.max(-1, Math.min(len - 1, ends[0] < 0 ? ends[0] + len : ends[0]));
      for (long i = from; i > to; i += step) {
        out.add(data[(int) i]);
      }
    }
    statics.put(n.getOutput(0), new Static(out.stream().mapToLong(Long::longValue).toArray(),
        false));
  }

  /** Input {@code i} of {@code n}, known at import, or {@code otherwise} when absent. */
  private long[] staticInput(NodeProto n, int i, long[] otherwise) throws InteropException {
    if (n.getInputCount() <= i || n.getInput(i).isEmpty()) {
      return otherwise;
    }
    if (!isStatic(n.getInput(i))) {
      throw refuse(n, "input #" + i + " ('" + n.getInput(i) + "') is not known at import");
    }
    return statics.get(n.getInput(i)).values();
  }

  /**
   * A Transpose of a constant matrix is folded (PyTorch writes one before a MatMul by a
   * weight); of a layer's output only the identity permutation is read.
   */
  private void transpose(NodeProto n) throws InteropException {
    String in = n.getInputCount() > 0 ? n.getInput(0) : "";
    OnnxModel.Weight w = constants.get(in);
    if (w != null) {
      long[] perm = ints(n, "perm", new long[] {1, 0});
      if (w.rank() != 2 || !Arrays.equals(perm, new long[] {1, 0})) {
        throw refuse(n, "only the transpose of a constant matrix is supported, got "
            + Arrays.toString(w.dims()) + " by perm " + Arrays.toString(perm));
      }
      int rows = Math.toIntExact(w.dims()[0]);
      int cols = Math.toIntExact(w.dims()[1]);
      String out = n.getOutput(0);
      constants.put(out, new OnnxModel.Weight(out, new long[] {cols, rows},
          Layouts.transpose(w.values(), rows, cols)));
      origins.put(out, origins.get(in));
      if (!flipped.remove(in)) {
        flipped.add(out);
      }
      return;
    }
    String layer = layerInput(n, 0);
    Dims d = dimsOf(layer);
    long[] perm = ints(n, "perm", null);
    int rank = d.flat() ? 2 : oneD ? 3 : 4;
    for (int i = 0; perm != null && i < perm.length; i++) {
      if (perm.length != rank || perm[i] != i) {
        throw refuse(n, "transposing a layer's output is not supported (perm "
            + Arrays.toString(perm) + ")");
      }
    }
    if (perm == null) {
      throw refuse(n, "transposing a layer's output is not supported (perm reversed)");
    }
    producers.put(n.getOutput(0), layer);
  }

  private void gather(NodeProto n) throws InteropException {
    if (n.getInputCount() != 2 || !isStatic(n.getInput(0)) || !isStatic(n.getInput(1))
        || intAttr(n, "axis", 0) != 0) {
      throw refuse(n, "only a Gather of known shape values along axis 0 is supported");
    }
    long[] data = statics.get(n.getInput(0)).values();
    Static idx = statics.get(n.getInput(1));
    long[] out = new long[idx.values().length];
    for (int i = 0; i < out.length; i++) {
      long j = idx.values()[i] < 0 ? idx.values()[i] + data.length : idx.values()[i];
      if (j < 0 || j >= data.length) {
        throw refuse(n, "index " + idx.values()[i] + " is outside " + describe(data));
      }
      out[i] = data[(int) j];
    }
    statics.put(n.getOutput(0), new Static(out, idx.scalar()));
  }

  private void unsqueeze(NodeProto n, int since) throws InteropException {
    if (n.getInputCount() < 1 || !isStatic(n.getInput(0))) {
      throw refuse(n, "only an Unsqueeze of known shape values is supported");
    }
    Static s = statics.get(n.getInput(0));
    if (!s.scalar()) {
      throw refuse(n, "only an Unsqueeze of a scalar is supported");
    }
    statics.put(n.getOutput(0), new Static(s.values(), false));
  }

  private boolean isStatic(String tensor) {
    return statics.containsKey(tensor);
  }

  // ---- node inputs and attributes ----

  /** The layer whose output input {@code i} of {@code n} is. */
  private String layerInput(NodeProto n, int i) throws InteropException {
    if (n.getInputCount() <= i || n.getInput(i).isEmpty()) {
      throw refuse(n, "input #" + i + " is missing");
    }
    String layer = producers.get(n.getInput(i));
    if (layer == null) {
      String what = otherTypes.containsKey(n.getInput(i))
          ? "a tensor of type " + otherTypes.get(n.getInput(i)) + " (not supported)"
          : constants.containsKey(n.getInput(i)) || statics.containsKey(n.getInput(i))
          ? "a constant, where a layer's output is expected (not supported)"
          : "which no earlier node gives (the graph is not in order, or has a cycle or a"
              + " dangling input)";
      throw refuse(n, "reads '" + n.getInput(i) + "', " + what);
    }
    return layer;
  }

  private List<String> layerInputs(NodeProto n) throws InteropException {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n.getInputCount(); i++) {
      out.add(layerInput(n, i));
    }
    if (out.size() < 2) {
      throw refuse(n, "needs at least two inputs");
    }
    return out;
  }

  /** Records variable {@code name} (PyTorch layout) as read from input {@code i} of {@code n}. */
  private void keep(String name, NodeProto n, int i, float[] values, boolean transposed) {
    keep(name, n, i, values, transposed, 1f, false);
  }

  /**
   * Records variable {@code name} (PyTorch layout) as read from input {@code i} of {@code n},
   * {@code factor} times the file's values, spread from one value when {@code broadcast}.
   */
  private void keep(String name, NodeProto n, int i, float[] values, boolean transposed,
      float factor, boolean broadcast) {
    torch.put(name, values);
    String in = n.getInput(i);
    sources.put(name, new Source(origins.get(in), transposed != flipped.contains(in), factor,
        broadcast));
  }

  private OnnxModel.Weight weight(NodeProto n, int i) throws InteropException {
    if (n.getInputCount() <= i || n.getInput(i).isEmpty()) {
      throw refuse(n, "input #" + i + " (a weight) is missing");
    }
    OnnxModel.Weight w = constants.get(n.getInput(i));
    if (w == null && otherTypes.containsKey(n.getInput(i))) {
      throw refuse(n, "its weight '" + n.getInput(i) + "' is of type "
          + otherTypes.get(n.getInput(i)) + ", expected FLOAT");
    }
    if (w == null) {
      throw refuse(n, "its weight '" + n.getInput(i) + "' is not an initializer or constant");
    }
    return w;
  }

  /** Input {@code i} of {@code n}: a constant vector of {@code size} floats. */
  private float[] vector(NodeProto n, int i, int size) throws InteropException {
    OnnxModel.Weight w = weight(n, i);
    if (w.rank() != 1 || w.dims()[0] != size) {
      throw refuse(n, "'" + w.name() + "' has shape " + Arrays.toString(w.dims())
          + ", expected [" + size + "]");
    }
    return w.values();
  }

  private float scalar(NodeProto n, int i) throws InteropException {
    OnnxModel.Weight w = weight(n, i);
    if (w.values().length != 1) {
      throw refuse(n, "'" + w.name() + "' should be a scalar, has shape "
          + Arrays.toString(w.dims()));
    }
    return w.values()[0];
  }

  private static AttributeProto attribute(NodeProto n, String name) {
    for (AttributeProto a : n.getAttributeList()) {
      if (a.getName().equals(name)) {
        return a;
      }
    }
    return null;
  }

  private long intAttr(NodeProto n, String name, long otherwise) {
    AttributeProto a = attribute(n, name);
    return a == null ? otherwise : a.getI();
  }

  private float floatAttr(NodeProto n, String name, float otherwise) {
    AttributeProto a = attribute(n, name);
    return a == null ? otherwise : a.getF();
  }

  private String stringAttr(NodeProto n, String name, String otherwise) {
    AttributeProto a = attribute(n, name);
    return a == null ? otherwise : a.getS().toStringUtf8();
  }

  private long[] ints(NodeProto n, String name, long[] otherwise) {
    AttributeProto a = attribute(n, name);
    return a == null ? otherwise : a.getIntsList().stream().mapToLong(Long::longValue).toArray();
  }

  /** An int64 tensor's values; {@code what} names it in errors. */
  private long[] int64s(String what, TensorProto t) throws InteropException {
    long count = 1;
    for (long d : t.getDimsList()) {
      count *= d;
      if (d < 0 || count > 64) {
        throw new InteropException(file, what + ": an int64 tensor of dims " + t.getDimsList()
            + " is too large (shape values only)");
      }
    }
    long[] out = new long[(int) count];
    if (t.hasRawData()) {
      if (t.getRawData().size() != count * 8) {
        throw new InteropException(file, what + ": raw_data has " + t.getRawData().size()
            + " bytes for " + count + " int64 values");
      }
      t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer()
          .get(out);
    } else {
      if (t.getInt64DataCount() != count) {
        throw new InteropException(file, what + ": int64_data has " + t.getInt64DataCount()
            + " values for " + count);
      }
      for (int i = 0; i < out.length; i++) {
        out[i] = t.getInt64Data(i);
      }
    }
    return out;
  }

  /** A bool tensor's values as 0 and 1. */
  private long[] bools(String what, TensorProto t) throws InteropException {
    long count = 1;
    for (long d : t.getDimsList()) {
      count *= d;
      if (d < 0 || count > 64) {
        throw new InteropException(file, what + ": a bool tensor of dims " + t.getDimsList()
            + " is too large");
      }
    }
    long[] out = new long[(int) count];
    if (t.hasRawData()) {
      if (t.getRawData().size() != count) {
        throw new InteropException(file, what + ": raw_data has " + t.getRawData().size()
            + " bytes for " + count + " bools");
      }
      for (int i = 0; i < out.length; i++) {
        out[i] = t.getRawData().byteAt(i) != 0 ? 1 : 0;
      }
    } else {
      if (t.getInt32DataCount() != count) {
        throw new InteropException(file, what + ": int32_data has " + t.getInt32DataCount()
            + " values for " + count + " bools");
      }
      for (int i = 0; i < out.length; i++) {
        out[i] = t.getInt32Data(i) != 0 ? 1 : 0;
      }
    }
    return out;
  }

  private static String describe(long[] shape) {
    StringBuilder s = new StringBuilder("[");
    for (int i = 0; i < shape.length; i++) {
      s.append(i > 0 ? ", " : "").append(shape[i] == BATCH ? "N" : Long.toString(shape[i]));
    }
    return s.append(']').toString();
  }

  /**
   * The layer's name: from its weight ({@code features.9.weight} gives {@code features.9}), else
   * PyTorch's module path in the node name, else the node name; unique, and usable as a
   * TensorFlow scope.
   */
  private String name(NodeProto n, int index, String weight) {
    String name = null;
    if (weight != null && weight.endsWith(".weight")) {
      name = weight.substring(0, weight.length() - ".weight".length());
    } else if (n.getName().startsWith("/")) {
      String[] parts = n.getName().substring(1).split("/");
      name = parts.length >= 2 ? parts[parts.length - 2] : parts[0];
    } else if (!n.getName().isEmpty()) {
      name = n.getName();
    }
    name = name == null || name.isEmpty() ? n.getOpType() + "_" + index : sanitize(name);
    if (names.contains(name)) {
      String base = name;
      for (int k = 1; names.contains(name); k++) {
        name = base + "_" + k;
      }
    }
    return name;
  }

  /** Keeps letters, digits and {@code . _ -}; TensorFlow scopes allow no others. */
  private static String sanitize(String name) {
    String s = name.replaceAll("[^A-Za-z0-9._-]", "_");
    return s.matches("[A-Za-z0-9.].*") ? s : "n" + s;
  }
}
