package org.orthoinit.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orthoinit.TorchvisionFixtures;
import org.orthoinit.interop.onnx.GraphProto;
import org.orthoinit.interop.onnx.ModelProto;
import org.orthoinit.interop.onnx.NodeProto;
import org.orthoinit.interop.onnx.TensorProto;

/**
 * Writing a PyTorch export back with new weights: the file is the original with only initializer
 * values replaced (resnet18's training-mode export, names as its state_dict).
 */
class OnnxUpdateTest {

  @Test
  void onlyInitializerValuesChange(@TempDir Path tmp) throws Exception {
    Path source = TorchvisionFixtures.dir().resolve("resnet18_grad.onnx");
    OnnxImport.Imported imported = OnnxImport.read(source);
    // new values: each variable shifted by its own position, so that a mix-up shows
    Map<String, float[]> changed = new LinkedHashMap<>();
    int k = 0;
    for (Map.Entry<String, float[]> e : imported.weights().entrySet()) {
      float[] v = e.getValue().clone();
      for (int i = 0; i < v.length; i++) {
        v[i] = v[i] * 0.5f + k + 1;
      }
      changed.put(e.getKey(), v);
      k++;
    }
    Path out = tmp.resolve("resnet18_changed.onnx");
    OnnxExport.writeUpdated(out, imported, changed);

    ModelProto before = OnnxModel.read(source).proto();
    ModelProto after = OnnxModel.read(out).proto();
    GraphProto a = before.getGraph();
    GraphProto b = after.getGraph();
    assertEquals(a.getNodeList(), b.getNodeList(), "nodes, names and order");
    assertEquals(a.getInputList(), b.getInputList());
    assertEquals(a.getOutputList(), b.getOutputList());
    assertEquals(before.getOpsetImportList(), after.getOpsetImportList());
    assertEquals(before.getProducerName(), after.getProducerName());
    assertEquals(before.getProducerVersion(), after.getProducerVersion());
    assertEquals(a.getInitializerCount(), b.getInitializerCount());
    for (int i = 0; i < a.getInitializerCount(); i++) {
      TensorProto x = a.getInitializer(i);
      TensorProto y = b.getInitializer(i);
      assertEquals(x.getName(), y.getName(), "initializer #" + i);
      assertEquals(x.getDimsList(), y.getDimsList(), x.getName());
      assertEquals(x.getDataType(), y.getDataType(), x.getName());
    }
    // the conv kernel in PyTorch's layout, by name, as load_state_dict would see it
    Map<String, OnnxModel.Weight> written = OnnxModel.read(out).initializers();
    Map<String, OnnxModel.Weight> original = OnnxModel.read(source).initializers();
    OnnxModel.Weight w = written.get("layer1.0.conv1.weight");
    float[] expected = original.get("layer1.0.conv1.weight").values();
    int position = indexOf(imported.weights(), "layer1.0.conv1.weight");
    for (int i = 0; i < expected.length; i++) {
      expected[i] = expected[i] * 0.5f + position + 1;
    }
    assertArrayEquals(expected, w.values());
    float[] fc = written.get("fc.weight").values();
    assertNotEquals(original.get("fc.weight").values()[0], fc[0]);
    // read back: same network, the new values bit for bit
    OnnxImport.Imported back = OnnxImport.read(out);
    assertEquals(imported.network(), back.network());
    for (Map.Entry<String, float[]> e : changed.entrySet()) {
      assertArrayEquals(e.getValue(), back.weights().get(e.getKey()), e.getKey());
    }
  }

  /**
   * Two batch-norm biases stored once, as PyTorch's exporter does with equal tensors (the second
   * an Identity of the first): written back equal, they stay one tensor; trained apart, the
   * update is refused naming both.
   */
  @Test
  void variablesSharingATensorMustStayEqual(@TempDir Path tmp) throws Exception {
    ModelProto original = OnnxModel.read(TorchvisionFixtures.dir().resolve("resnet18_grad.onnx"))
        .proto();
    GraphProto.Builder g = original.getGraph().toBuilder();
    int second = -1;
    for (int i = 0; i < g.getInitializerCount(); i++) {
      if (g.getInitializer(i).getName().equals("layer1.0.bn2.bias")) {
        second = i;
      }
    }
    g.removeInitializer(second);
    g.addNode(0, NodeProto.newBuilder().setOpType("Identity")
        .setName("shared").addInput("layer1.0.bn1.bias").addOutput("layer1.0.bn2.bias"));
    Path shared = tmp.resolve("shared.onnx");
    OnnxModel.write(shared, original.toBuilder().setGraph(g).build());
    OnnxImport.Imported imported = OnnxImport.read(shared);
    assertEquals("layer1.0.bn1.bias", imported.sources().get("layer1.0.bn2.bias").tensor());

    OnnxExport.writeUpdated(tmp.resolve("same.onnx"), imported, imported.weights());
    assertEquals(original.getGraph().getInitializerCount() - 1,
        OnnxModel.read(tmp.resolve("same.onnx")).proto().getGraph().getInitializerCount());

    Map<String, float[]> apart = new LinkedHashMap<>(imported.weights());
    float[] bias = apart.get("layer1.0.bn2.bias").clone();
    bias[0] += 1f;
    apart.put("layer1.0.bn2.bias", bias);
    InteropException e = assertThrows(InteropException.class,
        () -> OnnxExport.writeUpdated(tmp.resolve("apart.onnx"), imported, apart));
    assertTrue(e.getMessage().contains("'layer1.0.bn1.bias' and "
        + "'layer1.0.bn2.bias' are one tensor"), e.getMessage());
    assertFalse(Files.exists(
        tmp.resolve("apart.onnx")), "nothing written");
  }

  private static int indexOf(Map<String, float[]> map, String key) {
    int i = 0;
    for (String k : map.keySet()) {
      if (k.equals(key)) {
        return i;
      }
      i++;
    }
    throw new AssertionError(key);
  }
}
