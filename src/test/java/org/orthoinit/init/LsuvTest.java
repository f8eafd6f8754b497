package org.orthoinit.init;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.orthoinit.TestImages;
import org.orthoinit.model.AlexNet;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.NetworkGraph;
import org.orthoinit.model.Parameter;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

class LsuvTest {

  private static final int N = 32;

  /**
   * The variance of every convolution's output and of the logits on the batch, measured apart from
   * the initializer: the model's own layers, batch norms on batch statistics (as the initializer's
   * walk), no dropout.
   */
  private static List<Double> variances(ModelSession s, float[] x, int n) {
    Ops tf = s.model().tf().withSubScope("test_variances");
    List<Operand<TFloat32>> vars = new ArrayList<>();
    var images = tf.placeholder(TFloat32.class);
    NetworkGraph.Pass f = s.model().walk(tf, images, NetworkGraph.Mode.INIT,
        (scope, layer, in, k, b) -> {
          Operand<TFloat32> y = NetworkGraph.convolve(scope, layer, in, k, b);
          vars.add(variance(scope, y));
          return y;
        });
    vars.add(variance(tf, f.logits()));
    Session.Runner r = s.session().runner();
    vars.forEach(r::fetch);
    List<Double> out = new ArrayList<>();
    try (TFloat32 t = TFloat32.tensorOf(Shape.of(n, 32, 32, 3), DataBuffers.of(x, true, false));
        Result res = r.feed(images, t).run()) {
      for (int i = 0; i < vars.size(); i++) {
        out.add((double) ((TFloat32) res.get(i)).getFloat());
      }
    }
    return out;
  }

  private static Operand<TFloat32> variance(Ops tf, Operand<TFloat32> y) {
    var axes = tf.range(tf.constant(0), tf.rank(y), tf.constant(1));
    return tf.math.mean(tf.math.squaredDifference(y, tf.math.mean(y, axes)), axes);
  }

  @ParameterizedTest(name = "{0} extra layers, level {1}, batch norm {2}")
  @CsvSource({"2, 3, false", "2, 2, false", "2, 3, true"})
  void everyLayerHasUnitOutputVarianceWithinTheTolerance(int layers, int level, boolean bn)
      throws InitException {
    float[] x = TestImages.uniform(N, 5);
    ModelConfig config = new ModelConfig(layers, level, bn, 0.5f, 10);
    try (ModelSession s = ModelSession.open(config, 1, 0)) {
      Xavier.initialize(s, 3);
      Lsuv.Report report = new Lsuv(s, Lsuv.PAPER).initialize(x, N, 9);
      int convs = AlexNet.of(config).convs().size();
      assertEquals(convs + 3, report.layers().size());
      for (Lsuv.LayerResult l : report.layers()) {
        assertTrue(Math.abs(l.variance() - 1) < 0.1, l.toString());
        assertTrue(l.iterations() >= 1 && l.iterations() <= 10, l.toString());
      }
      List<Double> measured = variances(s, x, N);
      assertEquals(convs + 1, measured.size());
      for (int i = 0; i < measured.size(); i++) {
        assertTrue(Math.abs(measured.get(i) - 1) < 0.1, "layer " + i + ": " + measured.get(i));
      }
      // the last entry of the report is the logits: same figure both ways
      assertEquals(report.layers().get(convs + 2).variance(), measured.get(convs), 1e-3);
    }
  }

  /** Per-channel random biases of this spread on every layer. */
  private static void randomBiases(ModelSession s, ModelConfig config, double spread) {
    Random random = new Random(4);
    Map<String, float[]> biases = new LinkedHashMap<>();
    for (Parameter p : AlexNet.of(config).parameters()) {
      if (p.kind() == Parameter.Kind.BIAS) {
        float[] b = new float[(int) p.shape()[0]];
        for (int i = 0; i < b.length; i++) {
          b[i] = (float) (spread * random.nextGaussian());
        }
        biases.put(p.name(), b);
      }
    }
    s.assign(biases);
  }

  @Test
  void aTighterToleranceIsMetWithBiasesThatNeedSeveralIterations() throws InitException {
    float[] x = TestImages.uniform(N, 6);
    ModelConfig config = ModelConfig.of(1);
    try (ModelSession s = ModelSession.open(config, 1, 0)) {
      Xavier.initialize(s, 3);
      // biases are not scaled, so one step no longer lands on 1
      randomBiases(s, config, 0.2);
      Lsuv.Report report = new Lsuv(s, new Lsuv.Settings(0.01, 20)).initialize(x, N, 9);
      assertTrue(report.layers().stream().anyMatch(l -> l.iterations() > 1), report.toString());
      assertEquals(List.of(), report.unconverged());
      for (double v : variances(s, x, N)) {
        assertTrue(Math.abs(v - 1) < 0.01, "variance " + v);
      }
    }
  }

  @Test
  void biasesThatCarryMoreThanUnitVarianceAreReportedAsNotConverged() throws InitException {
    float[] x = TestImages.uniform(N, 6);
    ModelConfig config = ModelConfig.of(0);
    try (ModelSession s = ModelSession.open(config, 1, 0)) {
      Xavier.initialize(s, 3);
      randomBiases(s, config, 2); // bias variance ~4: no kernel scale brings the output to 1
      Lsuv.Report report = new Lsuv(s, new Lsuv.Settings(0.1, 5)).initialize(x, N, 9);
      assertTrue(!report.unconverged().isEmpty(), report.toString());
      for (Lsuv.LayerResult l : report.layers()) {
        if (!l.converged()) {
          assertEquals(5, l.iterations(), l.toString());
          assertTrue(Math.abs(l.variance() - 1) >= 0.1, l.toString());
        }
      }
    }
  }

  @Test
  void kernelsStartOrthonormalAndAreOnlyScaled() throws InitException {
    float[] x = TestImages.uniform(N, 7);
    try (ModelSession s = ModelSession.open(ModelConfig.of(1), 1, 0)) {
      Xavier.initialize(s, 3);
      new Lsuv(s, Lsuv.PAPER).initialize(x, N, 9);
      Map<String, float[]> k = s.read(List.of("features.0.weight", "features.11.weight",
          "classifier.1.weight"));
      // [27, 64]: wider than tall, orthogonal rows; [2304, 256] and [1024, 4096]: the narrow side
      assertScaledOrthonormal(k.get("features.0.weight"), 27, 64, false);
      assertScaledOrthonormal(k.get("features.11.weight"), 2304, 256, true);
      assertScaledOrthonormal(k.get("classifier.1.weight"), 1024, 4096, false);
    }
  }

  /** M^T M (columns) or M M^T (rows) is c * I for one c > 0. */
  private static void assertScaledOrthonormal(float[] m, int rows, int cols, boolean columns) {
    int k = columns ? cols : rows;
    int len = columns ? rows : cols;
    double[][] gram = new double[k][k];
    for (int a = 0; a < k; a++) {
      for (int b = a; b < k; b++) {
        double sum = 0;
        for (int i = 0; i < len; i++) {
          sum += columns ? (double) m[i * cols + a] * m[i * cols + b]
              : (double) m[a * cols + i] * m[b * cols + i];
        }
        gram[a][b] = sum;
      }
    }
    double c = gram[0][0];
    assertTrue(c > 0);
    for (int a = 0; a < k; a++) {
      assertEquals(1, gram[a][a] / c, 1e-4, "diagonal " + a);
      for (int b = a + 1; b < k; b++) {
        assertEquals(0, gram[a][b] / c, 1e-4, "off-diagonal " + a + "," + b);
      }
    }
  }

  @Test
  void aLayerWithNoVarianceIsNamedAndStops() {
    float[] black = new float[N * TestImages.PIXELS];
    try (ModelSession s = ModelSession.open(ModelConfig.of(0), 1, 0)) {
      Xavier.initialize(s, 3); // zero biases: black images give a constant zero output
      InitException e = assertThrows(InitException.class,
          () -> new Lsuv(s, Lsuv.PAPER).initialize(black, N, 9));
      assertTrue(e.getMessage().startsWith("features.0: "), e.getMessage());
    }
  }

  @Test
  void settingsOutsideTheirRangeAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new Lsuv.Settings(0, 10));
    assertThrows(IllegalArgumentException.class, () -> new Lsuv.Settings(1, 10));
    assertThrows(IllegalArgumentException.class, () -> new Lsuv.Settings(0.1, 0));
  }

  /**
   * The orthonormal start is Q sign(diag R) of the seeded Gaussian matrix: the Q with a positive R
   * diagonal, which Gram-Schmidt gives directly. Without the sign fix, columns would come out
   * with the signs the QR routine happens to choose.
   */
  @Test
  void theOrthonormalStartIsTheGramSchmidtBasisOfTheSeededGaussian() throws InitException {
    long seed = 9;
    float[] x = TestImages.uniform(N, 7);
    float[] kernel;
    try (ModelSession s = ModelSession.open(ModelConfig.of(0), 1, 0)) {
      Xavier.initialize(s, 3);
      new Lsuv(s, Lsuv.PAPER).initialize(x, N, seed);
      kernel = s.read(List.of("features.0.weight")).get("features.0.weight");
    }
    // features.0 is the first parameter: HWIO [3, 3, 3, 64] = [27, 64], wider than tall, so
    // the Gaussian is [64, 27] and the kernel is its Q transposed
    int m = 64;
    int k = 27;
    Random random = new Random(seed * 0x9E3779B97F4A7C15L);
    double[][] q = new double[k][m]; // columns of the Gaussian, orthonormalized in order
    float[] g = new float[m * k];
    for (int i = 0; i < g.length; i++) {
      g[i] = (float) random.nextGaussian();
    }
    for (int j = 0; j < k; j++) {
      for (int i = 0; i < m; i++) {
        q[j][i] = g[i * k + j];
      }
      for (int p = 0; p < j; p++) {
        double dot = 0;
        for (int i = 0; i < m; i++) {
          dot += q[p][i] * q[j][i];
        }
        for (int i = 0; i < m; i++) {
          q[j][i] -= dot * q[p][i];
        }
      }
      double norm = 0;
      for (int i = 0; i < m; i++) {
        norm += q[j][i] * q[j][i];
      }
      for (int i = 0; i < m; i++) {
        q[j][i] /= Math.sqrt(norm);
      }
    }
    double scale = 0; // LSUV's one factor for the whole kernel: the norm of any row
    for (int i = 0; i < m; i++) {
      scale += (double) kernel[i] * kernel[i];
    }
    scale = Math.sqrt(scale);
    for (int j = 0; j < k; j++) {
      for (int i = 0; i < m; i++) {
        assertEquals(q[j][i], kernel[j * m + i] / scale, 1e-4, "row " + j + ", column " + i);
      }
    }
  }
}
