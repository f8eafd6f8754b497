package org.orthoinit.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.orthoinit.TestTensors.fetch;
import static org.orthoinit.TestTensors.gaussian;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Gradients;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * The model's BatchNorm2d against values computed by hand, and its gradient against finite
 * differences.
 */
class BatchNormTest {

  /**
   * x is NHWC [2, 2, 2, 2]: channel 0 holds 1..8 (mean 4.5, biased variance 5.25, unbiased 6),
   * channel 1 holds 3, 3, 3, 3, 5, 5, 5, 5 (mean 4, biased variance 1, unbiased 8/7).
   */
  private static float[] input() {
    float[] x = new float[16];
    for (int i = 0; i < 8; i++) {
      x[2 * i] = i + 1;
      x[2 * i + 1] = i < 4 ? 3 : 5;
    }
    return x;
  }

  @Test
  void trainingUsesBatchStatisticsMovesRunningOnesAndEvalUsesThem() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Operand<TFloat32> x = tf.constant(Shape.of(2, 2, 2, 2), DataBuffers.of(input()));
      Operand<TFloat32> gamma = tf.constant(new float[] {2f, 0.5f});
      Operand<TFloat32> beta = tf.constant(new float[] {1f, -1f});
      Variable<TFloat32> mean = tf.variable(Shape.of(2), TFloat32.class);
      Variable<TFloat32> var = tf.variable(Shape.of(2), TFloat32.class);
      Op init1 = tf.assign(mean, tf.constant(new float[] {0f, 0f}));
      Op init2 = tf.assign(var, tf.constant(new float[] {1f, 1f}));
      List<Operand<TFloat32>> updates = new ArrayList<>();
      Operand<TFloat32> train = NetworkGraph.batchNorm(tf.withSubScope("train"), x, gamma, beta, mean,
          var, NetworkGraph.Mode.TRAIN, updates);
      Operand<TFloat32> eval = NetworkGraph.batchNorm(tf.withSubScope("eval"), x, gamma, beta, mean,
          var, NetworkGraph.Mode.EVAL, new ArrayList<>());
      assertEquals(2, updates.size());
      s.runner().addTarget(init1).addTarget(init2).run().close();

      float[] y = fetch(s, train);
      // 2 (1 - 4.5) / sqrt(5.25 + 1e-5) + 1, 2 (8 - 4.5) / sqrt(5.25 + 1e-5) + 1
      assertEquals(-2.0550476, y[0], 1e-5);
      assertEquals(4.0550476, y[14], 1e-5);
      // 0.5 (3 - 4) / sqrt(1 + 1e-5) - 1, 0.5 (5 - 4) / sqrt(1 + 1e-5) - 1
      assertEquals(-1.4999975, y[1], 1e-6);
      assertEquals(-0.5000025, y[15], 1e-6);

      // one step: running = 0.9 running + 0.1 batch (mean; unbiased variance)
      Session.Runner step = s.runner();
      updates.forEach(step::addTarget);
      step.run().close();
      float[] m = fetch(s, mean);
      float[] v = fetch(s, var);
      assertEquals(0.45, m[0], 1e-6);
      assertEquals(0.4, m[1], 1e-6);
      assertEquals(0.9 + 0.1 * 6, v[0], 1e-6);
      assertEquals(0.9 + 0.1 * 8.0 / 7, v[1], 1e-6);

      // evaluation normalizes with the running statistics
      float[] e = fetch(s, eval);
      assertEquals(1.8981432, e[0], 1e-5); // 2 (1 - 0.45) / sqrt(1.5 + 1e-5) + 1
      assertEquals(1.2837341, e[15], 1e-5); // 0.5 (5 - 0.4) / sqrt(1.0142857 + 1e-5) - 1

      // a second step moves them again from where they are
      step = s.runner();
      updates.forEach(step::addTarget);
      step.run().close();
      assertEquals(0.855, fetch(s, mean)[0], 1e-6);
      assertEquals(0.9 * 1.5 + 0.6, fetch(s, var)[0], 1e-5);
    }
  }

  /**
   * The init's walk (INIT mode) takes its batch statistics and the normalization in float64 (as
   * PyTorch sums a float32 batch norm's statistics, and further: the normalization too): a
   * channel far from zero (1000 plus noise of 0.01, 64 x 32 x 32 values) against the statistics
   * and the normalization computed in double, here, from the same float32 inputs. Summed in
   * float32, the mean alone is off by about the noise's size there.
   */
  @Test
  void theInitWalkNormalizesWithStatisticsExactToFloat32() {
    int n = 64 * 32 * 32;
    Random random = new Random(7);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (1000 + 0.01 * random.nextGaussian());
    }
    double sum = 0;
    for (float v : x) {
      sum += v;
    }
    double mean = sum / n;
    double squares = 0;
    for (float v : x) {
      squares += (v - mean) * (v - mean);
    }
    double invStd = 1 / Math.sqrt(squares / n + 1e-5);
    float[] y;
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Operand<TFloat32> in = tf.constant(Shape.of(64, 32, 32, 1), DataBuffers.of(x));
      Variable<TFloat32> runningMean = tf.variable(Shape.of(1), TFloat32.class);
      Variable<TFloat32> runningVar = tf.variable(Shape.of(1), TFloat32.class);
      y = fetch(s, NetworkGraph.batchNorm(tf, in, tf.constant(new float[] {1.5f}),
          tf.constant(new float[] {0.25f}), runningMean, runningVar, NetworkGraph.Mode.INIT,
          new ArrayList<>()));
    }
    double worst = 0;
    for (int i = 0; i < n; i++) {
      double expected = 1.5 * (x[i] - mean) * invStd + 0.25;
      worst = Math.max(worst, Math.abs(y[i] - expected));
    }
    // the outputs are of order 1: float32's rounding of them, and no more
    assertTrue(worst < 1e-6, "largest error " + worst);
  }

  /** ONNX's running variance: towards the population variance of the batch, 5.25 and 1. */
  @Test
  void thePopulationRunningVarianceIsAnExplicitSetting() {
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Operand<TFloat32> x = tf.constant(Shape.of(2, 2, 2, 2), DataBuffers.of(input()));
      Variable<TFloat32> mean = tf.variable(Shape.of(2), TFloat32.class);
      Variable<TFloat32> var = tf.variable(Shape.of(2), TFloat32.class);
      s.runner().addTarget(tf.assign(mean, tf.constant(new float[] {0f, 0f})))
          .addTarget(tf.assign(var, tf.constant(new float[] {1f, 1f}))).run().close();
      List<Operand<TFloat32>> updates = new ArrayList<>();
      NetworkGraph.batchNorm(tf, x, tf.constant(new float[] {1f, 1f}),
          tf.constant(new float[] {0f, 0f}), mean, var, 1e-5f, 0.1f,
          Layer.BatchNorm.RunningVariance.POPULATION, new int[] {0, 1, 2},
          NetworkGraph.Mode.TRAIN, updates);
      Session.Runner step = s.runner();
      updates.forEach(step::addTarget);
      step.run().close();
      float[] v = fetch(s, var);
      assertEquals(0.9 + 0.1 * 5.25, v[0], 1e-6);
      assertEquals(0.9 + 0.1 * 1, v[1], 1e-6);
      assertEquals(0.45, fetch(s, mean)[0], 1e-6);
    }
  }

  /**
   * A tiny conv + bias + batch norm model with a non-linear loss: the gradients the trainer uses
   * (tf.gradients) against central differences, for every kernel, bias, gamma and beta value.
   */
  @Test
  void gradientsOfABatchNormModelMatchFiniteDifferences() {
    Random random = new Random(7);
    float[] x = gaussian(random, 4 * 3 * 3 * 2, 1.0);
    // [4, 3, 3, 3]: output weights of the loss
    float[] weights = gaussian(random, 4 * 3 * 3 * 3, 1.0);
    float[][] values = {gaussian(random, 3 * 3 * 2 * 3, 1.0), gaussian(random, 3, 1.0),
        {1.3f, 0.7f, -0.4f}, {0.2f, -0.1f, 0.5f}};
    long[][] shapes = {{3, 3, 2, 3}, {3}, {3}, {3}};
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      List<Placeholder<TFloat32>> params = new ArrayList<>();
      for (long[] shape : shapes) {
        params.add(tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(shape))));
      }
      Variable<TFloat32> mean = tf.variable(Shape.of(3), TFloat32.class);
      Variable<TFloat32> var = tf.variable(Shape.of(3), TFloat32.class);
      Operand<TFloat32> conv = tf.nn.biasAdd(tf.nn.conv2d(
          tf.constant(Shape.of(4, 3, 3, 2), DataBuffers.of(x)), params.get(0),
          List.of(1L, 1L, 1L, 1L), "SAME"), params.get(1));
      Operand<TFloat32> y = NetworkGraph.batchNorm(tf, conv, params.get(2), params.get(3), mean, var,
          NetworkGraph.Mode.TRAIN, new ArrayList<>());
      // sum(w * y) + 0.1 sum(y^3): curved in every parameter
      Operand<TFloat32> loss = tf.math.add(
          tf.reduceSum(tf.math.mul(y, tf.constant(Shape.of(4, 3, 3, 3),
              DataBuffers.of(weights))), tf.constant(new int[] {0, 1, 2, 3})),
          tf.math.mul(tf.constant(0.1f), tf.reduceSum(tf.math.pow(y, tf.constant(3f)),
              tf.constant(new int[] {0, 1, 2, 3}))));
      Gradients grads = tf.gradients(loss, new ArrayList<>(params));

      float[][] analytic = new float[4][];
      try (Fed fed = new Fed(s, params, values, shapes)) {
        for (int p = 0; p < 4; p++) {
          fed.runner().fetch(grads.dy(p));
        }
        try (Result res = fed.runner().run()) {
          for (int p = 0; p < 4; p++) {
            analytic[p] = ModelSession.toArray((TFloat32) res.get(p));
          }
        }
      }
      double h = 1e-2;
      int checked = 0;
      double worst = 0;
      for (int p = 0; p < 4; p++) {
        for (int i = 0; i < values[p].length; i++) {
          float keep = values[p][i];
          values[p][i] = (float) (keep + h);
          double up = lossAt(s, loss, params, values, shapes);
          values[p][i] = (float) (keep - h);
          double down = lossAt(s, loss, params, values, shapes);
          values[p][i] = keep;
          double numeric = (up - down) / (2 * h);
          double err = Math.abs(numeric - analytic[p][i]) / Math.max(1, Math.abs(numeric));
          worst = Math.max(worst, err);
          assertTrue(err < 2e-2, "parameter " + p + " value " + i + ": analytic "
              + analytic[p][i] + ", numeric " + numeric);
          checked++;
        }
      }
      assertEquals(54 + 3 + 3 + 3, checked);
      // the conv bias is removed by the batch mean: its gradient is zero, both ways
      for (float b : analytic[1]) {
        assertEquals(0, b, 1e-3);
      }
      assertTrue(worst < 2e-2, "worst relative error " + worst);
    }
  }

  private static double lossAt(Session s, Operand<TFloat32> loss,
      List<Placeholder<TFloat32>> params, float[][] values, long[][] shapes) {
    try (Fed fed = new Fed(s, params, values, shapes);
        Result r = fed.runner().fetch(loss).run()) {
      return ((TFloat32) r.get(0)).getFloat();
    }
  }

  /** A runner with the parameter values fed; closing it closes their tensors. */
  private static final class Fed implements AutoCloseable {
    private final List<TFloat32> tensors = new ArrayList<>();
    private final Session.Runner runner;

    Fed(Session s, List<Placeholder<TFloat32>> params, float[][] values, long[][] shapes) {
      runner = s.runner();
      for (int p = 0; p < params.size(); p++) {
        TFloat32 t = TFloat32.tensorOf(Shape.of(shapes[p]), DataBuffers.of(values[p], true, false));
        tensors.add(t);
        runner.feed(params.get(p), t);
      }
    }

    Session.Runner runner() {
      return runner;
    }

    @Override
    public void close() {
      tensors.forEach(TFloat32::close);
    }
  }

  /**
   * Activations of 1e30 (squares beyond float32, as a 75-layer network reaches at the seed's lr)
   * normalize as PyTorch's float64 sums do: to the outputs of the same values at 1, with the
   * gradient scaled by 1e-30, and finite running statistics of the mean.
   */
  @Test
  void hugeActivationsNormalizeWithoutOverflow() {
    float[] small = input();
    float[] huge = new float[small.length];
    for (int i = 0; i < small.length; i++) {
      huge[i] = small[i] * 1e30f;
    }
    float[][] outputs = new float[2][];
    float[][] grads = new float[2][];
    float[][] running = new float[2][];
    for (int k = 0; k < 2; k++) {
      try (Graph g = new Graph(); Session s = new Session(g)) {
        Ops tf = Ops.create(g);
        Placeholder<TFloat32> x = tf.placeholder(TFloat32.class,
            Placeholder.shape(Shape.of(2, 2, 2, 2)));
        Variable<TFloat32> mean = tf.variable(Shape.of(2), TFloat32.class);
        Variable<TFloat32> var = tf.variable(Shape.of(2), TFloat32.class);
        Op init1 = tf.assign(mean, tf.constant(new float[] {0f, 0f}));
        Op init2 = tf.assign(var, tf.constant(new float[] {1f, 1f}));
        List<Operand<TFloat32>> updates = new ArrayList<>();
        Operand<TFloat32> y = NetworkGraph.batchNorm(tf, x, tf.constant(new float[] {2f, 0.5f}),
            tf.constant(new float[] {1f, -1f}), mean, var, NetworkGraph.Mode.TRAIN, updates);
        // a loss that weights every output differently, so the gradient is not zero
        Operand<TFloat32> loss = tf.reduceSum(tf.math.mul(y, tf.constant(Shape.of(2, 2, 2, 2),
            DataBuffers.of(gaussian(new Random(3), 16, 1)))), tf.constant(new int[] {0, 1, 2, 3}));
        Gradients dx = tf.gradients(loss, List.of(x));
        s.runner().addTarget(init1).addTarget(init2).run().close();
        try (TFloat32 in = TFloat32.tensorOf(Shape.of(2, 2, 2, 2),
            DataBuffers.of(k == 0 ? small : huge));
            Result r = s.runner().feed(x, in).fetch(y).fetch(dx.dy(0)).fetch(updates.get(0))
                .run()) {
          outputs[k] = ModelSession.toArray((TFloat32) r.get(0));
          grads[k] = ModelSession.toArray((TFloat32) r.get(1));
          running[k] = ModelSession.toArray((TFloat32) r.get(2));
        }
      }
    }
    for (int i = 0; i < 16; i++) {
      assertEquals(outputs[0][i], outputs[1][i], 1e-5, "output " + i);
      assertTrue(Float.isFinite(grads[1][i]), "gradient " + i + " " + grads[1][i]);
      assertEquals(grads[0][i] * 1e-30, grads[1][i], 1e-5 * 1e-30 * Math.abs(grads[0][i])
          + 1e-36, "gradient " + i);
    }
    // running mean 0.9 * 0 + 0.1 * 4.5e30
    assertEquals(4.5e29, running[1][0], 1e23);
  }
}
