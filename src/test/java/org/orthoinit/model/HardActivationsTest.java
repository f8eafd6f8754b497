package org.orthoinit.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.orthoinit.TestTensors.fetch;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Gradients;
import org.tensorflow.types.TFloat32;

/**
 * HardSwish and HardSigmoid, values and gradients, against PyTorch's definitions worked out by
 * hand in double: hardswish(x) = x relu6(x + 3) / 6 with gradient 0 below -3, x / 3 + 1/2
 * between -3 and 3 and 1 above; ONNX's hard sigmoid min(max(alpha x + beta, 0), 1) with gradient
 * alpha between its kinks, 0 outside.
 */
class HardActivationsTest {

  /** Points in every piece, none at a kink (the gradient there is a choice). */
  private static final float[] X = {-7f, -3.25f, -2.4f, -1f, -0.2f, 0f, 0.4f, 1.5f, 2.9f,
      3.1f, 12f};

  private interface Activation {
    Operand<TFloat32> apply(Ops tf, Operand<TFloat32> x);
  }

  /** The activation's values at X and its gradient there (of the sum). */
  private static float[][] run(Activation f) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Operand<TFloat32> x = tf.constant(Shape.of(X.length), DataBuffers.of(X));
      Operand<TFloat32> y = f.apply(tf, x);
      Gradients grad = tf.gradients(tf.reduceSum(y, tf.constant(0)), List.of(x));
      return new float[][] {fetch(s, y), fetch(s, grad.<TFloat32>dy(0))};
    }
  }

  @Test
  void hardSwishIsPyTorchsInValueAndGradient() {
    float[][] r = run(NetworkGraph::hardSwish);
    for (int i = 0; i < X.length; i++) {
      double x = X[i];
      double value = x * Math.min(Math.max(x + 3, 0), 6) / 6;
      double slope = x < -3 ? 0 : x > 3 ? 1 : x / 3 + 0.5;
      assertEquals(value, r[0][i], 1e-6 * Math.max(1, Math.abs(value)), "value at " + x);
      assertEquals(slope, r[1][i], 1e-6, "gradient at " + x);
    }
  }

  @Test
  void hardSigmoidIsOnnxsAtItsDefaultsAndPyTorchsAtAlphaOneSixth() {
    for (float alpha : new float[] {0.2f, Layer.HardSigmoid.TORCH_ALPHA}) {
      float[][] r = run((tf, x) -> NetworkGraph.hardSigmoid(tf, x, alpha, 0.5f));
      for (int i = 0; i < X.length; i++) {
        double x = X[i];
        double line = alpha * x + 0.5;
        double value = Math.min(Math.max(line, 0), 1);
        double slope = line > 0 && line < 1 ? alpha : 0;
        assertEquals(value, r[0][i], 1e-6, "alpha " + alpha + ", value at " + x);
        assertEquals(slope, r[1][i], 1e-6, "alpha " + alpha + ", gradient at " + x);
      }
    }
  }
}
