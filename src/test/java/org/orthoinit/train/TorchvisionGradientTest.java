package org.orthoinit.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.orthoinit.Fixtures;
import org.orthoinit.TorchvisionFixtures;
import org.orthoinit.interop.ImageArrays;
import org.orthoinit.interop.Npy;
import org.orthoinit.interop.NpyArray;
import org.orthoinit.interop.OnnxImport;
import org.orthoinit.interop.TorchImport;
import org.orthoinit.model.Compute;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.Network;
import org.orthoinit.model.Parameter;

/**
 * One SGD step's gradients on torchvision models imported from their training-mode exports
 * (state_dict names, batch norms on batch statistics), against PyTorch's (made by {@code
 * src/test/python/torchvision_fixtures.py}): every parameter. The script exports all five
 * models; resnet18 is the one that passes today (see the README for the others).
 */
class TorchvisionGradientTest {

  /** Max abs error over max abs value, per parameter. */
  private static final double TOLERANCE = 1e-3;

  @ParameterizedTest
  @ValueSource(strings = {"resnet18"})
  void everyGradientMatchesPytorchs(String model) throws Exception {
    Path dir = TorchvisionFixtures.dir();
    JsonNode listing = new ObjectMapper().readTree(dir.resolve(model + "_grad.json").toFile());
    OnnxImport.Imported imported = OnnxImport.read(dir.resolve(model + "_grad.onnx"));
    Network network = imported.network();
    List<String> names = new ArrayList<>();
    listing.get("parameters").forEach(p -> names.add(p.asText()));
    assertEquals(names, network.parameters().stream().map(Parameter::name).toList(),
        "the imported network's parameters are PyTorch's, in its order");
    NpyArray images = Npy.read(dir.resolve(model + "_grad_images.npy"), "<f4", -1, 3, 32, 32);
    int n = (int) images.shape()[0];
    long[] labels64 = Npy.read(dir.resolve(model + "_grad_labels.npy")).toLongs();
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = (int) labels64[i];
    }
    Trainer.StepTrace step;
    try (ModelSession s = ModelSession.open(network, 0, 0, Compute.CPU)) {
      s.assign(imported.weights());
      Trainer trainer = new Trainer(s, new TrainConfig(1, 0.01f, n, 0));
      step = trainer.traceStep(ImageArrays.nchwToNhwc(images.toFloats(), n), labels, n, Map.of());
    }
    assertEquals(listing.get("loss").asDouble(), step.loss(), 1e-5 * Math.abs(step.loss()),
        "loss");
    double worst = 0;
    String worstName = null;
    for (Parameter p : network.parameters()) {
      float[] ours = TorchImport.toTorch(p, step.gradients().get(p.name()));
      float[] theirs = Npy.read(dir.resolve(model + "_grad").resolve(p.name() + ".npy"))
          .toFloats();
      double error = Fixtures.relativeError(ours, theirs);
      if (error > worst || worstName == null) {
        worst = error;
        worstName = p.name();
      }
      assertTrue(error <= TOLERANCE, model + " " + p.name() + ": gradient relative error "
          + error);
    }
    System.out.printf("torchvision %s: %d gradients, loss %.6f (PyTorch %.6f), worst relative "
        + "error %.2e (%s)%n", model, network.parameters().size(), step.loss(),
        listing.get("loss").asDouble(), worst, worstName);
  }
}
