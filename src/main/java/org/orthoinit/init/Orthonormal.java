package org.orthoinit.init;

import java.util.random.RandomGenerator;
import org.orthoinit.model.Compute;
import org.orthoinit.model.ModelSession;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.linalg.Qr;
import org.tensorflow.types.TFloat32;

/**
 * Random matrices with orthonormal columns (or rows, when wider than tall), uniform over such
 * matrices (Saxe et al. 2014; {@code torch.nn.init.orthogonal_}): the Q of a QR of a Gaussian
 * matrix, each column's sign set by R's diagonal. The QR is a TensorFlow op, in a graph of its
 * own or in a model's.
 */
final class Orthonormal implements AutoCloseable {

  /** The QR op and where it runs. */
  private record QrOp(Placeholder<TFloat32> gaussian, Qr<TFloat32> qr, Session session) {}

  /** The graph it owns (lazy instances; the session is the op's), else null. */
  private Graph own;
  private QrOp ops;

  /** The ops in {@code tf}'s graph, run through {@code session}, a session on that graph. */
  Orthonormal(Ops tf, Session session) {
    ops = build(tf, session);
  }

  private Orthonormal() {}

  /**
   * With a graph and session of its own, made on the first {@link #matrix} and closed by
   * {@link #close()}: free for the callers that never ask for a matrix.
   */
  static Orthonormal lazy() {
    return new Orthonormal();
  }

  private static QrOp build(Ops tf, Session session) {
    Placeholder<TFloat32> gaussian = tf.withName("gaussian").placeholder(TFloat32.class);
    return new QrOp(gaussian, tf.linalg.qr(gaussian, Qr.fullMatrices(false)), session);
  }

  /**
   * A [rows, cols] matrix, row-major, with orthonormal columns if rows >= cols, else orthonormal
   * rows; from max(rows, cols) x min(rows, cols) Gaussian draws of {@code random}, row by row.
   */
  float[] matrix(int rows, int cols, RandomGenerator random) {
    boolean tall = rows >= cols;
    int m = tall ? rows : cols;
    int k = tall ? cols : rows;
    float[] g = new float[Math.multiplyExact(m, k)];
    for (int i = 0; i < g.length; i++) {
      g[i] = (float) random.nextGaussian();
    }
    float[] q;
    float[] r;
    QrOp o = ops();
    try (TFloat32 t = TFloat32.tensorOf(Shape.of(m, k), DataBuffers.of(g, true, false));
        Result res = o.session().runner().feed(o.gaussian(), t).fetch(o.qr().q())
            .fetch(o.qr().r()).run()) {
      q = ModelSession.toArray((TFloat32) res.get(0)); // [m, k]
      r = ModelSession.toArray((TFloat32) res.get(1)); // [k, k]
    }
    float[] out = new float[m * k];
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < k; j++) {
        float v = r[j * k + j] < 0 ? -q[i * k + j] : q[i * k + j];
        if (tall) {
          out[i * k + j] = v; // [rows, cols] = [m, k]
        } else {
          out[j * m + i] = v; // [rows, cols] = [k, m] = Q^T
        }
      }
    }
    return out;
  }

  private QrOp ops() {
    if (ops == null) {
      Graph g = new Graph();
      Session session = null;
      try {
        // on the CPU: the same QR kernel, so the same matrices, on every machine
        session = new Session(g, false, Compute.CPU.proto(0));
        ops = build(Ops.create(g), session);
      } catch (RuntimeException e) {
        if (session != null) {
          session.close();
        }
        g.close();
        throw e;
      }
      own = g;
    }
    return ops;
  }

  @Override
  public void close() {
    if (own != null) {
      ops.session().close();
      own.close();
    }
  }
}
