package org.orthoinit.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.orthoinit.TestImages;
import org.orthoinit.TestNetworks;
import org.orthoinit.interop.onnx.AttributeProto;
import org.orthoinit.interop.onnx.GraphProto;
import org.orthoinit.interop.onnx.ModelProto;
import org.orthoinit.interop.onnx.NodeProto;
import org.orthoinit.interop.onnx.OperatorSetIdProto;
import org.orthoinit.interop.onnx.TensorProto;
import org.orthoinit.interop.onnx.TensorShapeProto;
import org.orthoinit.interop.onnx.TypeProto;
import org.orthoinit.interop.onnx.ValueInfoProto;
import org.orthoinit.model.Compute;
import org.orthoinit.model.Layer;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.Network;

/**
 * What the importer reads as ConvNeXt's layers and what it leaves alone: a Mul by a per-channel
 * buffer of another name than a layer scale's stays a constant; a MatMul of a 1-D signal's
 * flattened vector is a linear layer; LayerNormalization at axis 1 of a [N, C, 1, 1] image takes
 * its weights as [C, 1, 1], as ONNX broadcasts them.
 */
class ChannelsLastImportTest {

  private static final Path FILE = Path.of("net.onnx");

  @Test
  void aPerChannelBufferOfAnotherNameStaysAConstant() throws Exception {
    Network block = TestNetworks.convnextBlock();
    Map<String, float[]> weights = TestNetworks.randomWeights(block, 3);
    ModelProto m = OnnxExport.model(block, weights);
    float[] x = TestImages.uniform(2, 4);
    float[] expected = logits(OnnxImport.read(OnnxModel.of(FILE, m)), x);
    // the layer scale renamed as a buffer would be: same values, no longer a parameter
    ModelProto renamed = renamed(m, "block.layer_scale", "block.gain");
    OnnxImport.Imported read = OnnxImport.read(OnnxModel.of(FILE, renamed));
    assertTrue(read.network().layers().stream().noneMatch(l -> l instanceof Layer.Scale),
        "no layer scale");
    assertFalse(read.network().parameters().stream().anyMatch(p -> p.name().contains("gain")),
        "the buffer is not trained");
    assertArrayEquals(expected, logits(read, x), 1e-6f);
  }

  @Test
  void aMatMulOfAFlattenedSignalIsALinearLayer() throws Exception {
    // [N, 4, 16] -> Flatten -> MatMul by [64, 10]
    float[] w = new float[64 * 10];
    for (int i = 0; i < w.length; i++) {
      w[i] = (i % 13 - 6) / 10f;
    }
    GraphProto.Builder g = GraphProto.newBuilder().setName("signal")
        .addInput(value("x", 4, 16)).addOutput(value("y", 10))
        .addInitializer(new OnnxModel.Weight("fc.weight", new long[] {64, 10}, w)
            .toTensorProto())
        .addNode(NodeProto.newBuilder().setOpType("Flatten").setName("flat").addInput("x")
            .addOutput("flat").addAttribute(AttributeProto.newBuilder().setName("axis")
                .setType(AttributeProto.AttributeType.INT).setI(1)))
        .addNode(NodeProto.newBuilder().setOpType("MatMul").setName("fc").addInput("flat")
            .addInput("fc.weight").addOutput("y"));
    ModelProto m = ModelProto.newBuilder().setIrVersion(7).setGraph(g)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(13)).build();
    OnnxImport.Imported read = OnnxImport.read(OnnxModel.of(FILE, m),
        new OnnxImport.Options(false, Map.of()));
    assertTrue(read.network().layers().get(1) instanceof Layer.Linear l && l.in() == 64
        && l.out() == 10, read.network().layers().toString());
  }

  @Test
  void aLayerNormOfAPooledImageTakesItsWeightsAsOnnxBroadcastsThem() throws Exception {
    for (long[] dims : List.of(new long[] {8, 1, 1}, new long[] {1, 8, 1, 1})) {
      Layer ln = layerNorm(dims).network().layers().get(2);
      assertEquals(new Layer.LayerNorm("head", "pool", 8, 1e-5f, true), ln);
    }
    InteropException flat = assertThrows(InteropException.class, () -> layerNorm(
        new long[] {8}));
    assertTrue(flat.getMessage().contains("has shape [8], expected [8, 1, 1]"),
        flat.getMessage());
  }

  /** Conv 3 -> 8, GlobalAveragePool, LayerNormalization(axis 1) with weights of {@code dims}. */
  private static OnnxImport.Imported layerNorm(long[] dims) throws InteropException {
    float[] kernel = new float[8 * 3 * 3 * 3];
    for (int i = 0; i < kernel.length; i++) {
      kernel[i] = (i % 7 - 3) / 10f;
    }
    float[] ones = new float[8];
    java.util.Arrays.fill(ones, 1f);
    GraphProto.Builder g = GraphProto.newBuilder().setName("head")
        .addInput(value("images", 3, 32, 32)).addOutput(value("logits", 8, 1, 1))
        .addInitializer(new OnnxModel.Weight("c.weight", new long[] {8, 3, 3, 3}, kernel)
            .toTensorProto())
        .addInitializer(new OnnxModel.Weight("head.weight", dims, ones).toTensorProto())
        .addInitializer(new OnnxModel.Weight("head.bias", dims, new float[8]).toTensorProto())
        .addNode(NodeProto.newBuilder().setOpType("Conv").setName("c").addInput("images")
            .addInput("c.weight").addOutput("c"))
        .addNode(NodeProto.newBuilder().setOpType("GlobalAveragePool").setName("pool")
            .addInput("c").addOutput("pool"))
        .addNode(NodeProto.newBuilder().setOpType("LayerNormalization").setName("head")
            .addInput("pool").addInput("head.weight").addInput("head.bias").addOutput("logits")
            .addAttribute(AttributeProto.newBuilder().setName("axis")
                .setType(AttributeProto.AttributeType.INT).setI(1)));
    ModelProto m = ModelProto.newBuilder().setIrVersion(8).setGraph(g)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(17)).build();
    return OnnxImport.read(OnnxModel.of(FILE, m), new OnnxImport.Options(false, Map.of()));
  }

  /** {@code m} with initializer {@code from} (and every node input of it) named {@code to}. */
  private static ModelProto renamed(ModelProto m, String from, String to) {
    GraphProto.Builder g = m.getGraph().toBuilder();
    for (int i = 0; i < g.getInitializerCount(); i++) {
      if (g.getInitializer(i).getName().equals(from)) {
        g.setInitializer(i, g.getInitializer(i).toBuilder().setName(to));
      }
    }
    for (int i = 0; i < g.getNodeCount(); i++) {
      NodeProto.Builder n = g.getNode(i).toBuilder();
      for (int k = 0; k < n.getInputCount(); k++) {
        if (n.getInput(k).equals(from)) {
          n.setInput(k, to);
        }
      }
      g.setNode(i, n);
    }
    return m.toBuilder().setGraph(g).build();
  }

  private static float[] logits(OnnxImport.Imported imported, float[] x) {
    try (ModelSession s = ModelSession.open(imported.network(), 0, 1, Compute.CPU)) {
      s.assign(imported.weights());
      return s.predict(x, 2).logits();
    }
  }

  /** A float graph value [N, dims...]. */
  private static ValueInfoProto value(String name, long... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder()
        .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("N"));
    for (long d : dims) {
      shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
    }
    return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
        .setTensorType(TypeProto.Tensor.newBuilder()
            .setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape))).build();
  }
}
