package org.orthoinit.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.orthoinit.Fixtures;
import org.orthoinit.TestImages;
import org.orthoinit.TestNetworks;
import org.orthoinit.model.AlexNet;
import org.orthoinit.model.Compute;
import org.orthoinit.model.Dims;
import org.orthoinit.model.Layer;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.Network;
import org.orthoinit.model.Vgg;

/**
 * network -> ONNX -> OnnxImport gives the same network and weights, and ONNX Runtime (an
 * independent implementation of every op) gives the logits TensorFlow gives.
 */
class RoundTripTest {

  private static final int N = 4;

  @TempDir
  Path tmp;

  static Stream<Arguments> networks() {
    return Stream.of(
        Arguments.of("alexnet L0", AlexNet.of(ModelConfig.of(0))),
        Arguments.of("alexnet L15", AlexNet.of(ModelConfig.of(15))),
        Arguments.of("alexnet level 2", AlexNet.of(new ModelConfig(3, 2, false, 0.5f, 10))),
        Arguments.of("alexnet batch norm", AlexNet.of(new ModelConfig(2, 3, true, 0.5f, 10))),
        Arguments.of("vgg strided", new Vgg(java.util.List.of(16, 32, 32), 2, true,
            Vgg.Downsample.STRIDE, 10).network()),
        Arguments.of("vgg pooled", new Vgg(java.util.List.of(8, 16), 1, false,
            Vgg.Downsample.MAX_POOL, 7).network()),
        Arguments.of("every layer kind", TestNetworks.zoo()),
        Arguments.of("activations and constants", activationsAndConstants()),
        Arguments.of("squeeze-excitation and SiLU", TestNetworks.squeezeExcitation()),
        Arguments.of("GELU", gelu()),
        Arguments.of("channel split and shuffle", TestNetworks.shuffleUnit()),
        Arguments.of("ConvNeXt block", TestNetworks.convnextBlock()));
  }

  /** PyTorch's exact GELU as its ONNX export writes it: x (1 + erf(x / sqrt 2)) / 2. */
  private static Network gelu() {
    Dims scalar = new Dims(1, 1, 1);
    return new Network("gelu", java.util.List.of(
        Layer.Conv.of("c0", Network.INPUT_NAME, 3, 4, 3, 2, 1, true), // 4x16x16
        new Layer.Arithmetic("scaled", "c0", Layer.Arithmetic.Op.DIV, scalar,
            new float[] {(float) Math.sqrt(2)}, false),
        new Layer.Erf("erf", "scaled"),
        new Layer.Arithmetic("plus_one", "erf", Layer.Arithmetic.Op.ADD, scalar,
            new float[] {1f}, false),
        new Layer.Elementwise("gated", "c0", "plus_one", Layer.Arithmetic.Op.MUL),
        new Layer.Arithmetic("half", "gated", Layer.Arithmetic.Op.MUL, scalar,
            new float[] {0.5f}, false),
        new Layer.Flatten("flat", "half"),
        new Layer.Linear("fc", "flat", 4 * 16 * 16, 10, true)));
  }

  /**
   * LeakyRelu, HardSwish, HardSigmoid, Sigmoid and each arithmetic op with constants of each
   * broadcast shape.
   */
  private static Network activationsAndConstants() {
    float[] map = new float[16 * 16];
    for (int i = 0; i < map.length; i++) {
      map[i] = (i % 7) * 0.1f;
    }
    return new Network("consts", java.util.List.of(
        Layer.Conv.of("c0", Network.INPUT_NAME, 3, 4, 3, 2, 1, true), // 4x16x16
        new Layer.LeakyRelu("leaky", "c0", 0.2f),
        new Layer.Arithmetic("centre", "leaky", Layer.Arithmetic.Op.SUB, new Dims(4, 1, 1),
            new float[] {0.1f, -0.2f, 0.3f, 0.05f}, false),
        new Layer.Arithmetic("scale", "centre", Layer.Arithmetic.Op.MUL, new Dims(1, 1, 1),
            new float[] {3f}, true),
        new Layer.Arithmetic("half", "scale", Layer.Arithmetic.Op.DIV, new Dims(1, 1, 1),
            new float[] {2f}, false),
        new Layer.HardSwish("hswish", "half"),
        new Layer.HardSigmoid("hsig", "hswish", 0.3f, 0.4f),
        new Layer.Sigmoid("sig", "hsig"),
        new Layer.Arithmetic("flip", "sig", Layer.Arithmetic.Op.SUB, new Dims(1, 16, 16), map,
            true),
        new Layer.Flatten("flat", "flip"),
        new Layer.Linear("fc", "flat", 1024, 10, true),
        new Layer.Arithmetic("offset", "fc", Layer.Arithmetic.Op.ADD, Dims.vector(10),
            new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, false)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("networks")
  void exportImportGivesTheSameNetworkAndOnnxRuntimeTheSameLogits(String what, Network network)
      throws Exception {
    Map<String, float[]> weights = TestNetworks.randomWeights(network, 11);
    float[] x = TestImages.uniform(N, 3);
    float[] expected;
    try (ModelSession s = ModelSession.open(network, 0, 0, Compute.CPU)) {
      s.assign(weights);
      expected = s.predict(x, N).logits();
    }
    Path file = tmp.resolve(network.name() + ".onnx");
    OnnxExport.write(file, network, weights);

    OnnxImport.Imported back = OnnxImport.read(file);
    assertEquals(network, back.network(), what);
    assertEquals(weights.keySet(), back.weights().keySet());
    for (String name : weights.keySet()) {
      assertArrayEquals(weights.get(name), back.weights().get(name), name);
    }

    int classes = network.classes();
    float[] actual = new float[N * classes];
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession session = env.createSession(file.toString(), new OrtSession.SessionOptions());
        OnnxTensor input = OnnxTensor.createTensor(env,
            FloatBuffer.wrap(TestNetworks.nchw(x, N)), new long[] {N, 3, 32, 32});
        OrtSession.Result r = session.run(Map.of(OnnxExport.INPUT, input))) {
      float[][] logits = (float[][]) r.get(OnnxExport.OUTPUT).orElseThrow().getValue();
      for (int i = 0; i < N; i++) {
        System.arraycopy(logits[i], 0, actual, i * classes, classes);
      }
    }
    double error = Fixtures.relativeError(actual, expected);
    System.out.printf("round trip %s: ONNX Runtime vs TensorFlow logits, relative error %.2e%n",
        what, error);
    assertTrue(error <= 1e-5, what + ": relative error " + error);
  }
}
