package org.orthoinit;

import java.util.List;
import java.util.Random;
import org.orthoinit.model.ModelSession;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Gradients;
import org.tensorflow.types.TFloat32;

/** Running a graph's values out to Java, and seeded values in, for tests. */
public final class TestTensors {

  private TestTensors() {}

  /** The value of {@code op}, row-major. */
  public static float[] fetch(Session s, Operand<TFloat32> op) {
    try (Result r = s.runner().fetch(op).run()) {
      return ModelSession.toArray((TFloat32) r.get(0));
    }
  }

  /**
   * The network's output on {@code n} images (NHWC) and the gradient with respect to the images
   * of sum_i w_i y_i, where w is {@code outputWeights} in the output's order, or all ones when
   * null: {@code {output, gradient}}.
   */
  public static float[][] outputAndImageGradient(ModelSession s, float[] imagesNhwc, int n,
      float[] outputWeights) {
    Ops tf = s.model().tf().withSubScope("image_gradient");
    Operand<TFloat32> y = s.eval().logits();
    Operand<TFloat32> flat = tf.reshape(y, tf.constant(new int[] {-1}));
    Operand<TFloat32> weighted = outputWeights == null ? flat
        : tf.math.mul(flat, tf.constant(outputWeights));
    Gradients grad = tf.gradients(tf.reduceSum(weighted, tf.constant(0)),
        List.of(s.model().images()));
    try (TFloat32 images = ModelSession.imagesTensor(imagesNhwc, n);
        Result r = s.session().runner().feed(s.model().images(), images).fetch(y)
            .fetch(grad.<TFloat32>dy(0)).run()) {
      return new float[][] {ModelSession.toArray((TFloat32) r.get(0)),
          ModelSession.toArray((TFloat32) r.get(1))};
    }
  }

  /** {@code n} seeded normal values with standard deviation {@code std}. */
  public static float[] gaussian(Random random, int n, double std) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) (random.nextGaussian() * std);
    }
    return out;
  }
}
