package org.orthoinit.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.orthoinit.TestTensors.fetch;

import java.util.List;
import java.util.Random;
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
 * Two layers' outputs combined element by element with broadcasting, as a squeeze-excitation
 * scales its input: values and both gradients of sum(R (a op b)) for a [2, 3, 4, 5] (NHWC) by
 * a [2, 1, 1, 5] against sums worked out here in double, and the shapes that broadcast or not.
 */
class ElementwiseTest {

  private static final int N = 2;
  private static final int H = 3;
  private static final int W = 4;
  private static final int C = 5;

  @Test
  void aPerChannelScaleBroadcastsAndItsGradientSumsOverTheMap() {
    Random random = new Random(5);
    float[] a = gaussian(random, N * H * W * C);
    float[] b = new float[N * C];
    for (int i = 0; i < b.length; i++) {
      b[i] = 0.5f + random.nextFloat(); // away from 0, for the division
    }
    float[] r = gaussian(random, N * H * W * C);
    for (Layer.Arithmetic.Op op : Layer.Arithmetic.Op.values()) {
      float[] y;
      float[] da;
      float[] db;
      try (Graph g = new Graph(); Session s = new Session(g)) {
        Ops tf = Ops.create(g);
        Operand<TFloat32> x = tf.constant(Shape.of(N, H, W, C), DataBuffers.of(a));
        Operand<TFloat32> scale = tf.constant(Shape.of(N, 1, 1, C), DataBuffers.of(b));
        Operand<TFloat32> out = NetworkGraph.elementwise(tf, op, x, scale);
        Operand<TFloat32> loss = tf.reduceSum(tf.math.mul(out,
            tf.constant(Shape.of(N, H, W, C), DataBuffers.of(r))),
            tf.constant(new int[] {0, 1, 2, 3}));
        Gradients grad = tf.gradients(loss, List.of(x, scale));
        y = fetch(s, out);
        da = fetch(s, grad.<TFloat32>dy(0));
        db = fetch(s, grad.<TFloat32>dy(1));
      }
      double[] dbExpected = new double[N * C];
      for (int n = 0; n < N; n++) {
        for (int i = 0; i < H * W; i++) {
          for (int c = 0; c < C; c++) {
            int at = (n * H * W + i) * C + c;
            double x = a[at];
            double v = b[n * C + c];
            double value = switch (op) {
              case ADD -> x + v;
              case SUB -> x - v;
              case MUL -> x * v;
              case DIV -> x / v;
            };
            double dx = switch (op) {
              case ADD, SUB -> 1;
              case MUL -> v;
              case DIV -> 1 / v;
            };
            double dv = switch (op) {
              case ADD -> 1;
              case SUB -> -1;
              case MUL -> x;
              case DIV -> -x / (v * v);
            };
            assertEquals(value, y[at], 1e-5 * Math.max(1, Math.abs(value)), op + " value");
            assertEquals(dx * r[at], da[at], 1e-5, op + " gradient of a");
            dbExpected[n * C + c] += dv * r[at];
          }
        }
      }
      for (int i = 0; i < db.length; i++) {
        assertEquals(dbExpected[i], db[i], 1e-4 * Math.max(1, Math.abs(dbExpected[i])),
            op + " gradient of the scale, summed over the map");
      }
    }
  }

  @Test
  void shapesBroadcastAxisByAxisOrTheLayerIsRefusedByName() {
    Layer.Elementwise mul = new Layer.Elementwise("se", "x", "s", Layer.Arithmetic.Op.MUL);
    assertEquals(new Dims(8, 4, 4), Network.infer(mul, List.of(new Dims(8, 4, 4),
        new Dims(8, 1, 1))));
    assertEquals(new Dims(8, 4, 4), Network.infer(mul, List.of(new Dims(1, 4, 4),
        new Dims(8, 1, 1))));
    assertEquals(Dims.vector(10), Network.infer(mul, List.of(Dims.vector(10),
        Dims.vector(1))));
    for (List<Dims> bad : List.of(List.of(new Dims(8, 4, 4), new Dims(4, 1, 1)),
        List.of(new Dims(8, 4, 4), Dims.vector(8)), List.of(new Dims(8, 4, 4),
            new Dims(8, 2, 4)))) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Network.infer(mul, bad));
      assertTrue(e.getMessage().startsWith("layer se: Mul of ")
          && e.getMessage().endsWith("the shapes do not broadcast"), e.getMessage());
    }
  }

  /** ONNX has one Add: of two outputs of one shape it reads back as the Add layer, never this. */
  @Test
  void anAddOfOneShapeIsTheAddLayersNotThisOnes() {
    Layer.Elementwise add = new Layer.Elementwise("sum", "x", "y", Layer.Arithmetic.Op.ADD);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Network.infer(add, List.of(new Dims(8, 4, 4), new Dims(8, 4, 4))));
    assertEquals("layer sum: an Add of two 8x4x4 outputs is an Add layer, not an element-wise one",
        e.getMessage());
    assertEquals(new Dims(8, 4, 4), Network.infer(add, List.of(new Dims(8, 4, 4),
        new Dims(8, 1, 1))));
  }

  private static float[] gaussian(Random random, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return v;
  }
}
