package org.orthoinit.init;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;

/**
 * How aligned a batch's representations are, from the Gram matrix of its samples.
 *
 * <p>For a representation H with one row per sample (n rows, flattened to [n, d]) and M = H H^T:
 * the gram ratio is norm_F(M) / trace(M) (the seed's printout; norm_F(H^T H) = norm_F(H H^T)), and
 * the paper's orthogonality gap (Eq. 2) is V = norm_F(M / trace(M) - I_n / n). V is 0 when the
 * samples are orthogonal with equal norms and sqrt(1 - 1/n) when they all lie on one line; ratio^2
 * = V^2 + 1/n. Computed in float64 so the metric adds no rounding of its own.
 */
public final class Orthogonality {

  private Orthogonality() {}

  /** The two metrics of one representation. */
  public record Metrics(double gramRatio, double gap) {}

  /** Scalar ops for the gram ratio and the gap of {@code h} [n, ...]. */
  public record Nodes(Operand<TFloat64> gramRatio, Operand<TFloat64> gap) {}

  /** Builds both metrics of {@code h} (first axis = samples, the rest known) into the graph. */
  public static Nodes build(Ops tf, Operand<TFloat32> h) {
    long d = 1;
    for (int i = 1; i < h.shape().numDimensions(); i++) {
      d *= h.shape().get(i);
    }
    if (d <= 0) {
      throw new IllegalStateException("representation needs known sizes, got " + h.shape());
    }
    Operand<TFloat64> rows = tf.reshape(tf.dtypes.cast(h, TFloat64.class),
        tf.constant(new long[] {-1, d})); // [n, d]
    Operand<TFloat64> m = tf.linalg.matMul(rows, rows, MatMul.transposeB(true)); // [n, n]
    Operand<TFloat64> diag = tf.linalg.matrixDiagPart(m, tf.constant(0), tf.constant(0.0));
    Operand<TFloat64> trace = tf.reduceSum(diag, tf.constant(0));
    Operand<TFloat64> n = tf.dtypes.cast(tf.size(diag), TFloat64.class);
    // M / trace(M) - I / n: only the diagonal moves
    Operand<TFloat64> centred = tf.linalg.matrixSetDiag(tf.math.div(m, trace),
        tf.math.sub(tf.math.div(diag, trace), tf.math.reciprocal(n)), tf.constant(0));
    return new Nodes(tf.math.div(frobenius(tf, m), trace), frobenius(tf, centred));
  }

  private static Operand<TFloat64> frobenius(Ops tf, Operand<TFloat64> m) {
    return tf.math.sqrt(tf.reduceSum(tf.math.square(m), tf.constant(new int[] {0, 1})));
  }

  /** The same metrics in plain Java, for tests and small inputs: {@code rows[i]} is sample i. */
  public static Metrics of(double[][] rows) {
    int n = rows.length;
    double[][] m = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        double s = 0;
        for (int k = 0; k < rows[i].length; k++) {
          s += rows[i][k] * rows[j][k];
        }
        m[i][j] = s;
      }
    }
    double trace = 0;
    for (int i = 0; i < n; i++) {
      trace += m[i][i];
    }
    double norm2 = 0;
    double gap2 = 0;
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        norm2 += m[i][j] * m[i][j];
        double d = m[i][j] / trace - (i == j ? 1.0 / n : 0.0);
        gap2 += d * d;
      }
    }
    return new Metrics(Math.sqrt(norm2) / trace, Math.sqrt(gap2));
  }
}
