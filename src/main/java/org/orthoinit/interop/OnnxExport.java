package org.orthoinit.interop;

import java.nio.file.Path;
import java.util.Map;
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
import org.orthoinit.model.Layer;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.Network;
import org.orthoinit.model.Parameter;
import org.orthoinit.model.Window;

/**
 * Writes a network as ONNX in PyTorch's layout, as {@code torch.onnx.export} would: input
 * {@code images} [N, 3, 32, 32] NCHW, output {@code logits} [N, classes], opset 13, one node per
 * layer named as the layer, initializers named and shaped as PyTorch's state_dict (OIHW kernels,
 * [out, in] linear weights), so PyTorch can load them into the module by name and ONNX Runtime
 * can run it. Dropout nodes carry their ratio (the identity in evaluation); batch norm uses its
 * running statistics. {@link OnnxImport} reads the file back into the same network.
 */
public final class OnnxExport {

  public static final long OPSET = 13;
  /** The IR version that goes with opset 13. */
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
      g.addInitializer(tensor(p.name(), TorchImport.torchShape(p),
          TorchImport.toTorch(p, require(weights, p.name()))));
    }
    for (Layer.BatchNorm bn : network.batchNorms()) {
      long[] shape = {bn.channels()};
      g.addInitializer(tensor(bn.runningMean(), shape, require(weights, bn.runningMean())));
      g.addInitializer(tensor(bn.runningVar(), shape, require(weights, bn.runningVar())));
    }
    for (Layer layer : network.layers()) {
      node(g, layer, layer.name().equals(network.output()) ? OUTPUT : layer.name());
    }
    g.addInput(value(INPUT, Network.IMAGE_CHANNELS, Network.IMAGE_SIZE, Network.IMAGE_SIZE));
    g.addOutput(value(OUTPUT, network.classes()));
    return ModelProto.newBuilder()
        .setIrVersion(IR_VERSION)
        .setProducerName("orthoinit")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
        .setGraph(g)
        .build();
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
    OnnxModel.write(file, model(network, weights), written -> {
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
    });
  }

  /** Adds the node of one layer, writing {@code out}; constants it needs go before it. */
  private static void node(GraphProto.Builder g, Layer layer, String out) {
    NodeProto.Builder n = NodeProto.newBuilder().setName(layer.name()).addOutput(out);
    for (String in : layer.inputs()) {
      n.addInput(in);
    }
    if (layer instanceof Layer.Conv c) {
      n.setOpType("Conv").addInput(c.weight());
      if (c.bias()) {
        n.addInput(c.biasName());
      }
      Window w = c.window();
      n.addAttribute(ints("kernel_shape", w.kernelH(), w.kernelW()))
          .addAttribute(ints("pads", w.padTop(), w.padLeft(), w.padBottom(), w.padRight()))
          .addAttribute(ints("strides", w.strideH(), w.strideW()))
          .addAttribute(ints("dilations", w.dilationH(), w.dilationW()))
          .addAttribute(intAttr("group", c.groups()));
    } else if (layer instanceof Layer.MaxPool p) {
      pool(n.setOpType("MaxPool"), p.window(), p.ceilMode());
    } else if (layer instanceof Layer.AvgPool p) {
      pool(n.setOpType("AveragePool"), p.window(), p.ceilMode())
          .addAttribute(intAttr("count_include_pad", p.countIncludePad() ? 1 : 0));
    } else if (layer instanceof Layer.GlobalAvgPool) {
      n.setOpType("GlobalAveragePool");
    } else if (layer instanceof Layer.Relu) {
      n.setOpType("Relu");
    } else if (layer instanceof Layer.Clip c) {
      n.setOpType("Clip").addInput(constant(g, layer.name() + ".min", c.min()))
          .addInput(constant(g, layer.name() + ".max", c.max()));
    } else if (layer instanceof Layer.BatchNorm b) {
      // ONNX's momentum weighs the running value: 1 - PyTorch's
      n.setOpType("BatchNormalization").addInput(b.weight()).addInput(b.biasName())
          .addInput(b.runningMean()).addInput(b.runningVar())
          .addAttribute(floatAttr("epsilon", b.epsilon()))
          .addAttribute(floatAttr("momentum", 1f - b.momentum()));
    } else if (layer instanceof Layer.Dropout d) {
      n.setOpType("Dropout").addInput(constant(g, layer.name() + ".ratio", d.p()));
    } else if (layer instanceof Layer.Add a) {
      n.setOpType(a.inputs().size() == 2 ? "Add" : "Sum");
    } else if (layer instanceof Layer.Concat c) {
      n.setOpType("Concat").addAttribute(intAttr("axis", c.axis()));
    } else if (layer instanceof Layer.Flatten) {
      n.setOpType("Flatten").addAttribute(intAttr("axis", 1));
    } else if (layer instanceof Layer.Linear l) {
      n.setOpType("Gemm").addInput(l.weight());
      if (l.bias()) {
        n.addInput(l.biasName());
      }
      n.addAttribute(intAttr("transB", 1));
    } else {
      throw new IllegalStateException("no ONNX node for " + layer);
    }
    g.addNode(n);
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
