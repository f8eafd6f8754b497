package org.orthoinit.experiment;

import java.util.Random;
import org.tensorflow.DeviceSpec;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;

/**
 * TensorFlow's float32 matmul of a seeded n x n matrix with itself, in a session of its own:
 * the yardstick of {@code bench} (GFLOP/s of a step against it) and of {@code doctor} (one per
 * device). Only the product's sum comes back, so the copy out is not timed.
 */
final class MatmulTimer implements AutoCloseable {

  private final int n;
  private final Graph graph = new Graph();
  private final Session session;
  private final TFloat32 matrix;
  private final Placeholder<TFloat32> x;
  private final Operand<TFloat32> sum;

  /** @param device where the matmul runs; null = where TensorFlow places it */
  MatmulTimer(int n, ConfigProto config, DeviceSpec device) {
    this.n = n;
    float[] values = new float[n * n];
    Random random = new Random(1);
    for (int i = 0; i < values.length; i++) {
      values[i] = random.nextFloat() - 0.5f;
    }
    session = new Session(graph, false, config);
    matrix = TFloat32.tensorOf(Shape.of(n, n), DataBuffers.of(values, true, false));
    Ops tf = device == null ? Ops.create(graph) : Ops.create(graph).withDevice(device);
    x = tf.placeholder(TFloat32.class);
    sum = tf.reduceSum(tf.linalg.matMul(x, x), tf.constant(new int[] {0, 1}));
  }

  /** One product; its wall time in seconds. */
  double seconds() {
    long t = System.nanoTime();
    try (Result r = session.runner().feed(x, matrix).fetch(sum).run()) {
      r.get(0);
    }
    return (System.nanoTime() - t) / 1e9;
  }

  /** GFLOP/s of a product that took {@code seconds}. */
  double gflops(double seconds) {
    return 2.0 * n * n * n / seconds / 1e9;
  }

  @Override
  public void close() {
    matrix.close();
    session.close();
    graph.close();
  }
}
