package org.orthoinit.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.orthoinit.TestTensors.fetch;

import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Gradients;
import org.tensorflow.types.TFloat32;

/**
 * The model's 2x2 max pooling (its values, its gradient, the op oneDNN takes over), and padded
 * and ceil_mode pools against values worked out by hand with PyTorch's rules.
 */
class PoolingTest {

  /** x = 0..24 as one 5 x 5 image, one channel. */
  private static float[] pooled(Layer layer) {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      float[] v = new float[25];
      for (int i = 0; i < 25; i++) {
        v[i] = i;
      }
      Operand<TFloat32> x = tf.constant(Shape.of(1, 5, 5, 1), DataBuffers.of(v));
      Dims in = new Dims(1, 5, 5);
      return fetch(s, layer instanceof Layer.AvgPool a ? NetworkGraph.avgPool(tf, a, x, in)
          : NetworkGraph.maxPool(tf, (Layer.MaxPool) layer, x, in));
    }
  }

  @Test
  void paddedAndCeilModePoolsDivideAndPickAsPyTorch() {
    // k 3, s 2, p 1, ceil, padding counted: 3 x 3 outputs, every window divided by 9
    // (0,0): (0 + 1 + 5 + 6) / 9; (2,2): rows and columns 3..4 and one of padding
    float[] counted = pooled(new Layer.AvgPool("p", "x", Window.square(3, 2, 1), true, true));
    assertEquals(9, counted.length);
    assertEquals(12f / 9, counted[0], 1e-6);
    assertEquals((18 + 19 + 23 + 24) / 9f, counted[8], 1e-5);
    // k 2, s 2, ceil: the last row and column of windows hang over the image and count only
    // what is in it: (0,2) = (4 + 9) / 2, (2,2) = 24
    float[] ceil = pooled(new Layer.AvgPool("p", "x", Window.square(2, 2, 0), true, true));
    assertArrayEquals(new float[] {3, 5, 6.5f, 13, 15, 16.5f, 20.5f, 22.5f, 24}, ceil, 1e-5f);
    // k 3, s 2, p 1, padding not counted: (0,0) = 12 / 4, (1,1) = 108 / 9, (2,2) = 84 / 4
    float[] uncounted = pooled(new Layer.AvgPool("p", "x", Window.square(3, 2, 1), false, false));
    assertEquals(3f, uncounted[0], 1e-6);
    assertEquals(12f, uncounted[4], 1e-5);
    assertEquals(21f, uncounted[8], 1e-5);
    // max pool k 3, s 3, p 1, ceil: a third window would start in the padding, so 2 x 2, and
    // padding never wins: (0,0) = max of rows and columns 0..1 = 6
    float[] max = pooled(new Layer.MaxPool("p", "x", Window.square(3, 3, 1), true));
    assertArrayEquals(new float[] {6, 9, 21, 24}, max);
    assertEquals(2, Window.square(3, 3, 1).outputHeight(5, true));
    assertEquals(3, Window.square(2, 2, 0).outputHeight(5, true));
    assertEquals(2, Window.square(2, 2, 0).outputHeight(5, false));
  }

  @Test
  void poolsTwoByTwoRoutesTheGradientToEachMaximumAndIsTheAttributeForm() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      // one image, 4 x 4, one channel: 0..15 row by row, so each window's maximum is its
      // bottom-right value
      float[] v = new float[16];
      for (int i = 0; i < 16; i++) {
        v[i] = i;
      }
      Operand<TFloat32> x = tf.constant(Shape.of(1, 4, 4, 1), DataBuffers.of(v));
      Operand<TFloat32> y = NetworkGraph.maxPool(tf, Layer.MaxPool.of("pool", Network.INPUT_NAME,
          2), x, new Dims(1, 4, 4));
      Gradients grad = tf.gradients(tf.reduceSum(y, tf.constant(new int[] {0, 1, 2, 3})),
          java.util.List.of(x));
      assertArrayEquals(new float[] {5, 7, 13, 15}, fetch(s, y));
      assertArrayEquals(new float[] {0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1},
          fetch(s, grad.<TFloat32>dy(0)));
      int v1 = 0;
      int v2 = 0;
      for (var it = g.operations(); it.hasNext(); ) {
        String type = ((GraphOperation) it.next()).type();
        v1 += type.equals("MaxPool") ? 1 : 0;
        v2 += type.equals("MaxPoolV2") ? 1 : 0;
      }
      assertEquals(1, v1, "MaxPool with ksize and strides as attributes");
      assertEquals(0, v2, "MaxPoolV2 stays on TensorFlow's own kernels");
    }
  }
}
