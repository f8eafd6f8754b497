package org.orthoinit.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.orthoinit.TestImages;
import org.orthoinit.TestTensors;

/**
 * ConvNeXt's layers through the network graph: a layer norm over the channels at each position,
 * a linear layer on each position's channels, a trained factor per channel. Their input is six
 * channels made from the image's three (channel c is image channel c mod 3 times c + 1, plus c:
 * no two alike), and each layer's values and the gradient of sum_k w_k y_k with respect to the
 * image are held against float64 sums worked out below from the definitions, not from the
 * graph's ops.
 */
class ChannelsLastLayersTest {

  private static final int N = 2;
  private static final int PIXELS = Network.IMAGE_SIZE * Network.IMAGE_SIZE;
  private static final int C = 6;

  /** Six channels: image channel c mod 3, times c + 1, plus c. */
  private static List<Layer> six() {
    float[] scale = {1, 2, 3, 4, 5, 6};
    float[] shift = {0, 1, 2, 3, 4, 5};
    return List.of(new Layer.Concat("both", List.of(Network.INPUT_NAME, Network.INPUT_NAME), 1),
        new Layer.Arithmetic("scaled", "both", Layer.Arithmetic.Op.MUL, new Dims(C, 1, 1), scale,
            false),
        new Layer.Arithmetic("six", "scaled", Layer.Arithmetic.Op.ADD, new Dims(C, 1, 1), shift,
            false));
  }

  private static double channel(float[] x, int p, int c) {
    return x[p * 3 + c % 3] * (c + 1.0) + c;
  }

  /** d(channel c of pixel p) / d(image channel m of pixel p). */
  private static double slope(int c, int m) {
    return c % 3 == m ? c + 1.0 : 0;
  }

  @Test
  void aLayerNormNormalizesEachPositionsChannelsThenScalesAndShifts() {
    float epsilon = 1e-3f;
    float[] gamma = {1.5f, -0.5f, 2f, 1f, 0.25f, -1f};
    float[] beta = {0.1f, 0.2f, -0.3f, 0f, 1f, -2f};
    Network network = network(new Layer.LayerNorm("ln", "six", C, epsilon, true));
    float[] x = TestImages.uniform(N, 11);
    float[] w = outputWeights(C);
    float[][] run = run(network, x, w, Map.of("ln.weight", gamma, "ln.bias", beta));
    for (int p = 0; p < N * PIXELS; p++) {
      double[] v = new double[C];
      double mean = 0;
      for (int c = 0; c < C; c++) {
        v[c] = channel(x, p, c);
        mean += v[c] / C;
      }
      double variance = 0;
      for (int c = 0; c < C; c++) {
        variance += (v[c] - mean) * (v[c] - mean) / C;
      }
      double sigma = Math.sqrt(variance + epsilon);
      double[] xhat = new double[C];
      for (int c = 0; c < C; c++) {
        xhat[c] = (v[c] - mean) / sigma;
        assertEquals(xhat[c] * gamma[c] + beta[c], run[0][p * C + c], 2e-5,
            "pixel " + p + ", channel " + c);
      }
      // d/dv of sum_c g_c xhat_c with g_c = w_c gamma_c: (g - mean(g) - xhat mean(g xhat)) / sigma
      double meanG = 0;
      double meanGx = 0;
      for (int c = 0; c < C; c++) {
        double g = w[p * C + c] * gamma[c];
        meanG += g / C;
        meanGx += g * xhat[c] / C;
      }
      for (int m = 0; m < 3; m++) {
        double expected = 0;
        for (int c = 0; c < C; c++) {
          double g = w[p * C + c] * gamma[c];
          expected += (g - meanG - xhat[c] * meanGx) / sigma * slope(c, m);
        }
        assertEquals(expected, run[1][p * 3 + m], 2e-4 * Math.max(1, Math.abs(expected)),
            "gradient at pixel " + p + ", image channel " + m);
      }
    }
  }

  @Test
  void aLinearLayerOnAnImageMapsEachPositionsChannels() {
    int out = 4;
    Network network = network(new Layer.Linear("pointwise", "six", C, out, true));
    float[] weight = new float[C * out]; // TensorFlow's [in, out]
    for (int i = 0; i < weight.length; i++) {
      weight[i] = (i % 7 - 3) * 0.25f;
    }
    float[] bias = {0.5f, -1f, 0f, 2f};
    float[] x = TestImages.uniform(N, 12);
    float[] w = outputWeights(out);
    float[][] run = run(network, x, w, Map.of("pointwise.weight", weight, "pointwise.bias",
        bias));
    assertEquals(N * PIXELS * out, run[0].length);
    for (int p = 0; p < N * PIXELS; p++) {
      for (int o = 0; o < out; o++) {
        double y = bias[o];
        for (int c = 0; c < C; c++) {
          y += channel(x, p, c) * weight[c * out + o];
        }
        assertEquals(y, run[0][p * out + o], 1e-4, "pixel " + p + ", output " + o);
      }
      for (int m = 0; m < 3; m++) {
        double expected = 0;
        for (int o = 0; o < out; o++) {
          for (int c = 0; c < C; c++) {
            expected += w[p * out + o] * weight[c * out + o] * slope(c, m);
          }
        }
        assertEquals(expected, run[1][p * 3 + m], 1e-4, "gradient at pixel " + p);
      }
    }
    assertEquals(2L * PIXELS * C * out + 0, Summary.forwardFlops(network)
        - Summary.forwardFlops(Network.ofAnyShape("x", new Dims(3, 32, 32), six())),
        "a multiply-add per position, input and output channel");
  }

  @Test
  void aScaleMultipliesEachChannelByItsFactor() {
    float[] factor = {2f, -1f, 0.5f, 0f, 3f, 1e-6f};
    Network network = network(new Layer.Scale("block.layer_scale", "six", C));
    assertEquals(List.of(new Parameter("block.layer_scale", Parameter.Kind.SCALE,
        new long[] {C})), network.parameters(), "one factor per channel, named as the layer");
    float[] x = TestImages.uniform(N, 13);
    float[] w = outputWeights(C);
    float[][] run = run(network, x, w, Map.of("block.layer_scale", factor));
    for (int p = 0; p < N * PIXELS; p++) {
      for (int c = 0; c < C; c++) {
        assertEquals(channel(x, p, c) * factor[c], run[0][p * C + c], 1e-5);
      }
      for (int m = 0; m < 3; m++) {
        double expected = 0;
        for (int c = 0; c < C; c++) {
          expected += w[p * C + c] * factor[c] * slope(c, m);
        }
        assertEquals(expected, run[1][p * 3 + m], 1e-4);
      }
    }
  }

  @Test
  void shapesThatDoNotFitAreRefusedByName() {
    IllegalArgumentException norm = assertThrows(IllegalArgumentException.class,
        () -> network(new Layer.LayerNorm("ln", "six", 4, 1e-5f, true)));
    assertTrue(norm.getMessage().contains("layer ln: expects 4 channels"), norm.getMessage());
    IllegalArgumentException linear = assertThrows(IllegalArgumentException.class,
        () -> network(new Layer.Linear("pointwise", "six", 5, 2, true)));
    assertTrue(linear.getMessage().contains("layer pointwise: expects 5 channels"),
        linear.getMessage());
    IllegalArgumentException scale = assertThrows(IllegalArgumentException.class,
        () -> network(new Layer.Scale("s.layer_scale", "six", 3)));
    assertTrue(scale.getMessage().contains("layer s.layer_scale: scales 3 channels"),
        scale.getMessage());
    IllegalArgumentException named = assertThrows(IllegalArgumentException.class,
        () -> network(new Layer.Scale("gain", "six", C)));
    assertTrue(named.getMessage().contains("a layer scale is named as PyTorch's parameter"),
        named.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> new Layer.LayerNorm("ln", "six", C, -1f, true));
  }

  private static float[] outputWeights(int channels) {
    float[] w = new float[N * PIXELS * channels];
    for (int i = 0; i < w.length; i++) {
      w[i] = (i % (channels + 1)) - channels / 2f;
    }
    return w;
  }

  private static Network network(Layer last) {
    List<Layer> layers = new ArrayList<>(six());
    layers.add(last);
    return Network.ofAnyShape("channels", new Dims(3, 32, 32), layers);
  }

  private static float[][] run(Network network, float[] x, float[] w,
      Map<String, float[]> weights) {
    try (ModelSession s = ModelSession.open(network, 0, 1, Compute.CPU)) {
      s.assign(weights);
      return TestTensors.outputAndImageGradient(s, x, N, w);
    }
  }
}
