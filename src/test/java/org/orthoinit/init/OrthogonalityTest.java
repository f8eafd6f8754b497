package org.orthoinit.init;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat64;

class OrthogonalityTest {

  @Test
  void orthonormalSamplesHaveGapZero() {
    double[][] rows = new double[4][6];
    for (int i = 0; i < 4; i++) {
      rows[i][i + 1] = 1.0;
    }
    Orthogonality.Metrics m = Orthogonality.of(rows);
    assertEquals(0.0, m.gap(), 1e-15);
    assertEquals(0.5, m.gramRatio(), 1e-15); // sqrt(n) / n with n = 4
  }

  @Test
  void samplesOnOneLineHaveTheLargestGap() {
    int n = 5;
    double[][] rows = new double[n][3];
    for (int i = 0; i < n; i++) {
      rows[i] = new double[] {i + 1, 2 * (i + 1), -(i + 1)}; // rank one
    }
    Orthogonality.Metrics m = Orthogonality.of(rows);
    // M / tr(M) = a a^T / |a|^2 has one eigenvalue 1: ||. - I/n||^2 = (1 - 1/n)^2 + (n-1)/n^2
    assertEquals(Math.sqrt(1 - 1.0 / n), m.gap(), 1e-12);
    assertEquals(1.0, m.gramRatio(), 1e-12);
  }

  @Test
  void gramRatioSquaredIsGapSquaredPlusOneOverN() {
    Random r = new Random(3);
    double[][] rows = new double[7][11];
    for (double[] row : rows) {
      for (int j = 0; j < row.length; j++) {
        row[j] = r.nextGaussian() + 0.5;
      }
    }
    Orthogonality.Metrics m = Orthogonality.of(rows);
    assertEquals(m.gramRatio() * m.gramRatio(), m.gap() * m.gap() + 1.0 / 7, 1e-12);
  }

  @Test
  void graphOpsAgreeWithTheJavaDefinition() {
    Random r = new Random(5);
    int n = 6;
    float[][][][] h = new float[n][2][2][3]; // [n, H, W, C]; flattened per sample
    double[][] rows = new double[n][12];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < 12; j++) {
        float v = (float) Math.abs(r.nextGaussian());
        h[i][j / 6][(j / 3) % 2][j % 3] = v;
        rows[i][j] = v;
      }
    }
    Orthogonality.Metrics expected = Orthogonality.of(rows);
    try (Graph g = new Graph(); Session s = new Session(g)) {
      Ops tf = Ops.create(g);
      Orthogonality.Nodes nodes = Orthogonality.build(tf, tf.constant(h));
      try (Result res = s.runner().fetch(nodes.gramRatio()).fetch(nodes.gap()).run()) {
        assertEquals(expected.gramRatio(), ((TFloat64) res.get(0)).getDouble(), 1e-12);
        assertEquals(expected.gap(), ((TFloat64) res.get(1)).getDouble(), 1e-12);
      }
    }
  }
}
