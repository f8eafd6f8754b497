package org.orthoinit.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.orthoinit.TestImages;
import org.orthoinit.TestTensors;

/**
 * The Erf layer (the exact GELU's part, as PyTorch exports it): its values against the error
 * function's Taylor series in double, and its gradient against 2 / sqrt(pi) e^(-x^2).
 */
class ErfTest {

  /** erf(x) = 2 / sqrt(pi) sum_k (-1)^k x^(2k+1) / (k! (2k + 1)), for |x| up to about 3. */
  private static double erf(double x) {
    double term = x;
    double sum = 0;
    for (int k = 0; k < 80; k++) {
      sum += term / (2 * k + 1);
      term *= -x * x / (k + 1);
    }
    return 2 / Math.sqrt(Math.PI) * sum;
  }

  @Test
  void erfIsTheSeriesAndItsGradientTheGaussian() {
    Network network = Network.ofAnyShape("erf", new Dims(3, 32, 32),
        List.of(new Layer.Erf("e", Network.INPUT_NAME)));
    int n = 2;
    float[] x = TestImages.uniform(n, 4);
    for (int i = 0; i < x.length; i++) {
      x[i] = 5 * x[i] - 2.5f; // [-2.5, 2.5]: every piece of the curve
    }
    try (ModelSession s = ModelSession.open(network, 0, 1, Compute.CPU)) {
      float[][] run = TestTensors.outputAndImageGradient(s, x, n, null);
      float[] values = run[0];
      float[] slopes = run[1];
      for (int i = 0; i < x.length; i++) {
        double v = x[i];
        assertEquals(erf(v), values[i], 1e-6, "erf at " + v);
        assertEquals(2 / Math.sqrt(Math.PI) * Math.exp(-v * v), slopes[i], 1e-6,
            "gradient at " + v);
      }
    }
  }
}
