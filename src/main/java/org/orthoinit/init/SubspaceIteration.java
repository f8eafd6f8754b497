package org.orthoinit.init;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.op.linalg.SelfAdjointEig;
import org.tensorflow.op.linalg.TriangularSolve;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.family.TNumber;

/**
 * The top k eigenpairs of a symmetric positive semi-definite matrix G [n, n] by block subspace
 * iteration with Rayleigh-Ritz steps, as TensorFlow ops (the products use every core, where a full
 * eigendecomposition runs on one).
 *
 * <p>A block of b = k + {@link #OVERSAMPLING} columns, started from the previous layer's pairs or
 * seeded Gaussian columns, is multiplied by G and re-orthonormalized {@link #ITERATIONS} times in
 * float32 (a second round of {@link #MORE_ITERATIONS} where the first does not reach the
 * tolerance, and a third of {@link #FLOAT64_ITERATIONS} in float64 where the second does not
 * either); the component of an
 * eigenvector i &lt;= k outside the block shrinks by lambda_(b+1) / lambda_i per step, which a wide
 * block makes small. Each step scales the columns of G Q by the current Ritz values before the
 * Cholesky QR: with Q the Ritz vectors, G Q diag(1/theta) = Q + R diag(1/theta) with R orthogonal to
 * Q, whose Gram matrix is I plus a positive part, so Cholesky QR in float32 stays accurate. Float32
 * products stall where their rounding (eps * lambda_1) meets the smallest kept eigenvalues, so
 * {@link #polish} then takes one step in float64 on the same G and a Rayleigh-Ritz step; its
 * residual max_i ||G v_i - theta_i v_i|| / theta_i over the kept pairs says whether the pairs are
 * good to {@link #TOLERANCE}. The residual is relative to each pair's own eigenvalue, not to
 * lambda_1, because the seed's kernel weighs direction i by lambda_i^(-3/4): the smallest kept
 * eigenvalues carry the largest weight. Where lambda_1 / lambda_k is in the hundreds to thousands
 * (600 to 5,100 in the CIFAR VGG's square layers), float32 stalls above the tolerance whatever the
 * number of steps: the third round's steps are float64 throughout.
 */
final class SubspaceIteration {

  /** Columns beyond the k kept ones: their eigenvalues set how fast the block converges. */
  static final int OVERSAMPLING = 256;
  /**
   * Float32 block steps before the first float64 one, started from the previous layer's pairs:
   * in the seed's deep stack these span the next layer's kept eigenvectors but for a few degrees
   * (measured: the smallest cosine of the principal angles 0.976 to 0.999), and eight steps
   * reach the tolerance on most of its layers; where consecutive layers differ more (near the
   * input, and a few layers deep in a 75-layer stack) it can take twice that.
   */
  static final int ITERATIONS = 8;
  /**
   * Float32 steps of the second round, for a layer the first did not bring to the tolerance; a
   * layer started from random columns takes both rounds' steps at once.
   */
  static final int MORE_ITERATIONS = 8;
  /**
   * A Rayleigh-Ritz step after this many float32 steps (the first is at the start), to refresh
   * the column scaling; its product G X is the next step's.
   */
  static final int RAYLEIGH_RITZ_AT = 4;
  /**
   * Float64 steps of the third round, for a layer whose float32 steps stalled above the
   * tolerance: started from the second round's pairs, the residual shrinks by about
   * lambda_(b+1) / lambda_k per step (0.54 to 0.69 in the CIFAR VGG's four square layers, from
   * residuals of 1e-6 to 5e-5), against a full decomposition that costs, at 4608 columns, about
   * a hundred such steps on one core.
   */
  static final int FLOAT64_ITERATIONS = 16;
  /**
   * The third round runs where G is at least this many blocks wide; on narrower ones the full
   * float64 decomposition is the faster (measured on resnet18's 576-column layers, blocks of
   * 320: its init took 11.6 and 11.9 s with the full decomposition there, 13.3 and 13.3 s with
   * the round; on the seed's 1728-column first square layer, blocks of 448, the round saved
   * 1.2 s of 4.9).
   */
  static final int FLOAT64_ROUND_WIDTH = 3;
  /**
   * The largest relative residual accepted. Measured on real layers, the seed's kernel from pairs
   * at residual r differs from the exact decomposition's by 0.2 to 1 times r (max abs / max abs).
   */
  static final double TOLERANCE = 1e-6;
  /**
   * Eigenpairs in descending order.
   *
   * @param vectors [n, b], the first k are the kept ones
   * @param values [b]
   * @param residual max over the kept pairs of ||G v_i - theta_i v_i|| / theta_i (NaN if G is not
   *     finite)
   * @param product G times the vectors [n, b], a next step's product
   */
  record Pairs(Operand<TFloat64> vectors, Operand<TFloat64> values, Operand<TFloat64> residual,
      Operand<TFloat64> product) {}

  /** A block and the Ritz values that scale it. */
  record Block<T extends TNumber>(Operand<T> basis, Operand<T> values) {}

  private final Ops tf;
  private final int n;
  private final int k;
  private final int b;

  SubspaceIteration(Ops tf, int n, int k) {
    this.tf = tf;
    this.n = n;
    this.k = k;
    this.b = block(n, k);
  }

  /** The block width for k of n pairs; the iteration pays only when it is below n. */
  static int block(int n, int k) {
    return Math.min(n, k + OVERSAMPLING);
  }

  /** Seeded Gaussian columns [n, b], a start when no earlier layer's pairs fit. */
  Operand<TFloat32> randomStart(long seed) {
    return tf.random.statelessRandomNormal(tf.constant(new int[] {n, b}),
        tf.constant(new long[] {seed, 0x5B5BL}));
  }

  /**
   * {@code steps} block steps on G from {@code start} [n, b] (any full-rank columns), with
   * Rayleigh-Ritz steps at the start and after {@link #RAYLEIGH_RITZ_AT}, in G's type (float32
   * or float64).
   */
  <T extends TNumber> Block<T> converge(Operand<T> gram, Operand<T> start, int steps) {
    Ritz<T> ritz = rayleighRitz(gram, orthonormalize(start, shift(gram), gram.type()));
    return iterate(gram, ritz.vectors(), ritz.values(), ritz.gramTimesVectors(), steps);
  }

  /**
   * {@code steps} float64 block steps on G from Ritz pairs already made (a polished round's), whose
   * product G V is the first step's.
   */
  Block<TFloat64> converge(Operand<TFloat64> gram, Pairs start, int steps) {
    return iterate(gram, start.vectors(), start.values(), start.product(), steps);
  }

  private static double shift(Operand<?> gram) {
    return gram.type() == TFloat64.class ? 1e-13 : 1e-6;
  }

  /** The steps from orthonormal Ritz vectors q, their values and G q. */
  private <T extends TNumber> Block<T> iterate(Operand<T> gram, Operand<T> q, Operand<T> theta,
      Operand<T> product, int steps) {
    Class<T> type = gram.type();
    double shift = shift(gram);
    Ritz<T> ritz;
    for (int i = 1; i <= steps; i++) {
      Operand<T> z = scaled(product != null ? product : tf.linalg.matMul(gram, q), theta);
      product = null;
      q = orthonormalize(z, shift, type);
      if (i == RAYLEIGH_RITZ_AT && i < steps) {
        ritz = rayleighRitz(gram, q);
        q = ritz.vectors();
        theta = ritz.values();
        product = ritz.gramTimesVectors();
      }
    }
    return new Block<>(q, theta);
  }

  /** One block step in float64 and a Rayleigh-Ritz step, with the kept pairs' residual. */
  Pairs polish(Operand<TFloat64> gram, Operand<TFloat64> basis, Operand<TFloat64> values) {
    Operand<TFloat64> q = orthonormalize(scaled(tf.linalg.matMul(gram, basis), values), 1e-13,
        TFloat64.class);
    Ritz<TFloat64> ritz = rayleighRitz(gram, q);
    Operand<TFloat64> v = keep(ritz.vectors());
    Operand<TFloat64> theta = tf.slice(ritz.values(), tf.constant(new int[] {0}),
        tf.constant(new int[] {k}));
    Operand<TFloat64> r = tf.math.sub(keep(ritz.gramTimesVectors()), tf.math.mul(v, theta));
    Operand<TFloat64> norms = tf.math.sqrt(tf.reduceSum(tf.math.square(r),
        tf.constant(new int[] {0})));
    Operand<TFloat64> residual = tf.reduceMax(tf.math.div(norms, theta),
        tf.constant(new int[] {0}));
    return new Pairs(ritz.vectors(), ritz.values(), residual, ritz.gramTimesVectors());
  }

  private Operand<TFloat64> keep(Operand<TFloat64> columns) {
    return tf.slice(columns, tf.constant(new int[] {0, 0}), tf.constant(new int[] {-1, k}));
  }

  private record Ritz<T extends TNumber>(Operand<T> vectors, Operand<T> values,
      Operand<T> gramTimesVectors) {}

  /** Ritz pairs of G on the span of orthonormal Q, in descending order. */
  private <T extends TNumber> Ritz<T> rayleighRitz(Operand<T> gram, Operand<T> q) {
    Operand<T> z = tf.linalg.matMul(gram, q);
    Operand<T> h = tf.linalg.matMul(q, z, MatMul.transposeA(true));
    Operand<T> sym = tf.math.mul(tf.math.add(h, tf.linalg.transpose(h,
        tf.constant(new int[] {1, 0}))), cast(tf.constant(0.5f), q));
    // a non-finite block (G not finite, or a breakdown) must not stop the run: it gives a NaN
    // residual, and the layer falls back
    SelfAdjointEig<T> eig = tf.linalg.selfAdjointEig(finiteOr(sym, tf.zerosLike(sym)),
        SelfAdjointEig.computeV(true));
    Operand<T> values = tf.reverse(eig.e(), tf.constant(new int[] {0}));
    Operand<T> y = tf.reverse(eig.v(), tf.constant(new int[] {1}));
    return new Ritz<>(tf.linalg.matMul(q, y), values, tf.linalg.matMul(z, y));
  }

  /**
   * Z diag(1/theta), with theta floored at 1e-6 theta_1 so that a null direction of a
   * rank-deficient G does not divide by zero (such columns are beyond the kept ones, or the
   * residual check fails).
   */
  private <T extends TNumber> Operand<T> scaled(Operand<T> z, Operand<T> theta) {
    Operand<T> first = tf.slice(theta, tf.constant(new int[] {0}), tf.constant(new int[] {1}));
    Operand<T> floor = tf.math.maximum(theta, tf.math.mul(first, cast(tf.constant(1e-6f), z)));
    return tf.math.div(z, floor);
  }

  /**
   * Shifted Cholesky QR: Z = Q R with R^T R = Z^T Z + shift * ||Z||_F^2 / b * I. The shift keeps
   * the Cholesky factorization defined when Z^T Z is numerically singular; the next step removes
   * the loss of orthogonality it costs.
   */
  private <T extends TNumber> Operand<T> orthonormalize(Operand<T> z, double shift,
      Class<T> type) {
    Operand<T> c = tf.linalg.matMul(z, z, MatMul.transposeA(true));
    Operand<T> eye = tf.dtypes.cast(identity(), type);
    Operand<T> delta = tf.math.mul(tf.reduceSum(tf.math.square(z), tf.constant(new int[] {0, 1})),
        tf.dtypes.cast(tf.constant(shift / b), type));
    Operand<T> lower = tf.linalg.cholesky(finiteOr(tf.math.add(c, tf.math.mul(eye, delta)), eye));
    Operand<T> inverse = tf.linalg.triangularSolve(lower, eye, TriangularSolve.lower(true));
    return tf.linalg.matMul(z, inverse, MatMul.transposeB(true)); // Z L^-T
  }

  /** m if every entry is finite, else the fallback (the whole matrix). */
  private <T extends TNumber> Operand<T> finiteOr(Operand<T> m, Operand<T> fallback) {
    Operand<TBool> finite = tf.reduceAll(tf.math.isFinite(m), tf.constant(new int[] {0, 1}));
    return tf.select(finite, m, fallback);
  }

  private Operand<TFloat64> identity;

  private Operand<TFloat64> identity() {
    if (identity == null) {
      identity = tf.linalg.matrixDiag(
          tf.fill(tf.constant(new int[] {b}), tf.constant(1.0)), tf.constant(0),
          tf.constant(b), tf.constant(b), tf.constant(0.0));
    }
    return identity;
  }

  private <T extends TNumber> Operand<T> cast(Operand<TFloat32> value, Operand<T> like) {
    return tf.dtypes.cast(value, like.type());
  }
}
