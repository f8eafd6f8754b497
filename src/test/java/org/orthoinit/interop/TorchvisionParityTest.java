package org.orthoinit.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.orthoinit.Fixtures;
import org.orthoinit.TorchvisionFixtures;
import org.orthoinit.model.Compute;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.Network;

/**
 * Real conv nets through the importer: torchvision's resnet18, resnet50, resnext50_32x4d,
 * wide_resnet50_2, mobilenet_v2, squeezenet1_0 and 1_1, densenet121, mobilenet_v3_small and
 * _large (hard swish, squeeze-excitation), efficientnet_b0 and _v2_s (SiLU), regnet_y_400mf and
 * regnet_x_400mf (grouped convolutions, squeeze-excitation), mnasnet1_0, googlenet and
 * shufflenet_v2_x1_0 (channel split and shuffle), and a CIFAR VGG-11 with batch norm, as
 * torch.onnx.export writes them in eval mode at opsets 13 and 17 (made by
 * {@code src/test/python/torchvision_fixtures.py}, too large to commit), give PyTorch's logits;
 * an opset-17 file that reads as its opset-13 twin (the same layers and weights, bit for bit)
 * is not run again.
 */
class TorchvisionParityTest {

  private static final double TOLERANCE = 1e-4;

  static Stream<Arguments> exports() {
    return TorchvisionFixtures.selected(TorchvisionFixtures.MODELS)
        .flatMap(m -> Stream.of(Arguments.of(m, 13), Arguments.of(m, 17)));
  }

  @ParameterizedTest
  @MethodSource("exports")
  void importedModelsGivePytorchsLogits(String model, int opset) throws Exception {
    Path dir = TorchvisionFixtures.dir();
    OnnxImport.Imported imported = OnnxImport.read(TorchvisionFixtures.file(dir, model, "",
        opset));
    assertEquals((long) opset, imported.model().opsetVersion(), model + ": the file's opset");
    Network network = imported.network();
    if (opset != 13 && TorchvisionFixtures.sameAs(TorchvisionFixtures.file(dir, model, "", 13),
        imported)) {
      // the graph PyTorch wrote is the same at both opsets: its logits were checked at 13
      TorchvisionFixtures.record(model, "eval" + opset, "as 13");
      System.out.printf("torchvision %s opset %d: %d layers, the network and weights of opset "
          + "13%n", model, opset, network.layers().size());
      return;
    }
    NpyArray images = Npy.read(dir.resolve(model + "_images.npy"), "<f4", -1, 3, 32, 32);
    float[] expected = Npy.read(dir.resolve(model + "_logits.npy")).toFloats();
    int n = (int) images.shape()[0];
    assertEquals(n * network.classes(), expected.length);
    float[] actual;
    try (ModelSession s = ModelSession.open(network, 0, 0, Compute.CPU)) {
      s.assign(imported.weights());
      actual = s.predict(ImageArrays.nchwToNhwc(images.toFloats(), n), n).logits();
    }
    double error = Fixtures.relativeError(actual, expected);
    System.out.printf("torchvision %s opset %d: %d layers (%d convolutions), logits relative "
        + "error %.2e%n", model, opset, network.layers().size(), network.convs().size(), error);
    assertTrue(error <= TOLERANCE, model + ": relative error " + error);
    TorchvisionFixtures.record(model, "eval" + opset, String.format("%.1e", error));
    if (opset == 13) {
      TorchvisionFixtures.record(model, "layers", network.layers().size() + " ("
          + network.convs().size() + " conv)");
      TorchvisionFixtures.record(model, "ops", String.join(" ", imported.model().proto()
          .getGraph().getNodeList().stream().map(node -> node.getOpType()).distinct().sorted()
          .toList()));
    }
  }
}
