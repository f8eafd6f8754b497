package org.orthoinit.init;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.orthoinit.model.AlexNet;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.Network;
import org.orthoinit.model.Parameter;

/**
 * The data-free initializers on their defining properties, with PyTorch's own figures where it
 * defines the method (torch 1.13: {@code nn.Conv2d(3, 64, 3)} holds weights up to 0.19242 and
 * biases up to 0.18501 for a bound of 1 / sqrt(27) = 0.19245; {@code nn.Linear(1024, 4096)} up to
 * 0.0312500 for 1 / 32; {@code kaiming_normal_} on [256, 256, 3, 3] has std 0.029451 for
 * sqrt(2 / 2304) = 0.029463; {@code orthogonal_} gives W W^T = 2 I to 1e-6).
 */
class DataFreeInitializersTest {

  /** The seed's AlexNet with one extra block and its batch norm. */
  private static final Network SEED = AlexNet.of(new ModelConfig(1, 3, true, 0.5f, 10));
  /** Orthogonal's values, made once: its QR of the 4096 x 4096 kernel takes seconds. */
  private static Map<String, float[]> orthogonal;

  private static Parameter parameter(String name) {
    return SEED.parameters().stream().filter(p -> p.name().equals(name)).findFirst()
        .orElseThrow();
  }

  private static Map<String, float[]> start(String id, long seed) {
    return ((DataFree) Initializers.byId(id)).start(SEED, seed);
  }

  private static synchronized Map<String, float[]> orthogonal() {
    if (orthogonal == null) {
      orthogonal = start("orthogonal", 11);
    }
    return orthogonal;
  }

  @Test
  void kaimingHasStdSqrtTwoOverFanInAndGaussianMass() {
    Map<String, float[]> v = start("kaiming", 3);
    // the large layers: features.9 (3x3x256x256), the 4096-wide classifier layers
    for (String name : new String[] {"features.9.weight", "features.11.weight",
        "classifier.1.weight", "classifier.4.weight"}) {
      float[] w = v.get(name);
      double expected = Math.sqrt(2.0 / Fans.of(parameter(name)).in());
      double mean = Arrays.stream(toDouble(w)).average().orElseThrow();
      double std = Math.sqrt(Arrays.stream(toDouble(w)).map(x -> x * x).average().orElseThrow());
      assertEquals(1, std / expected, 0.05, name);
      assertEquals(0, mean / expected, 0.01, name);
      // a Gaussian has 68.3% of its mass within one std (a uniform of the same std: 57.7%)
      long inside = Arrays.stream(toDouble(w)).filter(x -> Math.abs(x) < expected).count();
      assertEquals(0.683, inside / (double) w.length, 0.01, name);
    }
    for (Parameter p : SEED.parameters()) {
      if (p.kind() == Parameter.Kind.BIAS) {
        assertEquals(0, maxAbs(v.get(p.name())), p.name());
      }
    }
  }

  @Test
  void pytorchDefaultFillsPlusMinusOneOverSqrtFanInForWeightsAndBiases() {
    Map<String, float[]> v = start("pytorch-default", 5);
    // hand-worked: kaiming_uniform_(a = sqrt 5) has gain sqrt(2 / 6), bound gain sqrt(3 / fan_in)
    double conv0 = 1 / Math.sqrt(27);
    double linear1 = 1 / 32.0;
    assertEquals(0.19245009, conv0, 1e-8);
    checkUniform(v.get("features.0.weight"), conv0, "features.0.weight");
    checkUniform(v.get("features.0.bias"), conv0, "features.0.bias");
    checkUniform(v.get("classifier.1.weight"), linear1, "classifier.1.weight");
    checkUniform(v.get("classifier.1.bias"), linear1, "classifier.1.bias");
    // a bias takes its own layer's fan_in: features.3 is 64 -> 192, fan_in 576
    checkUniform(v.get("features.3.bias"), 1 / 24.0, "features.3.bias");
  }

  private static void checkUniform(float[] v, double bound, String name) {
    double max = maxAbs(v);
    assertTrue(max <= bound, name + ": " + max + " > " + bound);
    // 64 uniform draws reach past 0.9 of the bound with probability 1 - 0.9^64 > 0.998
    assertTrue(max > 0.9 * bound, name + ": " + max + " of " + bound);
    if (v.length > 1000) {
      double std = Math.sqrt(Arrays.stream(toDouble(v)).map(x -> x * x).average().orElseThrow());
      assertEquals(bound / Math.sqrt(3), std, 0.02 * bound, name);
    }
  }

  @Test
  void orthogonalGivesGainSquaredIdentityOnTheFlattenedKernel() {
    Map<String, float[]> v = orthogonal();
    // PyTorch's [out, fan_in] matrix is TensorFlow's [fan_in, out] transposed (rows permuted)
    // features.0: [64, 27] is tall: W^T W = 2 I_27, i.e. M M^T over TensorFlow's [27, 64]
    assertGram(v.get("features.0.weight"), 27, 64, false, "features.0");
    // features.9: [256, 2304] is wide: W W^T = 2 I_256, i.e. M^T M over [2304, 256]
    assertGram(v.get("features.9.weight"), 2304, 256, true, "features.9");
    // classifier.6: [10, 4096]: W W^T = 2 I_10
    assertGram(v.get("classifier.6.weight"), 4096, 10, true, "classifier.6");
  }

  /**
   * M is [rows, cols] row-major; {@code columns}: M^T M = 2 I_cols, else M M^T = 2 I_rows.
   */
  static void assertGram(float[] m, int rows, int cols, boolean columns, String name) {
    int k = columns ? cols : rows;
    double worst = 0;
    for (int a = 0; a < k; a++) {
      for (int b = 0; b <= a; b++) {
        double s = 0;
        if (columns) {
          for (int i = 0; i < rows; i++) {
            s += (double) m[i * cols + a] * m[i * cols + b];
          }
        } else {
          for (int j = 0; j < cols; j++) {
            s += (double) m[a * cols + j] * m[b * cols + j];
          }
        }
        worst = Math.max(worst, Math.abs(s - (a == b ? 2 : 0)));
      }
    }
    assertTrue(worst < 1e-5, name + ": Gram matrix off 2 I by " + worst);
  }

  @Test
  void theSameSeedGivesTheSameWeightsAndAnotherSeedOthers() {
    for (String id : new String[] {"kaiming", "pytorch-default"}) {
      float[] a = start(id, 1).get("features.9.weight");
      assertTrue(Arrays.equals(a, start(id, 1).get("features.9.weight")), id);
      assertFalse(Arrays.equals(a, start(id, 2).get("features.9.weight")), id);
    }
    try (Orthonormal qr = Orthonormal.lazy()) {
      float[] a = qr.matrix(30, 20, new java.util.SplittableRandom(1));
      assertTrue(Arrays.equals(a, qr.matrix(30, 20, new java.util.SplittableRandom(1))));
      assertFalse(Arrays.equals(a, qr.matrix(30, 20, new java.util.SplittableRandom(2))));
    }
  }

  @Test
  void batchNormsStartAsPytorchsUnderEveryDataFreeInit() {
    for (String id : new String[] {"kaiming", "pytorch-default", "orthogonal"}) {
      Map<String, float[]> v = id.equals("orthogonal") ? orthogonal() : start(id, 0);
      String b = SEED.batchNorms().get(0).name();
      assertEquals(1f, v.get(b + ".weight")[0], id);
      assertEquals(0f, v.get(b + ".bias")[0], id);
      assertEquals(0f, v.get(b + ".running_mean")[0], id);
      assertEquals(1f, v.get(b + ".running_var")[0], id);
    }
  }

  @Test
  void aDataFreeInitRefusesGivenWeights() throws Exception {
    try (ModelSession s = ModelSession.open(ModelConfig.of(0), 0, 2)) {
      var given = new Initializer.Context(0, new float[0], 0, true);
      var e = assertThrows(IllegalStateException.class,
          () -> Initializers.byId("kaiming").initialize(s, given));
      assertTrue(e.getMessage().contains("kaiming"), e.getMessage());
    }
  }

  static double maxAbs(float[] v) {
    double m = 0;
    for (float f : v) {
      m = Math.max(m, Math.abs(f));
    }
    return m;
  }

  private static double[] toDouble(float[] v) {
    double[] d = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      d[i] = v[i];
    }
    return d;
  }
}
