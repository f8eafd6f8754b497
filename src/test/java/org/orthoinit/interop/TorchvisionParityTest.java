package org.orthoinit.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.orthoinit.Fixtures;
import org.orthoinit.TorchvisionFixtures;
import org.orthoinit.model.Compute;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.Network;

/**
 * Real conv nets through the importer: torchvision's resnet18, mobilenet_v2, squeezenet1_1,
 * densenet121, mobilenet_v3_small and _large (hard swish, squeeze-excitation), efficientnet_b0
 * (SiLU), regnet_y_400mf (grouped convolutions, squeeze-excitation), mnasnet1_0 and googlenet, and
 * a CIFAR VGG-11 with batch norm, as torch.onnx.export writes them in eval mode
 * (made by {@code src/test/python/torchvision_fixtures.py}, too large to commit), give
 * PyTorch's logits.
 */
class TorchvisionParityTest {

  private static final double TOLERANCE = 1e-4;

  @ParameterizedTest
  @ValueSource(strings = {"resnet18", "mobilenet_v2", "squeezenet1_1", "densenet121",
      "vgg11_bn_cifar", "mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_b0",
      "regnet_y_400mf", "mnasnet1_0", "googlenet"})
  void importedModelsGivePytorchsLogits(String model) throws Exception {
    Path dir = TorchvisionFixtures.dir();
    OnnxImport.Imported imported = OnnxImport.read(dir.resolve(model + ".onnx"));
    Network network = imported.network();
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
    System.out.printf("torchvision %s: %d layers (%d convolutions), logits relative error %.2e%n",
        model, network.layers().size(), network.convs().size(), error);
    assertTrue(error <= TOLERANCE, model + ": relative error " + error);
  }
}
