package org.orthoinit.init;

import java.util.ArrayList;
import java.util.List;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Merge;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.op.linalg.SelfAdjointEig;
import org.tensorflow.op.linalg.Svd;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TType;

/**
 * The SVD init's kernels as graph pieces: W = U[0:wd, 0:wd] S^(-1/2) V[:, 0:wd]^T from TF's SVD
 * of P, from the full eigendecomposition of G = P^T P, from its top pairs by block subspace
 * iteration (with the branches a layer may take at run time), from the dual P P^T, and the
 * float64 references the check holds them against.
 */
final class GramKernels {

  private GramKernels() {}

  static Operand<TFloat32> bySvd(Ops scope, Operand<TFloat32> pm, int wd) {
    Ops tf = scope.withSubScope("decomposition");
    Svd<TFloat32> svd = tf.linalg.svd(pm, Svd.fullMatrices(false), Svd.computeUv(true));
    Operand<TFloat32> u = tf.slice(svd.u(), tf.constant(new int[] {0, 0}),
        tf.constant(new int[] {wd, wd}));
    Operand<TFloat32> s = tf.slice(svd.s(), tf.constant(new int[] {0}), tf.constant(new int[] {wd}));
    Operand<TFloat32> v = tf.slice(svd.v(), tf.constant(new int[] {0, 0}),
        tf.constant(new int[] {-1, wd}));
    Operand<TFloat32> us = tf.math.mul(u, tf.math.rsqrt(s)); // scales column i by s_i^-1/2
    return tf.linalg.matMul(us, v, MatMul.transposeB(true));
  }


  /** The seed's W from a float64 full eigendecomposition of G. */
  static Operand<TFloat64> exactKernel(Ops tf, Operand<TFloat32> gram, Operand<TFloat32> top,
      int wd, int cols) {
    return exactPairs(tf, tf.dtypes.cast(gram, TFloat64.class),
        tf.dtypes.cast(top, TFloat64.class), wd, cols);
  }

  /** The seed's W from G = P^T P formed and fully decomposed in float64. */
  static Operand<TFloat64> exactFromRows(Ops tf, Operand<TFloat32> pm, int wd,
      int cols) {
    Operand<TFloat64> p = tf.dtypes.cast(pm, TFloat64.class);
    return exactPairs(tf, tf.linalg.matMul(p, p, MatMul.transposeA(true)),
        tf.slice(p, tf.constant(new int[] {0, 0}), tf.constant(new int[] {wd, -1})), wd, cols);
  }

  private static Operand<TFloat64> exactPairs(Ops tf, Operand<TFloat64> gram,
      Operand<TFloat64> top, int wd, int cols) {
    SelfAdjointEig<TFloat64> e = tf.linalg.selfAdjointEig(gram, SelfAdjointEig.computeV(true));
    Operand<TFloat64> v = tf.slice(e.v(), tf.constant(new int[] {0, cols - wd}),
        tf.constant(new int[] {-1, wd}));
    Operand<TFloat64> lambda = tf.slice(e.e(), tf.constant(new int[] {cols - wd}),
        tf.constant(new int[] {wd}));
    return byPairs(tf, top, v, lambda, wd);
  }

  /** max |a - b| / max |b|. */
  static Operand<TFloat64> relative(Ops tf, Operand<TFloat64> a, Operand<TFloat64> b) {
    Operand<TInt32> all = tf.constant(new int[] {0, 1});
    return tf.math.div(tf.reduceMax(tf.math.abs(tf.math.sub(a, b)), all),
        tf.reduceMax(tf.math.abs(b), all));
  }


  /**
   * One way a layer's kernel may come out, as a branch of the graph: only the branch its
   * predicates select is computed.
   *
   * @param residual the subspace routes: the kept pairs' largest relative residual at the last
   *     check (NaN for the dual route)
   * @param pairs the subspace routes: the block's eigenvectors [cols, b], the next layer's start
   */
  record Branch(SvdRoute route, Operand<TFloat32> w, Operand<TFloat64> residual,
      Operand<TFloat32> pairs) {}

  /**
   * A layer's kernel W [wd, cols] with the route it took: {@code routes.get(index)} where the
   * graph chooses among branches at run time ({@code index} the Merge's), else the one route.
   */
  record GramKernel(Operand<TFloat32> w, List<SvdRoute> routes, Operand<TInt32> index,
      Operand<TFloat64> residual, Operand<TFloat32> pairs) {

    /** A kernel computed one way only. */
    static GramKernel only(SvdRoute route, Operand<TFloat32> w) {
      return new GramKernel(w, List.of(route), null, null, null);
    }

    /** The branches merged: the one computed at run time gives the kernel and its route. */
    static GramKernel merge(Ops tf, List<Branch> branches) {
      Merge<TFloat32> w = tf.merge(branches.stream().map(Branch::w).toList());
      return new GramKernel(w.output(), branches.stream().map(Branch::route).toList(),
          w.valueIndex(), tf.merge(branches.stream().map(Branch::residual).toList()).output(),
          tf.merge(branches.stream().map(Branch::pairs).toList()).output());
    }
  }

  /**
   * W from G by GRAM_EIGH (one route), or by SUBSPACE as branches: the subspace rounds started
   * from {@code start} [cols, b] (an earlier layer's pairs) or, when null, from seeded random
   * columns ({@code seed}), then the full float64 decomposition where they miss the tolerance.
   *
   * @param rows P itself, for the float64 stages' G = P^T P formed in float64 (G formed in
   *     float32 is off by its rounding, about eps * lambda_1, which the smallest kept
   *     eigenvalues cannot afford); null to take {@code gram} as given
   */
  static List<Branch> fromGram(Ops sd, SvdInitializer.Decomposition decomposition,
      Operand<TFloat32> gram, Operand<TFloat32> rows, Operand<TFloat32> top, int wd, int cols,
      long seed, Operand<TFloat32> start) {
    int b = SubspaceIteration.block(cols, wd);
    if (decomposition == SvdInitializer.Decomposition.GRAM_EIGH) {
      return List.of(new Branch(SvdRoute.GRAM_EIGH, byEig(sd, gram, top, wd, cols), null, null));
    }
    if (b >= cols) {
      // every direction of G is kept, the smallest weighted most (lambda^-3/4): in float32, G's
      // rounding (eps * lambda_1) is of the order of the smallest kept eigenvalues wherever P has
      // barely more rows than columns (a 1 x 1 convolution over 1 x 1 maps: shufflenet's last
      // stage lost up to 4e-2 of its kernels so), so G is formed and decomposed in float64
      Operand<TFloat64> gram64 = rows != null ? gram64(sd, rows) : sd.dtypes.cast(gram,
          TFloat64.class);
      return List.of(new Branch(SvdRoute.FULL, byEig64(sd, gram64, sd.dtypes.cast(top,
          TFloat64.class), wd, cols, b).w(), null, null));
    }
    SubspaceIteration it = new SubspaceIteration(sd, cols, wd);
    SubspaceIteration.Block<TFloat32> first = start != null
        ? it.converge(gram, start, SubspaceIteration.ITERATIONS)
        : it.converge(gram, it.randomStart(seed),
            SubspaceIteration.ITERATIONS + SubspaceIteration.MORE_ITERATIONS);
    // G in float64 once the float32 phase is done (run beside it, it takes a core from its
    // products): from P in float64, or cast
    Ops after = sd.withControlDependencies(List.of(first.basis()));
    Operand<TFloat64> gram64;
    if (rows != null) {
      gram64 = gram64(after, rows);
    } else {
      gram64 = after.dtypes.cast(gram, TFloat64.class);
    }
    Operand<TFloat64> top64 = sd.dtypes.cast(top, TFloat64.class);
    double tol = SubspaceIteration.TOLERANCE;
    List<Branch> branches = new ArrayList<>();
    // the first round
    SubspaceIteration.Pairs a = it.polish(gram64, sd.dtypes.cast(first.basis(), TFloat64.class),
        sd.dtypes.cast(first.values(), TFloat64.class));
    Operand<TBool> goodA = sd.math.lessEqual(a.residual(), sd.constant(tol));
    branches.add(accepted(sd, SvdRoute.SUBSPACE, top64, a, goodA, wd));
    // a second round where the first did not reach the tolerance
    SubspaceIteration.Block<TFloat32> more = it.converge(whenFalse(sd, gram, goodA),
        whenFalse(sd, first.basis(), goodA), SubspaceIteration.MORE_ITERATIONS);
    Operand<TFloat64> gramLast = sd.withControlDependencies(List.of(more.basis())).identity(
        whenFalse(sd, gram64, goodA));
    Operand<TFloat64> topLast = whenFalse(sd, top64, goodA);
    SubspaceIteration.Pairs last = it.polish(gramLast,
        sd.dtypes.cast(more.basis(), TFloat64.class),
        sd.dtypes.cast(more.values(), TFloat64.class));
    Operand<TBool> goodLast = sd.math.lessEqual(last.residual(), sd.constant(tol));
    branches.add(accepted(sd, SvdRoute.SUBSPACE_SECOND, topLast, last, goodLast, wd));
    gramLast = whenFalse(sd, gramLast, goodLast);
    topLast = whenFalse(sd, topLast, goodLast);
    // float32 products stall where eps * lambda_1 meets the smallest kept eigenvalues: a third
    // round whose products are float64, from the second round's pairs, where G is at least
    // FLOAT64_ROUND_WIDTH blocks wide (on narrower G the full decomposition costs less)
    if (cols >= SubspaceIteration.FLOAT64_ROUND_WIDTH * b) {
      SubspaceIteration.Block<TFloat64> more64 = it.converge(gramLast, new SubspaceIteration.Pairs(
          whenFalse(sd, last.vectors(), goodLast), whenFalse(sd, last.values(), goodLast), null,
          whenFalse(sd, last.product(), goodLast)), SubspaceIteration.FLOAT64_ITERATIONS);
      last = it.polish(gramLast, more64.basis(), more64.values());
      goodLast = sd.math.lessEqual(last.residual(), sd.constant(tol));
      branches.add(accepted(sd, SvdRoute.SUBSPACE_FLOAT64, topLast, last, goodLast, wd));
      gramLast = whenFalse(sd, gramLast, goodLast);
      topLast = whenFalse(sd, topLast, goodLast);
    }
    // the full decomposition in float64 where the last round missed: in float32 it loses up to
    // ~2e-3 of the kernel to rounding where the smallest kept eigenvalues are far below the
    // largest
    Eig full = byEig64(sd, gramLast, topLast, wd, cols, b);
    branches.add(new Branch(SvdRoute.FALLBACK, full.w(),
        whenFalse(sd, last.residual(), goodLast), full.vectors()));
    return branches;
  }

  /** G = P^T P formed in float64 from float32 P. */
  private static Operand<TFloat64> gram64(Ops tf, Operand<TFloat32> rows) {
    Operand<TFloat64> p64 = tf.dtypes.cast(rows, TFloat64.class);
    return tf.linalg.matMul(p64, p64, MatMul.transposeA(true));
  }

  /** The kernel of a round's pairs, computed where {@code good} holds. */
  private static Branch accepted(Ops sd, SvdRoute route, Operand<TFloat64> top,
      SubspaceIteration.Pairs p, Operand<TBool> good, int wd) {
    Operand<TFloat32> w = sd.dtypes.cast(byPairs(sd, whenTrue(sd, top, good),
        whenTrue(sd, p.vectors(), good), whenTrue(sd, p.values(), good), wd), TFloat32.class);
    return new Branch(route, w, whenTrue(sd, p.residual(), good),
        sd.dtypes.cast(whenTrue(sd, p.vectors(), good), TFloat32.class));
  }

  static <T extends TType> Operand<T> whenTrue(Ops tf, Operand<T> x, Operand<TBool> p) {
    return tf.switchCond(x, p).outputTrue();
  }

  static <T extends TType> Operand<T> whenFalse(Ops tf, Operand<T> x, Operand<TBool> p) {
    return tf.switchCond(x, p).outputFalse();
  }

  /**
   * The dual route, for P [rows, cols] of few rows: K = P P^T = U S^2 U^T in float64 (rows x
   * rows), V_wd^T = S_wd^-1 U_wd^T P, so W = U[0:wd, 0:wd] S_wd^-3/2 U_wd^T P. Each column of U
   * enters twice, so its sign cancels.
   */
  static Operand<TFloat32> byDual(Ops tf, Operand<TFloat32> pm, int wd) {
    Operand<TFloat64> p = tf.dtypes.cast(pm, TFloat64.class);
    SelfAdjointEig<TFloat64> eig = tf.linalg.selfAdjointEig(tf.linalg.matMul(p, p,
        MatMul.transposeB(true)), SelfAdjointEig.computeV(true)); // ascending eigenvalues
    Operand<TFloat64> u = tf.slice(tf.reverse(eig.v(), tf.constant(new int[] {1})),
        tf.constant(new int[] {0, 0}), tf.constant(new int[] {-1, wd})); // [rows, wd]
    Operand<TFloat64> lambda = tf.slice(tf.reverse(eig.e(), tf.constant(new int[] {0})),
        tf.constant(new int[] {0}), tf.constant(new int[] {wd})); // S_wd^2, descending
    Operand<TFloat64> uTop = tf.math.mul(tf.slice(u, tf.constant(new int[] {0, 0}),
        tf.constant(new int[] {wd, -1})), tf.math.pow(lambda, tf.constant(-0.75)));
    return tf.dtypes.cast(tf.linalg.matMul(uTop, tf.linalg.matMul(u, p, MatMul.transposeA(true))),
        TFloat32.class);
  }

  /** W = P[0:wd, :] V_wd diag(lambda_wd^-3/4) V_wd^T from descending eigenpairs, in float64. */
  private static Operand<TFloat64> byPairs(Ops tf, Operand<TFloat64> top,
      Operand<TFloat64> vectors, Operand<TFloat64> values, int wd) {
    Operand<TFloat64> v = tf.slice(vectors, tf.constant(new int[] {0, 0}),
        tf.constant(new int[] {-1, wd}));
    Operand<TFloat64> lambda = tf.slice(values, tf.constant(new int[] {0}),
        tf.constant(new int[] {wd}));
    Operand<TFloat64> scaled = tf.math.mul(tf.linalg.matMul(top, v),
        tf.math.pow(lambda, tf.constant(-0.75)));
    return tf.linalg.matMul(scaled, v, MatMul.transposeB(true));
  }

  static Operand<TFloat32> byEig(Ops tf, Operand<TFloat32> gram, Operand<TFloat32> top,
      int wd, int cols) {
    return byEig(tf, gram, top, wd, cols, wd).w();
  }

  /** A kernel from the full decomposition, and its top b eigenvectors in descending order. */
  private record Eig(Operand<TFloat32> w, Operand<TFloat32> vectors) {}

  /** {@link #byEig(Ops, Operand, Operand, int, int, int)} with the decomposition in float64. */
  private static Eig byEig64(Ops tf, Operand<TFloat64> gram, Operand<TFloat64> top, int wd,
      int cols, int b) {
    SelfAdjointEig<TFloat64> eig = tf.linalg.selfAdjointEig(gram,
        SelfAdjointEig.computeV(true)); // ascending eigenvalues
    Operand<TFloat64> lambda = tf.slice(eig.e(), tf.constant(new int[] {cols - wd}),
        tf.constant(new int[] {wd}));
    Operand<TFloat64> v = tf.slice(eig.v(), tf.constant(new int[] {0, cols - wd}),
        tf.constant(new int[] {-1, wd}));
    Operand<TFloat32> w = tf.dtypes.cast(byPairs(tf, top, v, lambda, wd), TFloat32.class);
    Operand<TFloat32> vectors = tf.dtypes.cast(tf.reverse(tf.slice(eig.v(),
        tf.constant(new int[] {0, cols - b}), tf.constant(new int[] {-1, b})),
        tf.constant(new int[] {1})), TFloat32.class);
    return new Eig(w, vectors);
  }

  private static Eig byEig(Ops tf, Operand<TFloat32> gram, Operand<TFloat32> top, int wd,
      int cols, int b) {
    SelfAdjointEig<TFloat32> eig = tf.linalg.selfAdjointEig(gram,
        SelfAdjointEig.computeV(true)); // ascending eigenvalues
    Operand<TFloat32> lambda = tf.slice(eig.e(), tf.constant(new int[] {cols - wd}),
        tf.constant(new int[] {wd})); // S_wd^2
    Operand<TFloat32> v = tf.slice(eig.v(), tf.constant(new int[] {0, cols - wd}),
        tf.constant(new int[] {-1, wd})); // [cols, wd]
    // U[0:wd, :] S^-1/2 = P[0:wd, :] V S^-3/2, S^-3/2 = lambda^-3/4
    Operand<TFloat32> scaled = tf.math.mul(tf.linalg.matMul(top, v),
        tf.math.pow(lambda, tf.constant(-0.75f)));
    Operand<TFloat32> w = tf.linalg.matMul(scaled, v, MatMul.transposeB(true));
    Operand<TFloat32> vectors = tf.reverse(tf.slice(eig.v(), tf.constant(new int[] {0, cols - b}),
        tf.constant(new int[] {-1, b})), tf.constant(new int[] {1}));
    return new Eig(w, vectors);
  }
}
