package org.orthoinit.init;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.orthoinit.model.AlexNet;
import org.orthoinit.model.Layer;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.Network;
import org.orthoinit.model.NetworkGraph;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/** Xiao et al.'s delta-orthogonal kernels: zero off the centre tap, orthogonal on it. */
class DeltaOrthogonalTest {

  private static final Network SEED = AlexNet.of(ModelConfig.of(1));
  /** Made once: the classifier's 4096 x 4096 QR takes seconds. */
  private static Map<String, float[]> values;

  private static synchronized Map<String, float[]> values() {
    if (values == null) {
      values = ((DataFree) Initializers.byId("delta-orthogonal")).start(SEED, 2);
    }
    return values;
  }

  @Test
  void onlyTheCentreTapIsNonZeroAndItIsGainTimesOrthogonal() {
    Map<String, float[]> v = values();
    for (Layer.Conv c : SEED.convs()) {
      float[] w = v.get(c.weight());
      int k = c.window().kernelH();
      int block = c.in() * c.out();
      float[] centre = new float[block];
      for (int tap = 0; tap < k * k; tap++) {
        for (int i = 0; i < block; i++) {
          float x = w[tap * block + i];
          if (tap == (k / 2) * k + k / 2) {
            centre[i] = x;
          } else {
            assertEquals(0f, x, c.name() + " tap " + tap);
          }
        }
      }
      // [Cin, Cout] with Cin <= Cout everywhere in the seed's net: H H^T = 2 I_Cin
      DataFreeInitializersTest.assertGram(centre, c.in(), c.out(), false, c.name());
      if (c.square()) {
        DataFreeInitializersTest.assertGram(centre, c.in(), c.out(), true, c.name());
      }
    }
    // the classifier as orthogonal_: classifier.6 [4096, 10] in TensorFlow's layout
    DataFreeInitializersTest.assertGram(v.get("classifier.6.weight"), 4096, 10, true,
        "classifier.6");
  }

  @Test
  void aDeltaOrthogonalConvolutionScalesEveryPixelsNormBySqrtTwo() {
    // TensorFlow's own convolution, padded as the model pads: with the kernel at the centre tap
    // only, every output pixel is sqrt(2) x H of its input pixel, so norms scale by sqrt(2)
    Map<String, float[]> v = values();
    Layer.Conv c = SEED.convs().stream().filter(Layer.Conv::square).findFirst().orElseThrow();
    int n = 2;
    int hw = 8;
    float[] input = new float[n * hw * hw * c.in()]; // [2, 8, 8, Cin], uniform in [0, 1)
    java.util.Random random = new java.util.Random(8);
    for (int i = 0; i < input.length; i++) {
      input[i] = random.nextFloat();
    }
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Operand<TFloat32> in = tf.constant(Shape.of(n, hw, hw, c.in()),
          DataBuffers.of(input, true, false));
      Operand<TFloat32> kernel = tf.constant(Shape.of(3, 3, c.in(), c.out()),
          DataBuffers.of(v.get(c.weight()), true, false));
      Operand<TFloat32> y = NetworkGraph.convolve(tf, c, in, kernel, null);
      try (Result r = s.runner().fetch(y).run()) {
        float[] out = ModelSession.toArray((TFloat32) r.get(0));
        for (int p = 0; p < n * hw * hw; p++) {
          double a = 0;
          double b = 0;
          for (int ch = 0; ch < c.in(); ch++) {
            a += Math.pow(input[p * c.in() + ch], 2);
          }
          for (int ch = 0; ch < c.out(); ch++) {
            b += Math.pow(out[p * c.out() + ch], 2);
          }
          assertEquals(Math.sqrt(2), Math.sqrt(b / a), 1e-5, "pixel " + p);
        }
      }
    }
  }
}
