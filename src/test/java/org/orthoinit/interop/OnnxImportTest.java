package org.orthoinit.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.orthoinit.Fixtures;
import org.orthoinit.TestNetworks;
import org.orthoinit.interop.onnx.GraphProto;
import org.orthoinit.interop.onnx.ModelProto;
import org.orthoinit.interop.onnx.NodeProto;
import org.orthoinit.model.AlexNet;
import org.orthoinit.model.Layer;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.Network;

/** Reading the nodes of ONNX graphs: PyTorch's export of the seed, and what is refused. */
class OnnxImportTest {

  private static final Path FILE = Path.of("net.onnx");

  @Test
  void pytorchsExportReadsAsTheSeedsAlexNet() throws Exception {
    Path file = Fixtures.file("alexnet_L0.onnx");
    OnnxImport.Imported onnx = OnnxImport.read(file);
    Network n = onnx.network();
    // 13 features, the folded view(N, -1), 5 classifier layers (dropouts are not exported)
    assertEquals(19, n.layers().size());
    assertTrue(n.layer("features.2") instanceof Layer.Relu, "named by the module path");
    assertTrue(n.layers().get(13) instanceof Layer.Flatten, "Shape/Gather/Concat/Reshape");
    assertEquals(java.util.Optional.of(ModelConfig.of(0)), AlexNet.recognise(n));
    // the Identity-aliased biases are parameters of their own
    assertEquals(AlexNet.of(ModelConfig.of(0)).parameters().size(), onnx.weights().size());
  }

  /** Layers without a named weight are named by the module path in PyTorch's node names. */
  @Test
  void nodeNamesGiveTheModulePath() {
    assertEquals("trunk_output.block1.block1-0.f.a.0",
        ImportContext.modulePath("/trunk_output/block1/block1-0/f/a/a.0/Conv"));
    assertEquals("features.0.0",
        ImportContext.modulePath("/features/features.0/features.0.0/Conv"));
    assertEquals("features.2", ImportContext.modulePath("/features/features.2/Relu"));
    assertEquals("Flatten", ImportContext.modulePath("/Flatten"));
  }

  /** Our export of the zoo, with one node changed. */
  private static InteropException refused(String node, UnaryOperator<NodeProto> change) {
    Network zoo = TestNetworks.zoo();
    ModelProto m = OnnxExport.model(zoo, TestNetworks.randomWeights(zoo, 1));
    GraphProto.Builder g = m.getGraph().toBuilder();
    for (int i = 0; i < g.getNodeCount(); i++) {
      if (g.getNode(i).getName().equals(node)) {
        g.setNode(i, change.apply(g.getNode(i)));
      }
    }
    ModelProto changed = m.toBuilder().setGraph(g).build();
    return assertThrows(InteropException.class,
        () -> OnnxImport.read(OnnxModel.of(FILE, changed)));
  }

  /** The zoo's export with its GlobalAveragePool 'gap' as a ReduceMean of these settings. */
  private static ModelProto withReduceMean(Network zoo, long keepdims, long... axes) {
    ModelProto m = OnnxExport.model(zoo, TestNetworks.randomWeights(zoo, 1));
    GraphProto.Builder g = m.getGraph().toBuilder();
    for (int i = 0; i < g.getNodeCount(); i++) {
      if (g.getNode(i).getName().equals("gap")) {
        NodeProto.Builder b = g.getNode(i).toBuilder().setOpType("ReduceMean")
            .addAttribute(org.orthoinit.interop.onnx.AttributeProto.newBuilder()
                .setName("keepdims").setType(org.orthoinit.interop.onnx.AttributeProto
                    .AttributeType.INT).setI(keepdims));
        var axesAttribute = org.orthoinit.interop.onnx.AttributeProto.newBuilder()
            .setName("axes").setType(org.orthoinit.interop.onnx.AttributeProto.AttributeType.INTS);
        for (long a : axes) {
          axesAttribute.addInts(a);
        }
        g.setNode(i, b.addAttribute(axesAttribute).build());
      }
    }
    return m.toBuilder().setGraph(g).build();
  }

  /**
   * PyTorch's x.mean((2, 3)), with or without keepdims, reads as the global average pool it is:
   * the same network, or the pool and a flatten giving the same logits.
   */
  @Test
  void aMeanOverTheMapReadsAsAGlobalAveragePool() throws Exception {
    Network zoo = TestNetworks.zoo();
    var weights = TestNetworks.randomWeights(zoo, 1);
    assertEquals(zoo, OnnxImport.read(OnnxModel.of(FILE, withReduceMean(zoo, 1, 2, 3)))
        .network());
    OnnxImport.Imported flat = OnnxImport.read(OnnxModel.of(FILE, withReduceMean(zoo, 0, -1, -2)));
    assertTrue(flat.network().layer("gap") instanceof Layer.GlobalAvgPool);
    assertEquals(new Layer.Flatten("gap_1", "gap"), flat.network().layer("gap_1"));
    assertEquals(new Layer.Flatten("flat_gap", "gap_1"), flat.network().layer("flat_gap"));
    float[] x = org.orthoinit.TestImages.uniform(2, 3);
    float[] expected;
    float[] actual;
    try (var s = org.orthoinit.model.ModelSession.open(zoo, 0, 0,
        org.orthoinit.model.Compute.CPU)) {
      s.assign(weights);
      expected = s.predict(x, 2).logits();
    }
    try (var s = org.orthoinit.model.ModelSession.open(flat.network(), 0, 0,
        org.orthoinit.model.Compute.CPU)) {
      s.assign(flat.weights());
      actual = s.predict(x, 2).logits();
    }
    org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual, 1e-6f);
    InteropException channels = assertThrows(InteropException.class,
        () -> OnnxImport.read(OnnxModel.of(FILE, withReduceMean(zoo, 1, 1))));
    assertEquals("net.onnx: node 'gap' (ReduceMean, opset 13): only a mean over the spatial axes"
        + " of an image is supported, got axes [1] of 32x5x5", channels.getMessage());
  }

  @Test
  void whatCannotBeReadIsRefusedNamingTheNode() {
    assertEquals("net.onnx: node 'r1' (LRN, opset 13): this op is not supported",
        refused("r1", n -> n.toBuilder().setOpType("LRN").build()).getMessage());
    assertEquals("net.onnx: node 'dw' (Conv, opset 13): reads 'ghost', which no earlier node"
        + " gives (the graph is not in order, or has a cycle or a dangling input)",
        refused("dw", n -> n.toBuilder().setInput(0, "ghost").build()).getMessage());
    // a cycle: c0 reads what a later layer gives
    assertTrue(refused("c0", n -> n.toBuilder().setInput(0, "r1").build()).getMessage()
        .startsWith("net.onnx: node 'c0' (Conv, opset 13): reads 'r1', which no earlier node"));
    assertEquals("net.onnx: node 'fc1' (Gemm, opset 13): weight [20, 832] (transB) does not fit"
        + " its input 800", refused("fc1", n -> n.toBuilder().setInput(0, "flat").build())
        .getMessage());
    assertEquals("net.onnx: node 'add' (Add, opset 13): layer add: Add of 16x5x5 and 16x9x9: "
        + "the shapes do not broadcast",
        refused("add", n -> n.toBuilder().setInput(1, "mp").build()).getMessage());
    assertEquals("net.onnx: node 'c1' (Conv, opset 13): only 2-D windows are supported"
        + " (strides [2, 2, 1], pads [0, 0, 1, 1])", refused("c1", n -> {
          NodeProto.Builder b = n.toBuilder();
          for (int i = 0; i < b.getAttributeCount(); i++) {
            if (b.getAttribute(i).getName().equals("strides")) {
              b.setAttribute(i, b.getAttribute(i).toBuilder().addInts(1));
            }
          }
          return b.build();
        }).getMessage());
  }

  @Test
  void pytorchsBatchNormMomentumReadsBackExactly() {
    assertEquals(0.1f, ImportNormalization.complement(1f - 0.1f));
    assertEquals(0.01f, ImportNormalization.complement(1f - 0.01f));
    assertEquals(0.3f, ImportNormalization.complement(0.7f));
  }

  /**
   * ShuffleNet's unit with its two channel Slices written as one Split (sizes given, or equal
   * parts): two channel slices of the same bounds, the same logits; a Split into one part is its
   * input; sizes that do not divide the channels, even where their sum wraps, are refused.
   */
  @Test
  void aSplitOfChannelsReadsAsSlices() throws Exception {
    Network unit = TestNetworks.shuffleUnit();
    var weights = TestNetworks.randomWeights(unit, 2);
    float[] x = org.orthoinit.TestImages.uniform(2, 5);
    float[] expected;
    try (var s = org.orthoinit.model.ModelSession.open(unit, 0, 0,
        org.orthoinit.model.Compute.CPU)) {
      s.assign(weights);
      expected = s.predict(x, 2).logits();
    }
    for (long[] sizes : new long[][] {{4, 4}, null}) {
      OnnxImport.Imported split = OnnxImport.read(OnnxModel.of(FILE, withSplit(unit, weights,
          sizes, "kept", "branch")));
      assertEquals(new Layer.ChannelSlice("halves_0", "c0", 0, 4),
          split.network().layer("halves_0"));
      assertEquals(new Layer.ChannelSlice("halves_1", "c0", 4, 8),
          split.network().layer("halves_1"));
      float[] actual;
      try (var s = org.orthoinit.model.ModelSession.open(split.network(), 0, 0,
          org.orthoinit.model.Compute.CPU)) {
        s.assign(split.weights());
        actual = s.predict(x, 2).logits();
      }
      org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual, 1e-6f);
    }
    InteropException wraps = assertThrows(InteropException.class, () -> OnnxImport.read(
        OnnxModel.of(FILE, withSplit(unit, weights, new long[] {(1L << 62) + 1, (1L << 62) + 1,
            (1L << 62) + 1, (1L << 62) + 5}, "kept", "branch", "rest", "more"))));
    assertTrue(wraps.getMessage().endsWith("do not divide 8 channels among its 4 outputs"),
        wraps.getMessage());
    InteropException uneven = assertThrows(InteropException.class, () -> OnnxImport.read(
        OnnxModel.of(FILE, withSplit(unit, weights, new long[] {3, 4}, "kept", "branch"))));
    assertTrue(uneven.getMessage().contains("split sizes [3, 4] do not divide 8 channels"),
        uneven.getMessage());
  }

  /** The unit's export with its Slices {@code outputs} replaced by one Split of c0 (opset 13). */
  private static ModelProto withSplit(Network unit, java.util.Map<String, float[]> weights,
      long[] sizes, String... outputs) {
    ModelProto m = OnnxExport.model(unit, weights);
    GraphProto.Builder g = m.getGraph().toBuilder();
    NodeProto.Builder split = NodeProto.newBuilder().setOpType("Split").setName("halves")
        .addInput("c0").addAttribute(org.orthoinit.interop.onnx.AttributeProto.newBuilder()
            .setName("axis").setType(org.orthoinit.interop.onnx.AttributeProto.AttributeType.INT)
            .setI(1));
    if (sizes != null) {
      var t = org.orthoinit.interop.onnx.TensorProto.newBuilder().setName("halves.sizes")
          .setDataType(org.orthoinit.interop.onnx.TensorProto.DataType.INT64_VALUE)
          .addDims(sizes.length);
      for (long v : sizes) {
        t.addInt64Data(v);
      }
      g.addInitializer(t);
      split.addInput("halves.sizes");
    }
    for (String o : outputs) {
      split.addOutput(o);
    }
    int first = -1;
    for (int i = g.getNodeCount() - 1; i >= 0; i--) {
      if (java.util.List.of(outputs).contains(g.getNode(i).getName())) {
        first = i;
        g.removeNode(i);
      }
    }
    g.addNode(first, split);
    return m.toBuilder().setGraph(g).build();
  }
}
