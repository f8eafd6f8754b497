package org.orthoinit.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orthoinit.interop.OnnxModel.Weight;
import org.orthoinit.interop.onnx.AttributeProto;
import org.orthoinit.interop.onnx.GraphProto;
import org.orthoinit.interop.onnx.ModelProto;
import org.orthoinit.interop.onnx.NodeProto;
import org.orthoinit.interop.onnx.OperatorSetIdProto;
import org.orthoinit.interop.onnx.StringStringEntryProto;
import org.orthoinit.interop.onnx.TensorProto;
import org.orthoinit.interop.onnx.TensorShapeProto;
import org.orthoinit.interop.onnx.TypeProto;
import org.orthoinit.interop.onnx.ValueInfoProto;

class OnnxModelTest {

  @TempDir
  Path dir;

  static final float[] W = {0.5f, -1.25f, 3f, 1e-7f, -0f, 42f};
  static final float[] B = {0.1f, 0.2f, 0.3f};

  /**
   * A small model shaped like PyTorch's export: conv.weight in raw_data, conv.bias in
   * float_data, other.bias and other2.bias aliased to conv.bias through a chain of Identity
   * nodes (as the exporter does for equal tensors), and an Identity on an activation that
   * must not become a weight.
   */
  static ModelProto tinyModel() {
    TensorProto w = TensorProto.newBuilder()
        .setName("conv.weight")
        .setDataType(TensorProto.DataType.FLOAT_VALUE)
        .addAllDims(List.of(2L, 3L))
        .setRawData(ByteString.copyFrom(le(W)))
        .build();
    TensorProto.Builder b = TensorProto.newBuilder()
        .setName("conv.bias")
        .setDataType(TensorProto.DataType.FLOAT_VALUE)
        .addDims(3);
    for (float v : B) {
      b.addFloatData(v);
    }
    GraphProto graph = GraphProto.newBuilder()
        .setName("tiny")
        .addInitializer(w)
        .addInitializer(b)
        .addNode(identity("conv.bias", "other.bias"))
        .addNode(identity("other.bias", "other2.bias"))
        .addNode(NodeProto.newBuilder().setOpType("Gemm").setName("gemm")
            .addInput("x").addInput("conv.weight").addInput("conv.bias").addOutput("h")
            .addAttribute(AttributeProto.newBuilder().setName("transB")
                .setType(AttributeProto.AttributeType.INT).setI(1)))
        .addNode(identity("h", "y"))
        .addInput(value("x", "batch", 2L))
        // older exporters also list initializers as inputs: inputNames() must skip it
        .addInput(value("conv.weight", 2L, 3L))
        .addOutput(value("y", "batch", 3L))
        .build();
    return ModelProto.newBuilder()
        .setIrVersion(8)
        .setProducerName("orthoinit-test")
        .setProducerVersion("0.1")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("com.example").setVersion(99))
        .setGraph(graph)
        .build();
  }

  @Test
  void writesAndReadsTinyModel() throws Exception {
    Path f = dir.resolve("tiny.onnx");
    OnnxModel.write(f, tinyModel());
    OnnxModel m = OnnxModel.read(f);

    assertEquals(f, m.file());
    assertEquals(8, m.irVersion());
    assertEquals(13, m.opsetVersion());
    assertEquals("orthoinit-test", m.producerName());
    assertEquals("0.1", m.producerVersion());
    assertEquals(List.of("x"), m.inputNames());
    assertEquals(List.of("y"), m.outputNames());
    assertArrayEquals(new long[] {-1, 2}, m.inputShape("x"));
    assertArrayEquals(new long[] {-1, 3}, m.outputShape("y"));
    assertEquals(tinyModel(), m.proto());

    Map<String, Weight> init = m.initializers();
    assertEquals(List.of("conv.weight", "conv.bias"), List.copyOf(init.keySet()));
    assertArrayEquals(new long[] {2, 3}, init.get("conv.weight").dims());
    assertArrayEquals(W, init.get("conv.weight").values());
    assertArrayEquals(new long[] {3}, init.get("conv.bias").dims());
    assertArrayEquals(B, init.get("conv.bias").values());
  }

  @Test
  void weightConvertsToRawDataTensor() throws Exception {
    Weight w = new Weight("k", new long[] {3, 2}, W.clone());
    TensorProto t = w.toTensorProto();
    assertEquals(24, t.getRawData().size());
    ModelProto m = tinyModel().toBuilder()
        .setGraph(tinyModel().getGraph().toBuilder().addInitializer(t)).build();
    assertEquals(w, OnnxModel.of(null, m).initializers().get("k"));
    assertThrows(IllegalArgumentException.class, () -> new Weight("bad", new long[] {4}, W));
  }

  @Test
  void unknownFieldsSurviveAReadWriteCycle() throws Exception {
    // A field this subset does not declare (ModelProto.functions = 25) must be kept.
    ModelProto withUnknown = ModelProto.parseFrom(tinyModel().toByteString()
        .concat(ByteString.copyFrom(new byte[] {(byte) 0xca, 0x01, 0x02, 0x08, 0x01})));
    Path f = dir.resolve("u.onnx");
    OnnxModel.write(f, withUnknown);
    OnnxModel back = OnnxModel.read(f);
    assertEquals(withUnknown.toByteString(), back.proto().toByteString());
    assertFalse(back.proto().getUnknownFields().asMap().isEmpty());
  }

  @Test
  void rejectsNonFloatExternalAndMalformedTensors() throws Exception {
    TensorProto dbl = TensorProto.newBuilder().setName("d")
        .setDataType(TensorProto.DataType.DOUBLE_VALUE)
        .addDims(1).addDoubleData(1.0).build();
    expectInitializerError(dbl, "tensor 'd' has data type DOUBLE (11), expected FLOAT (1)");

    TensorProto ext = TensorProto.newBuilder().setName("e").setDataType(1).addDims(2)
        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
        .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("e.bin"))
        .build();
    expectInitializerError(ext, "tensor 'e' keeps its data in the external file 'e.bin'");

    TensorProto shortRaw = TensorProto.newBuilder().setName("s").setDataType(1).addDims(2)
        .setRawData(ByteString.copyFrom(new byte[7])).build();
    expectInitializerError(shortRaw, "tensor 's': raw_data has 7 bytes, dims [2] need 8");

    TensorProto shortFloats = TensorProto.newBuilder().setName("t").setDataType(1)
        .addDims(2).addDims(2).addFloatData(1).build();
    expectInitializerError(shortFloats, "tensor 't': float_data has 1 values, dims [2, 2] need 4");

    TensorProto dup = tinyModel().getGraph().getInitializer(0);
    expectInitializerError(dup, "initializer 'conv.weight' appears twice");
  }

  @Test
  void shapeOfUnknownInputIsAnError() throws Exception {
    OnnxModel m = OnnxModel.of(dir.resolve("m.onnx"), tinyModel());
    InteropException e = assertThrows(InteropException.class, () -> m.inputShape("images"));
    assertEquals(dir.resolve("m.onnx")
        + ": the graph has no input 'images' (inputs: [x, conv.weight])", e.getMessage());
    assertThrows(InteropException.class, () -> m.outputShape("x"));
  }

  @Test
  void rejectsTruncatedFiles() throws Exception {
    byte[] full = tinyModel().toByteArray();
    for (int cut : new int[] {1, 2, 10, full.length / 3, full.length / 2, full.length - 1}) {
      Path f = dir.resolve("cut" + cut + ".onnx");
      Files.write(f, Arrays.copyOf(full, cut));
      InteropException e = rejects(f);
      assertTrue(e.getMessage().contains("not an ONNX model") || e.getMessage()
          .contains("not a complete ONNX model"),
          e.getMessage());
    }
  }

  @Test
  void rejectsRandomBytes() throws Exception {
    Random rnd = new Random(7);
    for (int i = 0; i < 20; i++) {
      byte[] junk = new byte[1 + rnd.nextInt(5000)];
      rnd.nextBytes(junk);
      Path f = dir.resolve("junk" + i + ".onnx");
      Files.write(f, junk);
      rejects(f);
    }
    Path npy = dir.resolve("array.onnx");
    Npy.writeFloats(npy, new float[] {1, 2}, 2);
    assertTrue(rejects(npy).getMessage().contains("not an ONNX model"));
  }

  @Test
  void rejectsEmptyMissingAndProtobufWithoutGraph() throws Exception {
    Path empty = dir.resolve("empty.onnx");
    Files.write(empty, new byte[0]);
    assertEquals(empty + ": empty file, not an ONNX model", rejects(empty).getMessage());

    assertTrue(rejects(dir.resolve("missing.onnx")).getMessage().contains("NoSuchFileException"));

    Path noGraph = dir.resolve("nograph.onnx");
    Files.write(noGraph, ModelProto.newBuilder().setIrVersion(7).build().toByteArray());
    assertTrue(rejects(noGraph).getMessage().contains("no ir_version or graph"));
  }

  @Test
  void writeReplacesAtomicallyAndLeavesNoTemporaryFile() throws Exception {
    Path f = dir.resolve("m.onnx");
    OnnxModel.write(f, tinyModel());
    ModelProto other = tinyModel().toBuilder().setProducerName("second").build();
    OnnxModel.write(f, other);
    assertEquals("second", OnnxModel.read(f).producerName());
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(List.of(f), s.toList());
    }
  }

  // ---- helpers -----------------------------------------------------------------------

  private void expectInitializerError(TensorProto extra, String fault) throws IOException,
      InteropException {
    ModelProto m = tinyModel().toBuilder()
        .setGraph(tinyModel().getGraph().toBuilder().addInitializer(extra)).build();
    Path f = dir.resolve("bad.onnx");
    OnnxModel.write(f, m);
    OnnxModel model = OnnxModel.read(f);
    InteropException e = assertThrows(InteropException.class, model::initializers);
    assertTrue(e.getMessage().startsWith(f + ": " + fault), e.getMessage());
  }

  private static InteropException rejects(Path f) {
    InteropException e = assertThrows(InteropException.class, () -> OnnxModel.read(f));
    assertTrue(e.getMessage().startsWith(f + ": "), "message must name the file: " + e
        .getMessage());
    assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    return e;
  }

  private static NodeProto identity(String in, String out) {
    return NodeProto.newBuilder().setOpType("Identity").setName("Identity_" + out).addInput(in)
        .addOutput(out).build();
  }

  /** A float tensor value; each dim is a Long (dim_value) or a String (dim_param). */
  private static ValueInfoProto value(String name, Object... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (Object d : dims) {
      if (d instanceof Long n) {
        shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(n));
      } else {
        shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimParam((String) d));
      }
    }
    return ValueInfoProto.newBuilder().setName(name)
        .setType(TypeProto.newBuilder().setTensorType(
            TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE)
                .setShape(shape)))
        .build();
  }

  private static byte[] le(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    return b.array();
  }
}
