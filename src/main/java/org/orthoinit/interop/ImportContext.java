package org.orthoinit.interop;

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

/**
 * One import of a graph: what is known so far (the layers read, each tensor's producer and
 * shape, the constants and the folded shape values, the variables and where in the file each
 * came from), how nodes and layers are named, and the refusals, which name the node. Each op
 * family's handlers read one node into it; {@link OnnxImport} is the way in.
 */
final class ImportContext {

  /** An int64 tensor known at import time: shapes and indices; {@code BATCH} is the batch. */
  record Static(long[] values, boolean scalar) {}

  /**
   * A layer's output [N, C, H, W] seen as [N, groups, C / groups, H, W], and after a Transpose
   * [0, 2, 1, 3, 4] as [N, C / groups, groups, H, W] ({@code swapped}): the first two steps of a
   * channel shuffle, read only by the step after them.
   */
  record View(String layer, int groups, boolean swapped) {}

  /** Stands for the (dynamic) batch dimension inside folded shape values. */
  static final long BATCH = Long.MIN_VALUE;

  final Path file;

  final OnnxModel model;

  final OnnxImport.Options options;

  final long opset;

  /** The graph's tensors are [N, C, L] signals, held as [N, C, 1, L]. */
  boolean oneD;

  /** Initializers and given inputs of types no handler reads, by name: for clear refusals. */
  final Map<String, String> otherTypes = new HashMap<>();

  /** Float tensors known at import: initializers, Constant outputs and their Identity aliases. */
  final Map<String, OnnxModel.Weight> constants = new HashMap<>();

  final Map<String, Static> statics = new HashMap<>();

  /** Tensors that are 5-D views of a layer's output, part of a channel shuffle. */
  final Map<String, View> views = new HashMap<>();

  /**
   * Layer outputs seen after a Transpose [0, 2, 3, 1]: [N, H, W, C] in the file's axis order,
   * the same values as the layer's output (NHWC inside). Only ops that do not care about the
   * axis order, and those that read the channels as the last axis, read them.
   */
  final Set<String> channelsLast = new HashSet<>();

  /** Nodes read as part of an earlier node's layer (a layer norm's steps, a bias): skipped. */
  final Set<Integer> absorbed = new HashSet<>();

  /** A tensor name -> the layer whose output it is (or the network's input). */
  final Map<String, String> producers = new HashMap<>();

  /** Each layer's output shape (and the input's). */
  final Map<String, Dims> dimsByLayer = new HashMap<>();

  final List<Layer> layers = new ArrayList<>();

  final Set<String> names = new HashSet<>();

  /** Parameter values in PyTorch's layout, by the names the network gives them. */
  final Map<String, float[]> torch = new LinkedHashMap<>();

  /** Each variable's tensor in the file. */
  final Map<String, OnnxImport.Source> sources = new LinkedHashMap<>();

  /** A float constant's name (or its Identity alias's) -> the tensor of the file holding it. */
  final Map<String, String> origins = new HashMap<>();

  /** The file's initializers, by name. */
  final Set<String> initializers = new HashSet<>();

  /** Float constants that hold their origin's transpose. */
  final Set<String> flipped = new HashSet<>();

  ImportContext(OnnxModel model, OnnxImport.Options options) {
    this.file = model.file();
    this.model = model;
    this.options = options;
    this.opset = model.opsetVersion();
  }

  OnnxImport.Imported run() throws InteropException {
    if (opset < 1 || opset > OnnxImport.MAX_OPSET) {
      throw new InteropException(file, "opset " + opset + " is outside the opsets whose "
          + "operators this importer knows (1 to " + OnnxImport.MAX_OPSET + ", ONNX 1.12)");
    }
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
    inOrder(nodes);
    for (int i = 0; i < nodes.size(); i++) {
      NodeProto node = nodes.get(i);
      if (absorbed.contains(i)) {
        continue;
      }
      try {
        node(node, i);
      } catch (IllegalArgumentException | ArithmeticException e) {
        throw refuse(node, e.getMessage());
      }
    }
    String last = producers.get(output);
    if (channelsLast.contains(output)) {
      throw new InteropException(file, "the graph output '" + output + "' is channels-last "
          + "(after a Transpose [0, 2, 3, 1] not undone), which is not supported");
    }
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
    return new OnnxImport.Imported(network, weights, model, Map.copyOf(sources), oneD);
  }

  /**
   * Every node is of a supported op and reads only the graph's inputs and initializers, what is
   * given, and the outputs of nodes before it: a node of another op, or that reads anything else
   * (a dangling input, a cycle, nodes out of order), is refused before any is read, so that a
   * layer read from several nodes at once finds them all in place and readable.
   */
  private void inOrder(List<NodeProto> nodes) throws InteropException {
    Set<String> known = new HashSet<>(initializers);
    known.addAll(options.inputValues().keySet());
    model.proto().getGraph().getInputList().forEach(v -> known.add(v.getName()));
    for (NodeProto n : nodes) {
      supported(n);
      for (String in : n.getInputList()) {
        if (!in.isEmpty() && !known.contains(in)) {
          throw refuse(n, "reads '" + in + "', which no earlier node gives (the graph is not in "
              + "order, or has a cycle or a dangling input)");
        }
      }
      known.addAll(n.getOutputList());
    }
  }

  /** The handler of {@code n}'s op at the file's opset, or {@code n} is refused. */
  private OnnxImport.Op supported(NodeProto n) throws InteropException {
    if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")) {
      throw refuse(n, "operators of domain '" + n.getDomain() + "' are not supported");
    }
    if (n.getOutputCount() < 1 || n.getOutput(0).isEmpty()) {
      throw refuse(n, "it has no output");
    }
    OnnxImport.Op op = OnnxImport.op(n.getOpType());
    if (op == null) {
      throw refuse(n, "this op is not supported");
    }
    if (op.at(opset) < 0) {
      throw refuse(n, "only its definitions since opset " + op.since()[0] + " are supported");
    }
    return op;
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

  /** Reads one node: a layer, a folded constant, or an alias. */
  private void node(NodeProto n, int index) throws InteropException {
    OnnxImport.Op op = supported(n);
    op.handler().read(this, n, index, op.at(opset));
  }

  InteropException refuse(NodeProto n, String why) {
    return new InteropException(file, describe(n) + ": " + why);
  }

  /** {@code node 'name' (Op, opset N)}, or the node's index when it has no name. */
  String describe(NodeProto n) {
    String name = n.getName().isEmpty() ? "#" + model.proto().getGraph().getNodeList().indexOf(n)
        : "'" + n.getName() + "'";
    return "node " + name + " (" + n.getOpType() + ", opset " + opset + ")";
  }

  /** Folded shape values as text, {@code N} for the batch: {@code [N, 12]}. */
  static String shapeText(long[] shape) {
    StringBuilder s = new StringBuilder("[");
    for (int i = 0; i < shape.length; i++) {
      s.append(i > 0 ? ", " : "").append(shape[i] == BATCH ? "N" : Long.toString(shape[i]));
    }
    return s.append(']').toString();
  }

  /**
   * Adds {@code layer} as what node {@code n} computes: its shape inferred (refused by name when
   * it does not fit), its output mapped to the layer. A node may add two layers; the last one
   * gives its output.
   */
  void add(NodeProto n, int index, Layer layer) throws InteropException {
    for (int i = 1; i < n.getOutputCount(); i++) {
      if (!n.getOutput(i).isEmpty() && used(n.getOutput(i))) {
        throw refuse(n, "its output #" + i + " (" + n.getOutput(i) + ") is used, which is not"
            + " supported");
      }
    }
    addAt(n, 0, layer);
  }

  /** Adds {@code layer} as what output {@code output} of {@code n} holds. */
  void addAt(NodeProto n, int output, Layer layer) {
    List<Dims> in = new ArrayList<>();
    for (String i : layer.inputs()) {
      in.add(dimsOf(i));
    }
    dimsByLayer.put(layer.name(), Network.infer(layer, in));
    layers.add(layer);
    names.add(layer.name());
    producers.put(n.getOutput(output), layer.name());
    if (n.getInputList().stream().anyMatch(channelsLast::contains)) {
      channelsLast.add(n.getOutput(output)); // an op that keeps the axis order
    }
  }

  /** {@code alias} names the same values as {@code tensor}, a layer's output, in its order. */
  void alias(String alias, String tensor) {
    producers.put(alias, producers.get(tensor));
    if (channelsLast.contains(tensor)) {
      channelsLast.add(alias);
    }
  }

  /** The nodes that read {@code tensor}, by index, in order; -1 for the graph output. */
  List<Integer> consumers(String tensor) {
    List<Integer> out = new ArrayList<>();
    List<NodeProto> nodes = model.proto().getGraph().getNodeList();
    for (int i = 0; i < nodes.size(); i++) {
      if (nodes.get(i).getInputList().contains(tensor)) {
        out.add(i);
      }
    }
    for (ValueInfoProto v : model.proto().getGraph().getOutputList()) {
      if (v.getName().equals(tensor)) {
        out.add(-1);
      }
    }
    return out;
  }

  /** The one node that reads {@code tensor}, or null when none or several do. */
  NodeProto soleConsumer(String tensor) {
    List<Integer> c = consumers(tensor);
    return c.size() == 1 && c.get(0) >= 0 ? model.proto().getGraph().getNode(c.get(0)) : null;
  }

  /** The index of {@code n} in the graph. */
  int indexOf(NodeProto n) {
    return model.proto().getGraph().getNodeList().indexOf(n);
  }

  /** The output shape of a layer read so far (or of the input). */
  Dims dimsOf(String layer) {
    return dimsByLayer.get(layer);
  }

  /** Whether any node or the graph output reads {@code tensor}. */
  boolean used(String tensor) {
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

  /** Input {@code i} of {@code n}, known at import, or {@code otherwise} when absent. */
  long[] staticInput(NodeProto n, int i, long[] otherwise) throws InteropException {
    if (n.getInputCount() <= i || n.getInput(i).isEmpty()) {
      return otherwise;
    }
    if (otherTypes.containsKey(n.getInput(i))) {
      throw refuse(n, "input #" + i + " ('" + n.getInput(i) + "') is of type "
          + otherTypes.get(n.getInput(i)) + ", expected INT64");
    }
    if (!isStatic(n.getInput(i))) {
      throw refuse(n, "input #" + i + " ('" + n.getInput(i) + "') is not known at import");
    }
    return statics.get(n.getInput(i)).values();
  }

  boolean isStatic(String tensor) {
    return statics.containsKey(tensor);
  }

  /**
   * Whether float constant {@code tensor} holds a module's trained parameter as PyTorch's export
   * names it: a file initializer with a dotted module path ({@code features.1.0.layer_scale}),
   * not a folded {@code onnx::} constant or a Constant node's value.
   */
  boolean parameterLike(String tensor) {
    String origin = origins.get(tensor);
    return origin != null && initializers.contains(origin) && !origin.startsWith("onnx::")
        && origin.contains(".") && !flipped.contains(tensor);
  }

  /**
   * The float constant {@code tensor}, known now or given by a Constant node further on (a look
   * ahead from a layer that reads several nodes as one); null when it is neither.
   */
  OnnxModel.Weight constantAhead(String tensor) throws InteropException {
    OnnxModel.Weight w = constants.get(tensor);
    if (w != null) {
      return w;
    }
    for (NodeProto m : model.proto().getGraph().getNodeList()) {
      if (m.getOpType().equals("Constant") && m.getOutputCount() == 1
          && m.getOutput(0).equals(tensor)) {
        for (AttributeProto a : m.getAttributeList()) {
          if (a.getName().equals("value") && a.hasT()
              && a.getT().getDataType() == TensorProto.DataType.FLOAT_VALUE) {
            return model.decodeFloat(a.getT().toBuilder().setName(tensor).build());
          }
        }
      }
    }
    return null;
  }

  /**
   * The layer whose output input {@code i} of {@code n} is, in the file's channels-first order
   * (a channels-last one is refused: the op would read its axes otherwise).
   */
  String layerInput(NodeProto n, int i) throws InteropException {
    String layer = anyLayerInput(n, i);
    if (channelsLast.contains(n.getInput(i))) {
      throw refuse(n, "reads '" + n.getInput(i) + "', channels-last (after a Transpose [0, 2, 3,"
          + " 1]), where this op reads channels first (not supported)");
    }
    return layer;
  }

  /**
   * The layer whose output input {@code i} of {@code n} is, in either axis order: for ops that
   * do not care about it (element-wise ones) and those that handle both.
   */
  String anyLayerInput(NodeProto n, int i) throws InteropException {
    if (n.getInputCount() <= i || n.getInput(i).isEmpty()) {
      throw refuse(n, "input #" + i + " is missing");
    }
    String layer = producers.get(n.getInput(i));
    if (layer == null) {
      String what = views.containsKey(n.getInput(i))
          ? "the 5-D view of a channel shuffle (a Reshape to [N, groups, C / groups, H, W], a"
              + " Transpose [0, 2, 1, 3, 4], a Reshape back), read otherwise (not supported)"
          : otherTypes.containsKey(n.getInput(i))
          ? "a tensor of type " + otherTypes.get(n.getInput(i)) + " (not supported)"
          : constants.containsKey(n.getInput(i)) || statics.containsKey(n.getInput(i))
          ? "a constant, where a layer's output is expected (not supported)"
          : "which no earlier node gives (the graph is not in order, or has a cycle or a"
              + " dangling input)";
      throw refuse(n, "reads '" + n.getInput(i) + "', " + what);
    }
    return layer;
  }

  /** Two or more layers' outputs, channels first. */
  List<String> layerInputs(NodeProto n) throws InteropException {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n.getInputCount(); i++) {
      out.add(layerInput(n, i));
    }
    if (out.size() < 2) {
      throw refuse(n, "needs at least two inputs");
    }
    return out;
  }

  /** Two or more layers' outputs in one axis order, either (for element-wise ops). */
  List<String> sameOrderInputs(NodeProto n) throws InteropException {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n.getInputCount(); i++) {
      out.add(anyLayerInput(n, i));
    }
    for (int i = 1; i < n.getInputCount(); i++) {
      if (channelsLast.contains(n.getInput(i)) != channelsLast.contains(n.getInput(0))) {
        throw refuse(n, "reads '" + n.getInput(0) + "' and '" + n.getInput(i) + "' in different"
            + " axis orders (one after a Transpose [0, 2, 3, 1]), which is not supported");
      }
    }
    if (out.size() < 2) {
      throw refuse(n, "needs at least two inputs");
    }
    return out;
  }

  /** Records variable {@code name} (PyTorch layout) as read from input {@code i} of {@code n}. */
  void keep(String name, NodeProto n, int i, float[] values, boolean transposed) {
    keep(name, n, i, values, transposed, 1f, false);
  }

  /**
   * Records variable {@code name} (PyTorch layout) as read from input {@code i} of {@code n},
   * {@code factor} times the file's values, spread from one value when {@code broadcast}.
   */
  void keep(String name, NodeProto n, int i, float[] values, boolean transposed,
      float factor, boolean broadcast) {
    torch.put(name, values);
    String in = n.getInput(i);
    sources.put(name, new OnnxImport.Source(origins.get(in),
        transposed != flipped.contains(in), factor, broadcast));
  }

  OnnxModel.Weight weight(NodeProto n, int i) throws InteropException {
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
  float[] vector(NodeProto n, int i, int size) throws InteropException {
    OnnxModel.Weight w = weight(n, i);
    if (w.rank() != 1 || w.dims()[0] != size) {
      throw refuse(n, "'" + w.name() + "' has shape " + Arrays.toString(w.dims())
          + ", expected [" + size + "]");
    }
    return w.values();
  }

  float scalar(NodeProto n, int i) throws InteropException {
    OnnxModel.Weight w = weight(n, i);
    if (w.values().length != 1) {
      throw refuse(n, "'" + w.name() + "' should be a scalar, has shape "
          + Arrays.toString(w.dims()));
    }
    return w.values()[0];
  }

  /** An int64 tensor's values; {@code what} names it in errors. */
  long[] int64s(String what, TensorProto t) throws InteropException {
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
  long[] bools(String what, TensorProto t) throws InteropException {
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

  /**
   * The layer's name: from its weight ({@code features.9.weight} gives {@code features.9}), else
   * PyTorch's module path in the node name, else the node name; unique, and usable as a
   * TensorFlow scope.
   */
  String name(NodeProto n, int index, String weight) {
    String name = null;
    if (weight != null && weight.endsWith(".weight")) {
      name = weight.substring(0, weight.length() - ".weight".length());
    } else if (n.getName().startsWith("/")) {
      name = modulePath(n.getName());
    } else if (!n.getName().isEmpty()) {
      name = n.getName();
    }
    name = name == null || name.isEmpty() ? n.getOpType() + "_" + index : sanitize(name);
    return unique(name);
  }

  /** {@code name}, or with {@code _1}, {@code _2}... after it when a layer has it already. */
  String unique(String name) {
    String out = name;
    for (int k = 1; names.contains(out); k++) {
      out = name + "_" + k;
    }
    return out;
  }

  /**
   * The module path in a node name of PyTorch's export ({@code /trunk_output/block1/block1-0/f/a/
   * a.0/Conv} is {@code trunk_output.block1.block1-0.f.a.0}, {@code /features/features.2/Relu}
   * is {@code features.2}): the scopes without the op, each joined to the path so far, where a
   * scope that repeats its parent's name ({@code a.0} under {@code a}) adds only what follows.
   */
  static String modulePath(String node) {
    String[] parts = node.substring(1).split("/");
    if (parts.length < 2) {
      return parts[0];
    }
    String path = "";
    String last = "";
    for (int i = 0; i < parts.length - 1; i++) {
      String part = parts[i];
      String own = !last.isEmpty() && part.startsWith(last + ".")
          ? part.substring(last.length() + 1) : part;
      path = path.isEmpty() ? own : path + "." + own;
      last = part;
    }
    return path;
  }

  /** Keeps letters, digits and {@code . _ -}; TensorFlow scopes allow no others. */
  static String sanitize(String name) {
    String s = name.replaceAll("[^A-Za-z0-9._-]", "_");
    return s.matches("[A-Za-z0-9.].*") ? s : "n" + s;
  }
}
