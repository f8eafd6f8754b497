package org.orthoinit;

import java.util.Random;
import org.orthoinit.model.ModelSession;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
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

  /** {@code n} seeded normal values with standard deviation {@code std}. */
  public static float[] gaussian(Random random, int n, double std) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) (random.nextGaussian() * std);
    }
    return out;
  }
}
