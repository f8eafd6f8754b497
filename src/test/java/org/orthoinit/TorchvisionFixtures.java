package org.orthoinit;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.orthoinit.interop.InteropException;
import org.orthoinit.interop.OnnxImport;

/**
 * The torchvision models exported to ONNX by {@code src/test/python/torchvision_fixtures.py}
 * (too large to commit: .ci/run makes them), from the folder the system property
 * {@value #PROPERTY} names; tests skip with a visible message without it (fail in CI).
 */
public final class TorchvisionFixtures {

  public static final String PROPERTY = "orthoinit.torchvision";

  /** Every model the script exports, in its order. */
  public static final List<String> MODELS = List.of("resnet18", "mobilenet_v2", "squeezenet1_1",
      "densenet121", "vgg11_bn_cifar", "mobilenet_v3_small", "mobilenet_v3_large",
      "efficientnet_b0", "regnet_y_400mf", "mnasnet1_0", "googlenet", "resnet50",
      "resnext50_32x4d", "wide_resnet50_2", "squeezenet1_0", "efficientnet_v2_s",
      "regnet_x_400mf", "shufflenet_v2_x1_0", "convnext_tiny");

  /** Names some of the models (comma-separated) to run the zoo's tests on those only. */
  public static final String ONLY = "orthoinit.torchvision.models";

  private TorchvisionFixtures() {}

  /** {@code models}, or those of them that {@value #ONLY} names when it is set. */
  public static java.util.stream.Stream<String> selected(List<String> models) {
    String only = System.getProperty(ONLY, "").strip();
    if (only.isEmpty()) {
      return models.stream();
    }
    List<String> names = List.of(only.split(","));
    return models.stream().filter(names::contains);
  }

  /** The fixture folder, or the test is skipped (failed in CI) with the path in the message. */
  public static Path dir() {
    return Fixtures.folder(PROPERTY, "models.json", "torchvision fixtures",
        "make them with python3 src/test/python/torchvision_fixtures.py --out DIR and ");
  }

  /**
   * Prints one measured fact about a model as {@code ZOO|model|key|value}: the lines {@code
   * src/test/python/zoo_table.py} reads from the test reports into docs/zoo.md.
   */
  public static void record(String model, String key, String value) {
    System.out.println("ZOO|" + model + "|" + key + "|" + value);
  }

  /** A model's file at an opset: {@code <model><kind>.onnx} at 13, {@code <model><kind>_17.onnx}. */
  public static Path file(Path dir, String model, String kind, int opset) {
    return dir.resolve(model + kind + (opset == 13 ? "" : "_" + opset) + ".onnx");
  }

  /**
   * Whether {@code imported} (a file at another opset) reads as the same network with the same
   * weights, bit for bit, as {@code opset13}: PyTorch wrote the same graph at both.
   */
  public static boolean sameAs(Path opset13, OnnxImport.Imported imported)
      throws InteropException {
    OnnxImport.Imported at13 = OnnxImport.read(opset13);
    if (!at13.network().equals(imported.network())
        || !at13.weights().keySet().equals(imported.weights().keySet())) {
      return false;
    }
    return at13.weights().entrySet().stream().allMatch(e -> Arrays.equals(e.getValue(),
        imported.weights().get(e.getKey())));
  }

  /**
   * Whether {@code imported} (a training export at another opset) reads as the same network with
   * the same trainable parameters, bit for bit, as {@code opset13}: a step on batch statistics
   * is then the same step. (The running statistics may differ: each export's forward pass in
   * training mode moves them.)
   */
  public static boolean sameStep(Path opset13, OnnxImport.Imported imported)
      throws InteropException {
    OnnxImport.Imported at13 = OnnxImport.read(opset13);
    return at13.network().equals(imported.network()) && at13.network().parameters().stream()
        .allMatch(p -> Arrays.equals(at13.weights().get(p.name()),
            imported.weights().get(p.name())));
  }
}
