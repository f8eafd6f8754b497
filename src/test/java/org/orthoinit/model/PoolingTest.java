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

/** The model's 2x2 max pooling: its values, its gradient, and the op oneDNN takes over. */
class PoolingTest {

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
