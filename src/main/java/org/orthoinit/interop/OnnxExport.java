package org.orthoinit.interop;

import java.nio.file.Path;
import java.util.List;
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
import org.orthoinit.model.Architecture;
import org.orthoinit.model.Layer;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.Parameter;

/**
 * Writes a model as ONNX in PyTorch's layout, as {@code torch.onnx.export} of the seed's AlexNet in
 * eval mode would: input {@code images} [N, 3, 32, 32] NCHW, output {@code logits} [N, classes],
 * opset 13, initializers named and shaped as PyTorch's state_dict (OIHW kernels, [out, in] linear
 * weights), so PyTorch can load them into the seed's model by name and ONNX Runtime can run it.
 * Dropout is left out (identity in evaluation); batch norm uses its running statistics.
 */
public final class OnnxExport {

  public static final long OPSET = 13;
  /** The IR version that goes with opset 13. */
  public static final long IR_VERSION = 7;
  public static final String INPUT = "images";
  public static final String OUTPUT = "logits";
  private static final String BATCH = "N";

  private OnnxExport() {}

  /** The ONNX model of {@code config} with {@code weights} in TensorFlow's layout. */
  public static ModelProto model(ModelConfig config, Map<String, float[]> weights) {
    Architecture architecture = Architecture.of(config);
    GraphProto.Builder g = GraphProto.newBuilder().setName("alexnet");
    for (Parameter p : architecture.parameters()) {
      g.addInitializer(tensor(p.name(), TorchImport.torchShape(p),
          TorchImport.toTorch(p, require(weights, p.name()))));
    }
    for (Layer.BatchNorm bn : architecture.batchNorms()) {
      long[] shape = {bn.channels()};
      g.addInitializer(tensor(bn.runningMean(), shape, require(weights, bn.runningMean())));
      g.addInitializer(tensor(bn.runningVar(), shape, require(weights, bn.runningVar())));
    }
    String x = INPUT;
    for (Layer layer : architecture.features()) {
      x = node(g, layer, x);
    }
    String flat = "flatten";
    g.addNode(NodeProto.newBuilder().setOpType("Flatten").setName(flat).addInput(x)
        .addOutput(flat).addAttribute(intAttr("axis", 1)));
    x = flat;
    List<Layer> classifier = architecture.classifier();
    for (int i = 0; i < classifier.size(); i++) {
      Layer layer = classifier.get(i);
      if (layer instanceof Layer.Dropout) {
        continue;
      }
      x = node(g, layer, x);
    }
    // rename the last output to the graph output
    int last = g.getNodeCount() - 1;
    g.setNode(last, g.getNode(last).toBuilder().setOutput(0, OUTPUT));
    g.addInput(value(INPUT, Architecture.IMAGE_CHANNELS, Architecture.IMAGE_SIZE,
        Architecture.IMAGE_SIZE));
    g.addOutput(value(OUTPUT, config.classes()));
    return ModelProto.newBuilder()
        .setIrVersion(IR_VERSION)
        .setProducerName("orthoinit")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
        .setGraph(g)
        .build();
  }

  /**
   * Writes the model to {@code file} atomically; before the temporary file replaces it, it is
   * read back as {@code predict} and {@code init} would read it and must give the same weights
   * bit for bit. When that check fails, {@code file} is left as it was.
   */
  public static void write(Path file, ModelConfig config, Map<String, float[]> weights)
      throws InteropException {
    OnnxModel.write(file, model(config, weights), written -> {
      try {
        Weights.requireSame(file, weights, TorchImport.read(written).weights());
      } catch (InteropException e) {
        throw e.file() != null && e.file().equals(written) ? Weights.notKept(file, written, e) : e;
      }
    });
  }

  /** Adds the node(s) of one layer reading {@code in}; returns its output name. */
  private static String node(GraphProto.Builder g, Layer layer, String in) {
    String out = layer.name();
    NodeProto.Builder n = NodeProto.newBuilder().setName(layer.name()).addInput(in).addOutput(out);
    if (layer instanceof Layer.Conv c) {
      n.setOpType("Conv").addInput(c.weight());
      if (c.bias()) {
        n.addInput(c.biasName());
      }
      int p = c.padding();
      n.addAttribute(ints("kernel_shape", c.kernel(), c.kernel()))
          .addAttribute(ints("pads", p, p, p, p))
          .addAttribute(ints("strides", c.stride(), c.stride()));
    } else if (layer instanceof Layer.MaxPool) {
      n.setOpType("MaxPool").addAttribute(ints("kernel_shape", 2, 2))
          .addAttribute(ints("strides", 2, 2));
    } else if (layer instanceof Layer.Relu) {
      n.setOpType("Relu");
    } else if (layer instanceof Layer.BatchNorm b) {
      n.setOpType("BatchNormalization").addInput(b.weight()).addInput(b.biasName())
          .addInput(b.runningMean()).addInput(b.runningVar())
          .addAttribute(AttributeProto.newBuilder().setName("epsilon")
              .setType(AttributeProto.AttributeType.FLOAT).setF(1e-5f));
    } else if (layer instanceof Layer.Linear l) {
      n.setOpType("Gemm").addInput(l.weight()).addInput(l.biasName())
          .addAttribute(intAttr("transB", 1));
    } else {
      throw new IllegalStateException("no ONNX node for " + layer);
    }
    g.addNode(n);
    return out;
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
