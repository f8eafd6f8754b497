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
   */
  public record Imported(Network network, Map<String, float[]> weights, OnnxModel model,
      Map<String, Source> sources) {}

  /**
   * The tensor of the file a variable came from: an initializer or a Constant node's output.
   *
   * @param tensor its name in the file
   * @param transposed whether the file holds it transposed from PyTorch's layout (a Gemm
   *     weight without transB is [in, out])
   */
  public record Source(String tensor, boolean transposed) {}

  /** An int64 tensor known at import time: shapes and indices; {@code BATCH} is the batch. */
  private record Static(long[] values, boolean scalar) {}

  /** Stands for the (dynamic) batch dimension inside folded shape values. */
  private static final long BATCH = Long.MIN_VALUE;

  private final Path file;
  private final OnnxModel model;
  private final long opset;
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

  private OnnxImport(OnnxModel model) {
    this.file = model.file();
    this.model = model;
    this.opset = model.opsetVersion();
  }

  /** Reads {@code file}. */
  public static Imported read(Path file) throws InteropException {
    return read(OnnxModel.read(file));
  }

  /** Reads an already parsed model (its file names it in errors). */
  public static Imported read(OnnxModel model) throws InteropException {
    return new OnnxImport(model).run();
  }

  private Imported run() throws InteropException {
    constants.putAll(model.initializers());
    constants.keySet().forEach(name -> origins.put(name, name));
    String input = input();
    producers.put(input, Network.INPUT_NAME);
    dimsByLayer.put(Network.INPUT_NAME, Network.INPUT);
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
    try {
      network = new Network(model.proto().getGraph().getName().isEmpty() ? "network"
          : sanitize(model.proto().getGraph().getName()), layers);
    } catch (IllegalArgumentException e) {
      throw new InteropException(file, e.getMessage());
    }
    Map<String, float[]> weights = new LinkedHashMap<>();
    for (Parameter p : network.parameters()) {
      weights.put(p.name(), TorchImport.toTensorFlow(p, torch.get(p.name())));
    }
    for (Layer.BatchNorm bn : network.batchNorms()) {
      weights.put(bn.runningMean(), torch.get(bn.runningMean()));
      weights.put(bn.runningVar(), torch.get(bn.runningVar()));
    }
    return new Imported(network, weights, model, Map.copyOf(sources));
  }

  /** The graph's one input that is not an initializer: float [N, 3, 32, 32]. */
  private String input() throws InteropException {
    List<String> inputs = new ArrayList<>();
    for (ValueInfoProto v : model.proto().getGraph().getInputList()) {
      if (!constants.containsKey(v.getName())) {
        inputs.add(v.getName());
      }
    }
    if (inputs.size() != 1) {
      throw new InteropException(file, "expected one image input, found " + inputs.size() + " "
          + inputs);
    }
    long[] shape = model.inputShape(inputs.get(0));
    long[] want = {Network.IMAGE_CHANNELS, Network.IMAGE_SIZE, Network.IMAGE_SIZE};
    if (shape.length != 4 || !Arrays.equals(Arrays.copyOfRange(shape, 1, 4), want)) {
      throw new InteropException(file, "input '" + inputs.get(0) + "' has shape "
          + Arrays.toString(shape) + ", expected [N, 3, 32, 32] (CIFAR-10 images, NCHW)");
    }
    return inputs.get(0);
  }

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
    if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")) {
      throw refuse(n, "operators of domain '" + n.getDomain() + "' are not supported");
    }
    if (n.getOutputCount() < 1 || n.getOutput(0).isEmpty()) {
      throw refuse(n, "it has no output");
    }
    switch (n.getOpType()) {
      case "Constant" -> constant(n);
      case "Identity" -> identity(n);
      case "Shape" -> shape(n);
      case "Gather" -> gather(n);
      case "Unsqueeze" -> unsqueeze(n);
      case "Conv" -> conv(n, index);
      case "MaxPool" -> maxPool(n, index);
      case "AveragePool" -> avgPool(n, index);
      case "GlobalAveragePool" -> add(n, index, new Layer.GlobalAvgPool(name(n, index, null),
          layerInput(n, 0)));
      case "BatchNormalization" -> batchNorm(n, index);
      case "Dropout" -> dropout(n, index);
      case "Relu" -> add(n, index, new Layer.Relu(name(n, index, null), layerInput(n, 0)));
      case "Clip" -> clip(n, index);
      case "Add", "Sum" -> add(n, index, new Layer.Add(name(n, index, null), layerInputs(n)));
      case "Concat" -> concat(n, index);
      case "Flatten" -> flatten(n, index);
      case "Reshape" -> reshape(n, index);
      case "Pad" -> pad(n);
      case "Gemm" -> gemm(n, index);
      default -> throw refuse(n, "this op is not supported");
    }
  }

  private InteropException refuse(NodeProto n, String why) {
    String name = n.getName().isEmpty() ? "#" + model.proto().getGraph().getNodeList().indexOf(n)
        : "'" + n.getName() + "'";
    return new InteropException(file, "node " + name + " (" + n.getOpType() + ", opset " + opset
        + "): " + why);
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

  private void conv(NodeProto n, int index) throws InteropException {
    String in = layerInput(n, 0);
    Dims x = dimsOf(in);
    OnnxModel.Weight w = weight(n, 1);
    if (w.rank() != 4) {
      throw refuse(n, "weight " + w.name() + " has shape " + Arrays.toString(w.dims())
          + ", expected [out, in / groups, kh, kw]");
    }
    int groups = (int) intAttr(n, "group", 1);
    int out = Math.toIntExact(w.dims()[0]);
    int kh = Math.toIntExact(w.dims()[2]);
    int kw = Math.toIntExact(w.dims()[3]);
    long[] kernel = ints(n, "kernel_shape", new long[] {kh, kw});
    if (!Arrays.equals(kernel, new long[] {kh, kw})) {
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

  private void maxPool(NodeProto n, int index) throws InteropException {
    if (intAttr(n, "storage_order", 0) != 0) {
      throw refuse(n, "storage_order 1 is not supported");
    }
    String in = layerInput(n, 0);
    long[] k = kernelShape(n);
    Window w = window(n, dimsOf(in), (int) k[0], (int) k[1], true);
    add(n, index, new Layer.MaxPool(name(n, index, null), in, w,
        intAttr(n, "ceil_mode", 0) != 0));
  }

  private void avgPool(NodeProto n, int index) throws InteropException {
    String in = layerInput(n, 0);
    long[] k = kernelShape(n);
    Window w = window(n, dimsOf(in), (int) k[0], (int) k[1], false);
    add(n, index, new Layer.AvgPool(name(n, index, null), in, w,
        intAttr(n, "ceil_mode", 0) != 0, intAttr(n, "count_include_pad", 0) != 0));
  }

  private long[] kernelShape(NodeProto n) throws InteropException {
    long[] k = ints(n, "kernel_shape", null);
    if (k == null || k.length != 2 || k[0] < 1 || k[1] < 1 || k[0] > Integer.MAX_VALUE
        || k[1] > Integer.MAX_VALUE) {
      throw refuse(n, "kernel_shape must be two positive sizes, got "
          + (k == null ? "none" : Arrays.toString(k)));
    }
    return k;
  }

  /** A 2-D window from strides, pads (or auto_pad), dilations. */
  private Window window(NodeProto n, Dims x, int kh, int kw, boolean dilations)
      throws InteropException {
    if (x.flat()) {
      throw refuse(n, "its input is a vector of " + x.channels() + ", not an image");
    }
    long[] strides = ints(n, "strides", new long[] {1, 1});
    long[] dil = dilations ? ints(n, "dilations", new long[] {1, 1}) : new long[] {1, 1};
    long[] pads = ints(n, "pads", new long[] {0, 0, 0, 0});
    if (strides.length != 2 || dil.length != 2 || pads.length != 4) {
      throw refuse(n, "only 2-D windows are supported (strides " + Arrays.toString(strides)
          + ", pads " + Arrays.toString(pads) + ")");
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

  private void batchNorm(NodeProto n, int index) throws InteropException {
    if (intAttr(n, "training_mode", 0) != 0) {
      throw refuse(n, "training_mode exports are not supported");
    }
    String in = layerInput(n, 0);
    Dims x = dimsOf(in);
    OnnxModel.Weight scale = weight(n, 1);
    String name = name(n, index, scale.name());
    Layer.BatchNorm bn = new Layer.BatchNorm(name, in, x.channels(),
        floatAttr(n, "epsilon", 1e-5f), complement(floatAttr(n, "momentum", 0.9f)));
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
  private void dropout(NodeProto n, int index) throws InteropException {
    String in = layerInput(n, 0);
    float p = floatAttr(n, "ratio", 0.5f);
    if (n.getInputCount() > 1 && !n.getInput(1).isEmpty()) {
      p = scalar(n, 1);
    }
    if (n.getInputCount() > 2 && !n.getInput(2).isEmpty() && !isStatic(n.getInput(2))) {
      throw refuse(n, "its training_mode '" + n.getInput(2) + "' is not known at import");
    }
    add(n, index, new Layer.Dropout(name(n, index, null), in, p));
  }

  private void clip(NodeProto n, int index) throws InteropException {
    String in = layerInput(n, 0);
    float min = floatAttr(n, "min", Float.NEGATIVE_INFINITY);
    float max = floatAttr(n, "max", Float.POSITIVE_INFINITY);
    if (n.getInputCount() > 1 && !n.getInput(1).isEmpty()) {
      min = scalar(n, 1);
    }
    if (n.getInputCount() > 2 && !n.getInput(2).isEmpty()) {
      max = scalar(n, 2);
    }
    add(n, index, new Layer.Clip(name(n, index, null), in, min, max));
  }

  private void concat(NodeProto n, int index) throws InteropException {
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
    int rank = flat ? 2 : 4;
    add(n, index, new Layer.Concat(name(n, index, null), in,
        Math.toIntExact(axis < 0 ? axis + rank : axis)));
  }

  private void flatten(NodeProto n, int index) throws InteropException {
    if (intAttr(n, "axis", 1) != 1) {
      throw refuse(n, "only axis 1 (keep the batch) is supported");
    }
    add(n, index, new Layer.Flatten(name(n, index, null), layerInput(n, 0)));
  }

  /** A Reshape to [N, C H W] (0, -1 or the batch first) is a flatten; others are refused. */
  private void reshape(NodeProto n, int index) throws InteropException {
    String in = layerInput(n, 0);
    if (n.getInputCount() < 2 || !isStatic(n.getInput(1))) {
      throw refuse(n, "its target shape is not known at import");
    }
    long[] target = statics.get(n.getInput(1)).values();
    long size = dimsOf(in).size();
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
  private void pad(NodeProto n) throws InteropException {
    String in = layerInput(n, 0);
    if (!stringAttr(n, "mode", "constant").equals("constant")) {
      throw refuse(n, "only constant padding is supported");
    }
    if (n.getInputCount() < 2 || !isStatic(n.getInput(1))) {
      throw refuse(n, "its pads are not known at import");
    }
    for (long p : statics.get(n.getInput(1)).values()) {
      if (p != 0) {
        throw refuse(n, "only a Pad of zeros everywhere (none) is supported, got "
            + describe(statics.get(n.getInput(1)).values()));
      }
    }
    producers.put(n.getOutput(0), in);
  }

  private void gemm(NodeProto n, int index) throws InteropException {
    if (floatAttr(n, "alpha", 1f) != 1f || floatAttr(n, "beta", 1f) != 1f
        || intAttr(n, "transA", 0) != 0) {
      throw refuse(n, "only alpha = beta = 1 and transA = 0 are supported");
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
    boolean bias = n.getInputCount() > 2 && !n.getInput(2).isEmpty();
    Layer.Linear l = new Layer.Linear(name(n, index, w.name()), in, inSize, out, bias);
    // PyTorch's layout is [out, in]
    keep(l.weight(), n, 1, transB ? w.values() : TorchImport.transpose(w.values(), inSize, out),
        !transB);
    if (bias) {
      keep(l.biasName(), n, 2, vector(n, 2, out), false);
    }
    add(n, index, l);
  }

  // ---- constants, aliases and folded shapes ----

  private void constant(NodeProto n) throws InteropException {
    AttributeProto value = attribute(n, "value");
    if (value == null || !value.hasT() || n.getOutputCount() != 1) {
      throw refuse(n, "only a Constant with a tensor value is supported");
    }
    TensorProto t = value.getT();
    if (t.getDataType() == TensorProto.DataType.INT64_VALUE) {
      statics.put(n.getOutput(0), new Static(int64s(n, t), t.getDimsCount() == 0));
    } else if (t.getDataType() == TensorProto.DataType.BOOL_VALUE) {
      statics.put(n.getOutput(0), new Static(bools(n, t), t.getDimsCount() == 0));
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
    } else if (statics.containsKey(in)) {
      statics.put(out, statics.get(in));
    } else if (producers.containsKey(in)) {
      producers.put(out, producers.get(in));
    } else {
      throw refuse(n, "reads '" + in + "', which no earlier node gives");
    }
  }

  private void shape(NodeProto n) throws InteropException {
    String in = layerInput(n, 0);
    Dims d = dimsOf(in);
    long[] s = d.flat() ? new long[] {BATCH, d.channels()}
        : new long[] {BATCH, d.channels(), d.height(), d.width()};
    statics.put(n.getOutput(0), new Static(s, false));
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

  private void unsqueeze(NodeProto n) throws InteropException {
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
      String what = constants.containsKey(n.getInput(i)) || statics.containsKey(n.getInput(i))
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
    torch.put(name, values);
    sources.put(name, new Source(origins.get(n.getInput(i)), transposed));
  }

  private OnnxModel.Weight weight(NodeProto n, int i) throws InteropException {
    if (n.getInputCount() <= i || n.getInput(i).isEmpty()) {
      throw refuse(n, "input #" + i + " (a weight) is missing");
    }
    OnnxModel.Weight w = constants.get(n.getInput(i));
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

  private long[] int64s(NodeProto n, TensorProto t) throws InteropException {
    long count = 1;
    for (long d : t.getDimsList()) {
      count *= d;
      if (d < 0 || count > 64) {
        throw refuse(n, "a shape constant of dims " + t.getDimsList() + " is too large");
      }
    }
    long[] out = new long[(int) count];
    if (t.hasRawData()) {
      if (t.getRawData().size() != count * 8) {
        throw refuse(n, "raw_data has " + t.getRawData().size() + " bytes for " + count
            + " int64 values");
      }
      t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer()
          .get(out);
    } else {
      if (t.getInt64DataCount() != count) {
        throw refuse(n, "int64_data has " + t.getInt64DataCount() + " values for " + count);
      }
      for (int i = 0; i < out.length; i++) {
        out[i] = t.getInt64Data(i);
      }
    }
    return out;
  }

  /** A bool tensor's values as 0 and 1. */
  private long[] bools(NodeProto n, TensorProto t) throws InteropException {
    long count = 1;
    for (long d : t.getDimsList()) {
      count *= d;
      if (d < 0 || count > 64) {
        throw refuse(n, "a bool constant of dims " + t.getDimsList() + " is too large");
      }
    }
    long[] out = new long[(int) count];
    if (t.hasRawData()) {
      if (t.getRawData().size() != count) {
        throw refuse(n, "raw_data has " + t.getRawData().size() + " bytes for " + count
            + " bools");
      }
      for (int i = 0; i < out.length; i++) {
        out[i] = t.getRawData().byteAt(i) != 0 ? 1 : 0;
      }
    } else {
      if (t.getInt32DataCount() != count) {
        throw refuse(n, "int32_data has " + t.getInt32DataCount() + " values for " + count
            + " bools");
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
