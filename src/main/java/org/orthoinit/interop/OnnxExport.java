package org.orthoinit.interop;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.orthoinit.interop.onnx.AttributeProto;
import org.orthoinit.interop.onnx.GraphProto;
import org.orthoinit.interop.onnx.ModelProto;
import org.orthoinit.interop.onnx.NodeProto;
import org.orthoinit.interop.onnx.OperatorSetIdProto;
import org.orthoinit.interop.onnx.TensorProto;
import org.orthoinit.interop.onnx.TensorShapeProto;
import org.orthoinit.interop.onnx.TypeProto;
import org.orthoinit.interop.onnx.ValueInfoProto;
import org.orthoinit.model.AlexNet;
import org.orthoinit.model.Dims;
import org.orthoinit.model.Layer;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.Network;
import org.orthoinit.model.Parameter;
import org.orthoinit.model.Window;

/**
 * Writes a network as ONNX in PyTorch's layout, as {@code torch.onnx.export} would: input
 * {@code images} [N, 3, 32, 32] NCHW, output {@code logits} [N, classes], opset 13 (14 with a
 * HardSwish), one node per layer named as the layer, initializers named and shaped as PyTorch's
 * state_dict (OIHW kernels, [out, in] linear weights), so PyTorch can load them into the module
 * by name and ONNX Runtime can run it. Dropout nodes carry their ratio (the identity in
 * evaluation); batch norm uses its running statistics. {@link OnnxImport} reads the file back
 * into the same network.
 */
public final class OnnxExport {

  public static final long OPSET = 13;
  /** The opset of a network with a HardSwish, the first that defines it. */
  public static final long HARD_SWISH_OPSET = 14;
  /** The IR version that goes with opsets 13 and 14. */
  public static final long IR_VERSION = 7;
  public static final String INPUT = Network.INPUT_NAME;
  public static final String OUTPUT = "logits";
  private static final String BATCH = "N";

  private OnnxExport() {}

  /** The ONNX model of the seed's AlexNet of {@code config}. */
  public static ModelProto model(ModelConfig config, Map<String, float[]> weights) {
    return model(AlexNet.of(config), weights);
  }

  /** The ONNX model of {@code network} with {@code weights} in TensorFlow's layout. */
  public static ModelProto model(Network network, Map<String, float[]> weights) {
    GraphProto.Builder g = GraphProto.newBuilder().setName(network.name());
    for (Parameter p : network.parameters()) {
      g.addInitializer(tensor(p.name(), Layouts.torchShape(p),
          Layouts.toTorch(p, require(weights, p.name()))));
    }
    for (Layer.BatchNorm bn : network.batchNorms()) {
      long[] shape = {bn.channels()};
      g.addInitializer(tensor(bn.runningMean(), shape, require(weights, bn.runningMean())));
      g.addInitializer(tensor(bn.runningVar(), shape, require(weights, bn.runningVar())));
    }
    for (Layer layer : network.layers()) {
      node(g, network, layer, tensor(network, layer.name()));
    }
    g.addInput(value(INPUT, Network.IMAGE_CHANNELS, Network.IMAGE_SIZE, Network.IMAGE_SIZE));
    g.addOutput(value(OUTPUT, network.classes()));
    return ModelProto.newBuilder()
        .setIrVersion(IR_VERSION)
        .setProducerName("orthoinit")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset(network)))
        .setGraph(g)
        .build();
  }

  /** Opset 13, or 14 for a network with a HardSwish (one node per layer, as every layer). */
  static long opset(Network network) {
    return network.layers().stream().anyMatch(l -> l instanceof Layer.HardSwish)
        ? HARD_SWISH_OPSET : OPSET;
  }

  /** {@link #write(Path, Network, Map)} for the seed's AlexNet of {@code config}. */
  public static void write(Path file, ModelConfig config, Map<String, float[]> weights)
      throws InteropException {
    write(file, AlexNet.of(config), weights);
  }

  /**
   * Writes the model to {@code file} atomically; before the temporary file replaces it, it is
   * read back as {@code predict} and {@code init} would read it and must give the same network
   * and the same weights bit for bit. When that check fails, {@code file} is left as it was.
   */
  public static void write(Path file, Network network, Map<String, float[]> weights)
      throws InteropException {
    OnnxModel.write(file, model(network, weights), written -> check(file, written, network,
        weights));
  }

  /** Reads {@code written} back: the same network and the same weights, bit for bit. */
  private static void check(Path file, Path written, Network network,
      Map<String, float[]> weights) throws InteropException {
    try {
      OnnxImport.Imported back = OnnxImport.read(written);
      if (!back.network().equals(network)) {
        throw Weights.notKept(file, written, new InteropException(written,
            "reads back as a different network"));
      }
      Weights.requireSame(file, weights, back.weights());
    } catch (InteropException e) {
      throw e.file() != null && e.file().equals(written) ? Weights.notKept(file, written, e) : e;
    }
  }

  /**
   * The file {@code imported} was read from, with only the values of its weights replaced by
   * {@code weights} (TensorFlow layout, as the session reads them). Nodes, names, order, opsets,
   * metadata and every other tensor are kept as they were, so the file still loads by name into
   * the module it was exported from, and still runs wherever it ran.
   *
   * @throws InteropException if two variables the file stores as one tensor (its exporter keeps
   *     equal values once) now differ
   */
  public static ModelProto update(OnnxImport.Imported imported, Map<String, float[]> weights)
      throws InteropException {
    Network network = imported.network();
    Map<String, float[]> byTensor = new HashMap<>();
    Map<String, String> holder = new HashMap<>();
    for (Parameter p : network.parameters()) {
      float[] torch = Layouts.toTorch(p, require(weights, p.name()));
      OnnxImport.Source source = imported.sources().get(p.name());
      if (source.tensor() == null) {
        throw new InteropException(imported.model().file(), "'" + p.name() + "' was computed at"
            + " import from the file's tensors, not read from one, and cannot be written back");
      }
      long[] shape = Layouts.torchShape(p);
      float[] values = source.transposed()
          ? Layouts.transpose(torch, (int) shape[0], (int) shape[1]) : torch;
      place(imported, byTensor, holder, p.name(), fileValues(imported, p.name(), source, values));
    }
    for (Layer.BatchNorm bn : network.batchNorms()) {
      place(imported, byTensor, holder, bn.runningMean(), require(weights, bn.runningMean()));
      place(imported, byTensor, holder, bn.runningVar(), require(weights, bn.runningVar()));
    }
    ModelProto.Builder model = imported.model().proto().toBuilder();
    GraphProto.Builder g = model.getGraphBuilder();
    Set<String> replaced = new HashSet<>();
    for (int i = 0; i < g.getInitializerCount(); i++) {
      TensorProto t = g.getInitializer(i);
      float[] v = byTensor.get(t.getName());
      if (v != null) {
        g.setInitializer(i, replaced(t, v));
        replaced.add(t.getName());
      }
    }
    for (int i = 0; i < g.getNodeCount(); i++) {
      NodeProto n = g.getNode(i);
      if (n.getOpType().equals("Constant") && n.getOutputCount() == 1
          && byTensor.containsKey(n.getOutput(0))) {
        NodeProto.Builder b = n.toBuilder();
        for (int a = 0; a < b.getAttributeCount(); a++) {
          if (b.getAttribute(a).getName().equals("value")) {
            b.setAttribute(a, b.getAttribute(a).toBuilder()
                .setT(replaced(b.getAttribute(a).getT(), byTensor.get(n.getOutput(0)))));
          }
        }
        g.setNode(i, b);
        replaced.add(n.getOutput(0));
      }
    }
    Set<String> missing = new TreeSet<>(byTensor.keySet());
    missing.removeAll(replaced);
    if (!missing.isEmpty()) {
      throw new IllegalStateException("tensors not found in the file: " + missing);
    }
    return model.build();
  }

  /**
   * Writes {@link #update} to {@code file} atomically, after reading it back: the same network,
   * and the same weights bit for bit, or {@code file} is left as it was.
   */
  public static void writeUpdated(Path file, OnnxImport.Imported imported,
      Map<String, float[]> weights) throws InteropException {
    OnnxModel.write(file, update(imported, weights), written -> check(file, written,
        imported.network(), weights));
  }

  private static void place(OnnxImport.Imported imported, Map<String, float[]> byTensor,
      Map<String, String> holder, String variable, float[] values) throws InteropException {
    String tensor = imported.sources().get(variable).tensor();
    float[] before = byTensor.putIfAbsent(tensor, values);
    if (before != null && !Arrays.equals(before, values)) {
      throw new InteropException(imported.model().file(), "'" + holder.get(tensor) + "' and '"
          + variable + "' are one tensor in the file ('" + tensor + "': its exporter stored "
          + "their equal values once) but now differ, and the file cannot hold both");
    }
    holder.putIfAbsent(tensor, variable);
  }

  /**
   * The values the file holds for a variable: divided by the factor the import multiplied them
   * by (a Gemm's alpha or beta), and one value where the file holds one for all.
   */
  private static float[] fileValues(OnnxImport.Imported imported, String variable,
      OnnxImport.Source source, float[] values) throws InteropException {
    float[] out = values;
    if (source.factor() != 1f) {
      out = new float[values.length];
      for (int i = 0; i < out.length; i++) {
        out[i] = values[i] / source.factor();
      }
    }
    if (source.broadcast()) {
      for (float v : out) {
        if (Float.compare(v, out[0]) != 0) {
          throw new InteropException(imported.model().file(), "'" + variable + "' is one value "
              + "for every output in the file ('" + source.tensor() + "') but now differs "
              + "between outputs, and the file cannot hold that");
        }
      }
      out = new float[] {out[0]};
    }
    return out;
  }

  /** {@code t} with {@code values} in place of its own (same name, dims and everything else). */
  private static TensorProto replaced(TensorProto t, float[] values) {
    long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
    if (t.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
      throw new IllegalStateException(t.getName() + " is not float32");
    }
    TensorProto encoded = new OnnxModel.Weight(t.getName(), dims, values).toTensorProto();
    return t.toBuilder().clearFloatData().setRawData(encoded.getRawData()).build();
  }

  /**
   * The tensor holding a layer's output: named as the layer, but the network's output is
   * {@link #OUTPUT}, and a layer scale's is {@code <name>.scaled}, since its parameter is named as
   * the layer (PyTorch's {@code features.1.0.layer_scale}) and ONNX gives a name one tensor.
   */
  static String tensor(Network network, String layer) {
    if (layer.equals(network.output())) {
      return OUTPUT;
    }
    return !layer.equals(Network.INPUT_NAME) && network.layer(layer) instanceof Layer.Scale
        ? layer + ".scaled" : layer;
  }

  /** Adds the node of one layer, writing {@code out}; constants it needs go before it. */
  private static void node(GraphProto.Builder g, Network network, Layer layer, String out) {
    NodeProto.Builder n = NodeProto.newBuilder().setName(layer.name()).addOutput(out);
    for (String in : layer.inputs()) {
      n.addInput(tensor(network, in));
    }
    g.addNode(layer.accept(new NodeWriter(g, n, network)));
  }

  /**
   * Completes a layer's node {@code n} (name, inputs and output set); constants, and the nodes
   * before it of a layer that takes several, go to {@code g}.
   */
  private record NodeWriter(GraphProto.Builder g, NodeProto.Builder n, Network network)
      implements Layer.Visitor<NodeProto.Builder> {
    @Override
    public NodeProto.Builder conv(Layer.Conv c) {
      n.setOpType("Conv").addInput(c.weight());
      if (c.bias()) {
        n.addInput(c.biasName());
      }
      Window w = c.window();
      return n.addAttribute(ints("kernel_shape", w.kernelH(), w.kernelW()))
          .addAttribute(ints("pads", w.padTop(), w.padLeft(), w.padBottom(), w.padRight()))
          .addAttribute(ints("strides", w.strideH(), w.strideW()))
          .addAttribute(ints("dilations", w.dilationH(), w.dilationW()))
          .addAttribute(intAttr("group", c.groups()));
    }

    @Override
    public NodeProto.Builder maxPool(Layer.MaxPool p) {
      return pool(n.setOpType("MaxPool"), p.window(), p.ceilMode());
    }

    @Override
    public NodeProto.Builder avgPool(Layer.AvgPool p) {
      return pool(n.setOpType("AveragePool"), p.window(), p.ceilMode())
          .addAttribute(intAttr("count_include_pad", p.countIncludePad() ? 1 : 0));
    }

    @Override
    public NodeProto.Builder globalAvgPool(Layer.GlobalAvgPool p) {
      return n.setOpType("GlobalAveragePool");
    }

    @Override
    public NodeProto.Builder relu(Layer.Relu r) {
      return n.setOpType("Relu");
    }

    @Override
    public NodeProto.Builder leakyRelu(Layer.LeakyRelu r) {
      return n.setOpType("LeakyRelu").addAttribute(floatAttr("alpha", r.alpha()));
    }

    @Override
    public NodeProto.Builder sigmoid(Layer.Sigmoid g) {
      return n.setOpType("Sigmoid");
    }

    @Override
    public NodeProto.Builder hardSigmoid(Layer.HardSigmoid g) {
      return n.setOpType("HardSigmoid").addAttribute(floatAttr("alpha", g.alpha()))
          .addAttribute(floatAttr("beta", g.beta()));
    }

    @Override
    public NodeProto.Builder hardSwish(Layer.HardSwish g) {
      return n.setOpType("HardSwish");
    }

    @Override
    public NodeProto.Builder erf(Layer.Erf e) {
      return n.setOpType("Erf");
    }

    @Override
    public NodeProto.Builder clip(Layer.Clip c) {
      return n.setOpType("Clip").addInput(constant(g, c.name() + ".min", c.min()))
          .addInput(constant(g, c.name() + ".max", c.max()));
    }

    @Override
    public NodeProto.Builder batchNorm(Layer.BatchNorm b) {
      // ONNX's momentum weighs the running value: 1 - PyTorch's
      return n.setOpType("BatchNormalization").addInput(b.weight()).addInput(b.biasName())
          .addInput(b.runningMean()).addInput(b.runningVar())
          .addAttribute(floatAttr("epsilon", b.epsilon()))
          .addAttribute(floatAttr("momentum", 1f - b.momentum()));
    }

    @Override
    public NodeProto.Builder layerNorm(Layer.LayerNorm l) {
      // as PyTorch writes it before opset 17: on an image, channels moved last and back; the
      // statistics over the last axis, the population variance
      boolean image = !network.dims(l.input()).flat();
      String at = l.name();
      String x = image ? step(g, "Transpose", at + ".last", List.of(tensor(network, l.input())),
          ints("perm", 0, 2, 3, 1)) : tensor(network, l.input());
      // the first step's node is named as the layer (an import names it so); the last one's not
      String mean = at + ".mean";
      g.addNode(NodeProto.newBuilder().setOpType("ReduceMean").setName(at).addInput(x)
          .addOutput(mean).addAttribute(ints("axes", -1)));
      n.setName(at + ".out");
      String centred = step(g, "Sub", at + ".centred", List.of(x, mean), null);
      String square = step(g, "Pow", at + ".square", List.of(centred,
          constant(g, at + ".two", 2f)), null);
      String variance = step(g, "ReduceMean", at + ".variance", List.of(square),
          ints("axes", -1));
      String shifted = step(g, "Add", at + ".shifted", List.of(variance,
          constant(g, at + ".epsilon", l.epsilon())), null);
      String std = step(g, "Sqrt", at + ".std", List.of(shifted), null);
      String y = step(g, "Div", at + ".normalized", List.of(centred, std), null);
      if (l.affine()) {
        y = step(g, "Mul", at + ".scaled", List.of(y, l.weight()), null);
        y = step(g, "Add", at + ".shift", List.of(y, l.biasName()), null);
      }
      return image ? n.setOpType("Transpose").clearInput().addInput(y)
          .addAttribute(ints("perm", 0, 3, 1, 2))
          : n.setOpType("Identity").clearInput().addInput(y);
    }

    @Override
    public NodeProto.Builder scale(Layer.Scale c) {
      return n.setOpType("Mul").addInput(c.weight());
    }

    @Override
    public NodeProto.Builder dropout(Layer.Dropout d) {
      return n.setOpType("Dropout").addInput(constant(g, d.name() + ".ratio", d.p()));
    }

    @Override
    public NodeProto.Builder arithmetic(Layer.Arithmetic a) {
      String c = a.name() + ".constant";
      Dims d = a.shape();
      long[] dims = d.flat() ? new long[] {1, d.channels()}
          : new long[] {1, d.channels(), d.height(), d.width()};
      g.addInitializer(new OnnxModel.Weight(c, dims, a.values()).toTensorProto());
      n.setOpType(a.op().onnx());
      return a.constantFirst() ? n.clearInput().addInput(c).addInput(tensor(network, a.input())) : n.addInput(c);
    }

    @Override
    public NodeProto.Builder add(Layer.Add a) {
      return n.setOpType(a.inputs().size() == 2 ? "Add" : "Sum");
    }

    @Override
    public NodeProto.Builder elementwise(Layer.Elementwise e) {
      return n.setOpType(e.op().onnx());
    }

    @Override
    public NodeProto.Builder concat(Layer.Concat c) {
      return n.setOpType("Concat").addAttribute(intAttr("axis", c.axis()));
    }

    @Override
    public NodeProto.Builder channelShuffle(Layer.ChannelShuffle c) {
      Dims d = network.dims(c.name());
      String split = c.name() + ".split";
      String swapped = c.name() + ".transposed";
      g.addNode(NodeProto.newBuilder().setOpType("Reshape").setName(split).addInput(tensor(network, c.input()))
          .addInput(longs(g, split + ".shape", 0, c.groups(), d.channels() / c.groups(),
              d.height(), d.width()))
          .addOutput(split));
      g.addNode(NodeProto.newBuilder().setOpType("Transpose").setName(swapped).addInput(split)
          .addAttribute(ints("perm", 0, 2, 1, 3, 4)).addOutput(swapped));
      return n.setOpType("Reshape").clearInput().addInput(swapped)
          .addInput(longs(g, c.name() + ".shape", 0, d.channels(), d.height(), d.width()));
    }

    @Override
    public NodeProto.Builder channelSlice(Layer.ChannelSlice c) {
      return n.setOpType("Slice").addInput(longs(g, c.name() + ".starts", c.from()))
          .addInput(longs(g, c.name() + ".ends", c.to()))
          .addInput(longs(g, c.name() + ".axes", 1));
    }

    @Override
    public NodeProto.Builder flatten(Layer.Flatten f) {
      return n.setOpType("Flatten").addAttribute(intAttr("axis", 1));
    }

    @Override
    public NodeProto.Builder linear(Layer.Linear l) {
      if (!network.dims(l.input()).flat()) {
        // on an image, as PyTorch writes a Linear on a channels-last tensor: the product by the
        // weight's transpose, then the bias
        String at = l.name();
        String x = step(g, "Transpose", at + ".last", List.of(tensor(network, l.input())),
            ints("perm", 0, 2, 3, 1));
        String w = step(g, "Transpose", at + ".weight_t", List.of(l.weight()), ints("perm", 1,
            0));
        String y = step(g, "MatMul", at + ".product", List.of(x, w), null);
        if (l.bias()) {
          y = step(g, "Add", at + ".biased", List.of(l.biasName(), y), null);
        }
        return n.setOpType("Transpose").clearInput().addInput(y)
            .addAttribute(ints("perm", 0, 3, 1, 2));
      }
      n.setOpType("Gemm").addInput(l.weight());
      if (l.bias()) {
        n.addInput(l.biasName());
      }
      return n.addAttribute(intAttr("transB", 1));
    }
  }

  /**
   * Adds a node {@code op} named {@code name} of {@code inputs} (and {@code attribute}, null for
   * none) whose output is named as it; returns the name.
   */
  private static String step(GraphProto.Builder g, String op, String name, List<String> inputs,
      AttributeProto attribute) {
    NodeProto.Builder b = NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(inputs)
        .addOutput(name);
    if (attribute != null) {
      b.addAttribute(attribute);
    }
    g.addNode(b);
    return name;
  }

  private static NodeProto.Builder pool(NodeProto.Builder n, Window w, boolean ceil) {
    return n.addAttribute(ints("kernel_shape", w.kernelH(), w.kernelW()))
        .addAttribute(ints("pads", w.padTop(), w.padLeft(), w.padBottom(), w.padRight()))
        .addAttribute(ints("strides", w.strideH(), w.strideW()))
        .addAttribute(intAttr("ceil_mode", ceil ? 1 : 0));
  }

  /** A Constant node giving the float scalar {@code value} as {@code name}; returns the name. */
  private static String constant(GraphProto.Builder g, String name, float value) {
    TensorProto t = TensorProto.newBuilder().setDataType(TensorProto.DataType.FLOAT_VALUE)
        .addFloatData(value).build();
    g.addNode(NodeProto.newBuilder().setOpType("Constant").setName(name).addOutput(name)
        .addAttribute(AttributeProto.newBuilder().setName("value")
            .setType(AttributeProto.AttributeType.TENSOR).setT(t)));
    return name;
  }

  /** An int64 vector initializer {@code name}; returns the name. */
  private static String longs(GraphProto.Builder g, String name, long... values) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name)
        .setDataType(TensorProto.DataType.INT64_VALUE).addDims(values.length);
    for (long v : values) {
      t.addInt64Data(v);
    }
    g.addInitializer(t);
    return name;
  }

  private static AttributeProto floatAttr(String name, float value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT)
        .setF(value).build();
  }

  private static AttributeProto intAttr(String name, long value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT)
        .setI(value).build();
  }

  private static AttributeProto ints(String name, long... values) {
    AttributeProto.Builder a = AttributeProto.newBuilder().setName(name)
        .setType(AttributeProto.AttributeType.INTS);
    for (long v : values) {
      a.addInts(v);
    }
    return a.build();
  }

  private static TensorProto tensor(String name, long[] dims, float[] values) {
    return new OnnxModel.Weight(name, dims, values).toTensorProto();
  }

  /** A float tensor value with a symbolic batch dimension first. */
  private static ValueInfoProto value(String name, long... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder()
        .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam(BATCH));
    for (long d : dims) {
      shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
        .setTensorType(TypeProto.Tensor.newBuilder()
            .setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape))).build();
  }

  private static float[] require(Map<String, float[]> weights, String name) {
    float[] v = weights.get(name);
    if (v == null) {
      throw new IllegalStateException("no value for " + name);
    }
    return v;
  }
}
