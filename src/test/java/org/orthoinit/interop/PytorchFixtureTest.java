package org.orthoinit.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.orthoinit.interop.OnnxModel.Weight;

/**
 * Reads the PyTorch reference fixtures (torch.onnx.export of the seed's AlexNet with
 * num_layers=0, and numpy arrays) from the folder named by the system property
 * {@code orthoinit.fixtures}; skipped, with the path in the message, when it is absent.
 */
class PytorchFixtureTest {

  /** Every parameter of the fixture model with its PyTorch shape (conv OIHW, linear [out, in]). */
  static final Map<String, long[]> PARAMETERS = new LinkedHashMap<>();

  static {
    PARAMETERS.put("features.0.weight", new long[] {64, 3, 3, 3});
    PARAMETERS.put("features.0.bias", new long[] {64});
    PARAMETERS.put("features.3.weight", new long[] {192, 64, 3, 3});
    PARAMETERS.put("features.3.bias", new long[] {192});
    PARAMETERS.put("features.6.weight", new long[] {192, 192, 3, 3});
    PARAMETERS.put("features.6.bias", new long[] {192});
    PARAMETERS.put("features.8.weight", new long[] {256, 192, 3, 3});
    PARAMETERS.put("features.8.bias", new long[] {256});
    PARAMETERS.put("features.9.weight", new long[] {256, 256, 3, 3});
    PARAMETERS.put("features.9.bias", new long[] {256});
    PARAMETERS.put("classifier.1.weight", new long[] {4096, 1024});
    PARAMETERS.put("classifier.1.bias", new long[] {4096});
    PARAMETERS.put("classifier.4.weight", new long[] {4096, 4096});
    PARAMETERS.put("classifier.4.bias", new long[] {4096});
    PARAMETERS.put("classifier.6.weight", new long[] {10, 4096});
    PARAMETERS.put("classifier.6.bias", new long[] {10});
  }

  /**
   * The parameters the exporter stored only as outputs of Identity nodes, because their
   * (all-zero) values equal another parameter's: alias to the initializer it reads.
   */
  static final Map<String, String> IDENTITY_ALIASES = Map.of(
      "features.6.bias", "features.3.bias",
      "features.9.bias", "features.8.bias",
      "classifier.4.bias", "classifier.1.bias");

  Path fixtures;

  /**
   * Per test rather than per class, so that each test is reported as skipped (failed where the
   * fixtures are required), with the path.
   */
  @BeforeEach
  void locate() {
    fixtures = org.orthoinit.Fixtures.dir();
  }

  @Test
  void onnxModelHoldsEveryParameter() throws Exception {
    OnnxModel m = OnnxModel.read(fixtures.resolve("alexnet_L0.onnx"));
    assertEquals("pytorch", m.producerName());
    assertEquals(13, m.opsetVersion());
    assertEquals(List.of("images"), m.inputNames());
    assertEquals(List.of("logits"), m.outputNames());
    assertArrayEquals(new long[] {-1, 3, 32, 32}, m.inputShape("images"));
    assertArrayEquals(new long[] {-1, 10}, m.outputShape("logits"));

    Map<String, Weight> init = m.initializers();
    Set<String> direct = new java.util.HashSet<>(PARAMETERS.keySet());
    direct.removeAll(IDENTITY_ALIASES.keySet());
    assertEquals(direct, init.keySet(),
        "initializers are the parameters less the de-duplicated ones");

    // every parameter, the de-duplicated ones through their Identity aliases, as the importer
    // reads them (TensorFlow's layout: the same number of values)
    Map<String, float[]> all = OnnxImport.read(fixtures.resolve("alexnet_L0.onnx")).weights();
    assertEquals(PARAMETERS.keySet(), all.keySet());
    for (Map.Entry<String, long[]> e : PARAMETERS.entrySet()) {
      float[] w = all.get(e.getKey());
      assertNotNull(w, e.getKey());
      assertEquals(java.util.Arrays.stream(e.getValue()).reduce(1, (a, b) -> a * b), w.length,
          e.getKey());
      for (float v : w) {
        assertTrue(Float.isFinite(v), e.getKey() + " holds a non-finite value");
      }
    }
    for (Map.Entry<String, String> alias : IDENTITY_ALIASES.entrySet()) {
      assertArrayEquals(all.get(alias.getValue()), all.get(alias.getKey()), alias.getKey());
      assertNotSame(all.get(alias.getValue()), all.get(alias.getKey()),
          "an alias is a parameter of its own");
    }
    // xavier init: weights are spread, biases zero (which is why the exporter merged them)
    assertTrue(maxAbs(all.get("features.0.weight")) > 0.01f);
    assertEquals(0f, maxAbs(all.get("features.6.bias")));
  }

  @Test
  void imagesAndLabelsRead() throws Exception {
    Path imagesFile = fixtures.resolve("alexnet_L0_images8.npy");
    NpyArray images = Npy.read(imagesFile, "<f4", 8, 3, 32, 32);
    float[] px = images.toFloats();
    double sum = 0;
    for (float v : px) {
      assertTrue(v >= 0f && v <= 1f, "pixel outside [0, 1]: " + v);
      sum += v;
    }
    // reference values computed with numpy from the same file
    assertEquals(12017.172812743112, sum, 1e-6);
    assertArrayEquals(new float[] {0.6352941393852234f, 0.5529412031173706f, 0.5490196347236633f,
        0.5607843399047852f},
        java.util.Arrays.copyOfRange(px, 0, 4));

    NpyArray labels = Npy.read(fixtures.resolve("alexnet_L0_labels8.npy"), "<i8", 8);
    assertArrayEquals(new long[] {9, 4, 3, 9, 1, 0, 9, 7}, labels.toLongs());

    NpyArray logits = Npy.read(fixtures.resolve("alexnet_L0_logits8.npy"), "<f4", 8, 10);
    assertEquals(0.07614338397979736f, logits.toFloats()[0]);
  }

  private static float maxAbs(float[] v) {
    float m = 0;
    for (float x : v) {
      m = Math.max(m, Math.abs(x));
    }
    return m;
  }
}
