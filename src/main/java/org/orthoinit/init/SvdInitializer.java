package org.orthoinit.init;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.orthoinit.model.Dims;
import org.orthoinit.model.Layer;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.Network;
import org.orthoinit.model.NetworkGraph;
import org.orthoinit.model.Window;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Merge;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.op.linalg.SelfAdjointEig;
import org.tensorflow.op.linalg.Svd;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.proto.StepStats;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.family.TType;

/**
 * The paper's SVD initializer, step for step as the seed's {@code novel_initialization}: walk the
 * feature layers on a batch of images, carrying the representation x; for every convolution with
 * in_channels == out_channels, take the patch matrix P of x (rows = sample, h, w; columns = one
 * 3x3 patch), P = U S V^T, set the kernel to U[0:wd, 0:wd] S[0:wd]^(-1/2) V[:, 0:wd]^T (wd =
 * out_channels), divide it by the Frobenius norm of the layer's output on the batch, and carry
 * that output on. All numerical work runs as TensorFlow ops in one session call; the kernels are
 * assigned together at the end, or not at all.
 *
 * <p>TF's patch columns are ordered (kh, kw, c), PyTorch's unfold (c, kh, kw); a column
 * permutation of P permutes the rows of V alike, so W comes out in TF's order and reshapes
 * directly to an HWIO kernel. W does not depend on the signs the decomposition picks: each
 * component enters as u_i v_i^T.
 */
public final class SvdInitializer {

  /** The seed's batch size for the initializer. */
  public static final int BATCH_DEFAULT = 256;

  /** How P's leading singular structure is computed; all give the same W up to rounding. */
  public enum Decomposition {
    /** TF's Svd of P [rows, Cin*9]: the seed's own route. */
    SVD,
    /**
     * SelfAdjointEig of the Gram matrix G = P^T P [Cin*9, Cin*9] = V S^2 V^T; then U[0:wd, :] =
     * P[0:wd, :] V S^-1, so W = P[0:wd, :] V_wd S_wd^(-3/2) V_wd^T. G is 2304 x 2304 against P's
     * 4096 x 2304, and an eigensolver is cheaper than an SVD.
     */
    GRAM_EIGH,
    /**
     * The top wd eigenpairs of G by block subspace iteration (float32 steps and a float64 one,
     * then a round of float64 steps where float32 rounding stalls above the tolerance), the same
     * formula for W; a layer whose pairs do not reach the
     * residual tolerance falls back to the full decomposition in float64, and the report says
     * which layers did. The full decomposition
     * computes 2304 eigenvectors on one core to keep 256.
     */
    SUBSPACE
  }

  /** Default decomposition: the fastest exact one. */
  public static final Decomposition DECOMPOSITION_DEFAULT = Decomposition.SUBSPACE;

  /** How a layer's kernel was computed (the decomposition's name, or the subspace outcome). */
  public static final String ROUTE_SUBSPACE = "subspace";
  /** The subspace iteration needed its second round. */
  public static final String ROUTE_SUBSPACE_SECOND = "subspace, second round";
  /** The float32 steps stalled above the tolerance; float64 steps reached it. */
  public static final String ROUTE_SUBSPACE_FLOAT64 = "subspace, float64 round";
  /** The subspace iteration did not reach the tolerance: the full float64 decomposition. */
  public static final String ROUTE_FALLBACK = "float64 eigh (fallback)";
  /**
   * The batch gave few patch rows (at most the block's width, or half the columns): the
   * float64 decomposition of the rows x rows matrix P P^T instead of G's.
   */
  public static final String ROUTE_DUAL = "float64 eigh of P P^T (few rows)";
  /** The route number of {@link #ROUTE_DUAL}, after the subspace outcomes 0 to 3. */
  private static final int ROUTE_DUAL_INDEX = 4;
  /** The block would hold every column: the full decomposition, with no iteration. */
  public static final String ROUTE_FULL = "gram_eigh (block as wide as G)";

  /**
   * What the initializer did to one rewritten layer.
   *
   * @param route how the kernel was computed: the decomposition's name, or for SUBSPACE one of
   *     {@link #ROUTE_SUBSPACE}, {@link #ROUTE_SUBSPACE_SECOND}, {@link #ROUTE_SUBSPACE_FLOAT64},
   *     {@link #ROUTE_FALLBACK}, {@link #ROUTE_FULL} (null in results written before the routes
   *     were recorded)
   * @param residual SUBSPACE only: the kept eigenpairs' largest relative residual at the last
   *     check
   * @param offExact with the check on: max |W - W_exact| / max |W_exact| of this layer's kernel
   *     (before the norm scaling) against a float64 full eigendecomposition of the same G
   * @param float32EighOffExact with the check on: the same for the float32 full decomposition
   *     (GRAM_EIGH) of the same G
   */
  public record LayerResult(String layer, double outputNorm,
      @JsonInclude(JsonInclude.Include.NON_NULL) String route,
      @JsonInclude(JsonInclude.Include.NON_NULL) Double residual,
      @JsonInclude(JsonInclude.Include.NON_NULL) Double offExact,
      @JsonInclude(JsonInclude.Include.NON_NULL) Double float32EighOffExact) {}

  /** What a rewritten layer's work is split into, in the order it runs. */
  public static final List<String> STAGES = List.of("patches", "gram", "decomposition", "kernel",
      "norm");

  /**
   * Where one rewritten layer's time went: per stage of {@link #STAGES}, the summed run time of
   * its ops in a traced run (ops of a stage may overlap, so these are op seconds, not wall time).
   */
  public record LayerTimes(String layer, Map<String, Double> seconds) {}

  /** A block's orthogonality gap before and after. */
  public record BlockGap(String layer, double before, double after) {}

  /**
   * The outcome: the seed's printed gram ratios of the final features, before and after, and per
   * block the orthogonality gap on the batch.
   *
   * @param outputNorms per rewritten layer, the Frobenius norm of its output with the unscaled
   *     kernel (what the kernel was divided by)
   */
  public record Report(String decomposition, int batch, double gramRatioBefore,
      double gramRatioAfter, List<LayerResult> outputNorms, List<BlockGap> gaps, double seconds,
      @JsonInclude(JsonInclude.Include.NON_NULL) List<LayerTimes> times)
      implements Initializer.Report {

    /** The layers whose subspace iteration fell back to the full decomposition. */
    public List<String> fallbacks() {
      return outputNorms.stream().filter(l -> ROUTE_FALLBACK.equals(l.route()))
          .map(LayerResult::layer).toList();
    }
  }

  /**
   * The SVD init in the registry: Xavier (unless weights are given), then the square
   * convolutions rewritten from the init batch.
   */
  static final class Method implements Initializer {
    @Override
    public String id() {
      return "svd";
    }

    @Override
    public String description() {
      return "Xavier, then every square convolution set from the SVD of its input's patches "
          + "(Daneshmand et al. 2021): the seed's novel_initialization";
    }

    @Override
    public Look look() {
      return new Look("orthogonal (SVD init)", 0xD22828, Marker.CIRCLE);
    }

    @Override
    public boolean usesData() {
      return true;
    }

    @Override
    public boolean keepsWeights() {
      return true;
    }

    @Override
    public Class<SvdInitializer.Report> reportType() {
      return SvdInitializer.Report.class;
    }

    @Override
    public SvdInitializer.Report initialize(ModelSession session, Context context) throws InitException {
      if (!context.given()) {
        Xavier.initialize(session, context.seed());
      }
      return new SvdInitializer(session, context.decomposition())
          .initialize(context.images(), context.n());
    }
  }

  /** CheckNumerics' message for a rewritten layer's input that is not finite. */
  private static final String NOT_FINITE = "the layer's input is not finite";
  /** CheckNumerics' message for a new kernel that is not finite. */
  private static final String KERNEL_NOT_FINITE = "the layer's new kernel is not finite";

  private final ModelSession session;
  private final Decomposition decomposition;
  private final Placeholder<TFloat32> images;
  private final Map<String, Operand<TFloat32>> kernels = new LinkedHashMap<>();
  private final Map<String, Operand<TFloat32>> norms = new LinkedHashMap<>();
  private final Map<String, Operand<TInt32>> routes = new LinkedHashMap<>();
  /** SUBSPACE layers whose block would be as wide as G: decomposed in full. */
  private final java.util.Set<String> full = new java.util.HashSet<>();
  private final Map<String, Operand<TFloat64>> residuals = new LinkedHashMap<>();
  private final boolean check;
  /** The last rewritten layer's eigenvectors: where the next layer's iteration starts. */
  private Operand<TFloat32> warm;
  private final Map<String, Operand<TFloat64>> offExact = new LinkedHashMap<>();
  private final Map<String, Operand<TFloat64>> eighOffExact = new LinkedHashMap<>();
  private final List<Layer.Conv> blocks = new ArrayList<>();
  private final List<Operand<TFloat64>> gapsBefore = new ArrayList<>();
  private final List<Operand<TFloat64>> gapsAfter = new ArrayList<>();
  private final Operand<TFloat64> ratioBefore;
  private final Operand<TFloat64> ratioAfter;

  /** Adds the initializer's ops to the session's graph. */
  public SvdInitializer(ModelSession session, Decomposition decomposition) {
    this(session, decomposition, false);
  }

  /**
   * Adds the initializer's ops; with {@code check}, every G = P^T P is also decomposed in
   * float64 (slow: a full float64 eigendecomposition per layer), and the report gives each
   * kernel's distance from that exact one and the float32 full decomposition's.
   */
  public SvdInitializer(ModelSession session, Decomposition decomposition, boolean check) {
    this.session = session;
    this.decomposition = decomposition;
    this.check = check;
    NetworkGraph model = session.model();
    Ops tf = model.tf().withSubScope("svd_init");
    images = NetworkGraph.imagesPlaceholder(tf);
    // the seed runs the model in training mode here: batch norms use batch statistics
    NetworkGraph.Pass before = model.walk(tf.withSubScope("before"), images,
        NetworkGraph.Mode.INIT, NetworkGraph::convolve);
    NetworkGraph.Pass after = model.walk(tf.withSubScope("walk"), images,
        NetworkGraph.Mode.INIT, this::rewrite);
    Ops metrics = tf.withSubScope("metrics");
    for (int i = 0; i < before.blocks().size(); i++) {
      blocks.add(before.blocks().get(i).conv());
      gapsBefore.add(Orthogonality.build(metrics, before.blocks().get(i).output()).gap());
      gapsAfter.add(Orthogonality.build(metrics, after.blocks().get(i).output()).gap());
    }
    ratioBefore = Orthogonality.build(metrics, before.features()).gramRatio();
    ratioAfter = Orthogonality.build(metrics, after.features()).gramRatio();
  }

  /** Rewrites square convolutions, leaves the others as they are. */
  private Operand<TFloat32> rewrite(Ops tf, Layer.Conv layer, Operand<TFloat32> x,
      Operand<TFloat32> kernel, Operand<TFloat32> bias) {
    if (!layer.square()) {
      return NetworkGraph.convolve(tf, layer, x, kernel, bias);
    }
    Window win = layer.window();
    int cols = layer.fanIn();
    int wd = layer.out();
    // 1. zero-pad and take every patch the convolution sees (its stride and dilation):
    // [N*Hout*Wout, kh*kw*Cin], columns (kh, kw, c) as the HWIO kernel flattens
    Ops st = tf.withSubScope("patches");
    // an infinite or NaN input fails here, at once, not after an eigensolver's every iteration
    x = st.debugging.checkNumerics(x, NOT_FINITE);
    Operand<TFloat32> padded = st.pad(x, st.constant(new int[][] {{0, 0},
        {win.padTop(), win.padBottom()}, {win.padLeft(), win.padRight()}, {0, 0}}),
        st.constant(0f));
    Operand<TFloat32> patches = st.image.extractImagePatches(padded,
        List.of(1L, (long) win.kernelH(), (long) win.kernelW(), 1L),
        List.of(1L, (long) win.strideH(), (long) win.strideW(), 1L),
        List.of(1L, (long) win.dilationH(), (long) win.dilationW(), 1L), "VALID");
    Operand<TFloat32> pm = st.reshape(patches, st.constant(new int[] {-1, cols}));
    // 2. W = U[0:wd, 0:wd] diag(S[0:wd]^-1/2) V[:, 0:wd]^T: [wd, cols]. A kernel tap that only
    // ever sees padding (a 3 x 3 convolution over 1 x 1 maps has 8) gives columns of P that are
    // zero, where V, and so W, is zero too: P is decomposed without them
    int[] live = liveColumns(layer, session.network().dims(layer.input()));
    Operand<TFloat32> w;
    if (live.length == cols) {
      w = decomposition == Decomposition.SVD ? bySvd(tf, pm, wd) : byGram(tf, layer, pm, wd, cols);
    } else {
      Ops sl = tf.withSubScope("patches");
      Operand<TInt32> at = sl.constant(live);
      Operand<TFloat32> kept = sl.gather(pm, at, sl.constant(1));
      Operand<TFloat32> wLive = decomposition == Decomposition.SVD ? bySvd(tf, kept, wd)
          : byGram(tf, layer, kept, wd, live.length);
      Ops sk = tf.withSubScope("kernel");
      int[][] rows = new int[live.length][];
      for (int i = 0; i < live.length; i++) {
        rows[i] = new int[] {live[i]};
      }
      w = sk.linalg.transpose(sk.scatterNd(sk.constant(rows), sk.linalg.transpose(wLive,
          sk.constant(new int[] {1, 0})), sk.constant(new int[] {cols, wd})),
          sk.constant(new int[] {1, 0}));
    }
    // 3. [wd, (kh, kw, c)] -> [wd, kh, kw, c] -> HWIO
    Ops sk = tf.withSubScope("kernel");
    w = sk.debugging.checkNumerics(w, KERNEL_NOT_FINITE); // a zero singular value among the kept
    Operand<TFloat32> raw = sk.linalg.transpose(
        sk.reshape(w, sk.constant(new int[] {wd, win.kernelH(), win.kernelW(), layer.in()})),
        sk.constant(new int[] {1, 2, 3, 0}));
    // 4. divide by the Frobenius norm of the layer's output on the batch, bias included
    Ops sn = tf.withSubScope("norm");
    Operand<TFloat32> y = NetworkGraph.convolve(sn, layer, x, raw, bias);
    Operand<TFloat32> norm = sn.math.sqrt(sn.reduceSum(sn.math.square(y),
        sn.constant(new int[] {0, 1, 2, 3})));
    Operand<TFloat32> scaled = sn.math.div(raw, norm);
    kernels.put(layer.weight(), scaled);
    norms.put(layer.weight(), norm);
    // 5. carry the output with the new kernel on
    return NetworkGraph.convolve(tf, layer, x, scaled, bias);
  }

  /**
   * The columns of the layer's patch matrix (ordered (kh, kw, c)) whose kernel tap sees the
   * input at some output position: the others only ever see padding.
   */
  static int[] liveColumns(Layer.Conv layer, org.orthoinit.model.Dims in) {
    Window win = layer.window();
    int outH = win.outputHeight(in.height(), false);
    int outW = win.outputWidth(in.width(), false);
    List<Integer> live = new ArrayList<>();
    for (int i = 0; i < win.kernelH(); i++) {
      boolean rows = touches(i * win.dilationH() - win.padTop(), win.strideH(), outH,
          in.height());
      for (int j = 0; j < win.kernelW(); j++) {
        boolean columns = touches(j * win.dilationW() - win.padLeft(), win.strideW(), outW,
            in.width());
        for (int c = 0; c < layer.in(); c++) {
          if (rows && columns) {
            live.add((i * win.kernelW() + j) * layer.in() + c);
          }
        }
      }
    }
    return live.stream().mapToInt(Integer::intValue).toArray();
  }

  /** Whether offset + y * stride lies in [0, size) for some y in [0, count). */
  private static boolean touches(int offset, int stride, int count, int size) {
    for (int y = 0; y < count; y++) {
      int at = offset + y * stride;
      if (at >= 0 && at < size) {
        return true;
      }
    }
    return false;
  }

  private static Operand<TFloat32> bySvd(Ops scope, Operand<TFloat32> pm, int wd) {
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

  /** GRAM_EIGH or SUBSPACE: both start from G = P^T P. */
  private Operand<TFloat32> byGram(Ops tf, Layer.Conv layer, Operand<TFloat32> pm, int wd,
      int cols) {
    Ops sg = tf.withSubScope("gram");
    int b = SubspaceIteration.block(cols, wd);
    // where the iteration would run, a batch of few rows (G of rank rows <= b, or rows at most
    // half the columns) takes the dual route instead: the rows x rows matrix P P^T, decided when
    // the batch arrives; the branch not taken is not computed
    boolean iterating = decomposition == Decomposition.SUBSPACE && b < cols;
    Operand<TBool> few = null;
    Operand<TFloat32> pg = pm;
    if (iterating) {
      Operand<TInt32> rows = sg.reshape(sg.slice(sg.shape(pm), sg.constant(new int[] {0}),
          sg.constant(new int[] {1})), sg.constant(new int[0]));
      few = sg.math.logicalOr(sg.math.lessEqual(rows, sg.constant(b)),
          sg.math.lessEqual(sg.math.mul(rows, sg.constant(2)), sg.constant(cols)));
      pg = whenFalse(sg, pm, few);
    }
    Operand<TFloat32> gram = sg.linalg.matMul(pg, pg, MatMul.transposeA(true)); // [cols, cols]
    Operand<TFloat32> top = sg.slice(pg, sg.constant(new int[] {0, 0}),
        sg.constant(new int[] {wd, -1})); // P[0:wd, :]
    boolean fits = warm != null && warm.shape().get(0) == cols && warm.shape().get(1) == b;
    Ops sd = tf.withSubScope("decomposition");
    GramKernel k = fromGram(sd, decomposition, gram, pg, top, wd, cols, kernels.size(),
        fits ? warm : null);
    if (iterating) {
      // the dual route's pairs for the next layer: a seeded start, as if none fitted
      Operand<TFloat32> start = new SubspaceIteration(sd, cols, wd).randomStart(kernels.size());
      k = new GramKernel(
          sd.merge(List.of(k.w(), byDual(sd, whenTrue(sd, pm, few), wd))).output(),
          sd.merge(List.of(k.route(), whenTrue(sd, sd.constant(ROUTE_DUAL_INDEX), few)))
              .output(),
          sd.merge(List.of(k.residual(), whenTrue(sd, sd.constant(Double.NaN), few))).output(),
          sd.merge(List.of(k.pairs(), whenTrue(sd, start, few))).output());
    }
    warm = k.pairs();
    if (k.route() == null && decomposition == Decomposition.SUBSPACE) {
      full.add(layer.weight());
    }
    if (k.route() != null) {
      routes.put(layer.weight(), k.route());
      residuals.put(layer.weight(), k.residual());
    }
    if (check) {
      // the reference: the float64 decomposition of what the route was given: G as formed in
      // float32 for the full decompositions of G, P itself (G formed in float64) for the
      // subspace and dual routes, whose float64 stages start from P
      Ops sc = tf.withSubScope("check");
      Operand<TFloat32> gramAll = iterating ? sc.linalg.matMul(pm, pm, MatMul.transposeA(true))
          : gram;
      Operand<TFloat32> topAll = iterating ? sc.slice(pm, sc.constant(new int[] {0, 0}),
          sc.constant(new int[] {wd, -1})) : top;
      Operand<TFloat64> exact = !iterating ? exactKernel(sc, gram, top, wd, cols)
          : exactFromRows(sc, pm, wd, cols);
      offExact.put(layer.weight(), relative(sc, sc.dtypes.cast(k.w(), TFloat64.class), exact));
      eighOffExact.put(layer.weight(), relative(sc,
          sc.dtypes.cast(byEig(sc, gramAll, topAll, wd, cols), TFloat64.class), exact));
    }
    return k.w();
  }

  /** The seed's W from a float64 full eigendecomposition of G. */
  static Operand<TFloat64> exactKernel(Ops tf, Operand<TFloat32> gram, Operand<TFloat32> top,
      int wd, int cols) {
    return exactPairs(tf, tf.dtypes.cast(gram, TFloat64.class),
        tf.dtypes.cast(top, TFloat64.class), wd, cols);
  }

  /** The seed's W from G = P^T P formed and fully decomposed in float64. */
  private static Operand<TFloat64> exactFromRows(Ops tf, Operand<TFloat32> pm, int wd,
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
  private static Operand<TFloat64> relative(Ops tf, Operand<TFloat64> a, Operand<TFloat64> b) {
    Operand<TInt32> all = tf.constant(new int[] {0, 1});
    return tf.math.div(tf.reduceMax(tf.math.abs(tf.math.sub(a, b)), all),
        tf.reduceMax(tf.math.abs(b), all));
  }

  /**
   * A kernel W [wd, cols] from G = P^T P and P[0:wd, :].
   *
   * @param route SUBSPACE only (else null): 0, 1, 2 or 3 for {@link #ROUTE_SUBSPACE},
   *     {@link #ROUTE_SUBSPACE_SECOND}, {@link #ROUTE_SUBSPACE_FLOAT64}, {@link #ROUTE_FALLBACK};
   *     4 for {@link #ROUTE_DUAL} once byGram merges that route in (its residual is NaN)
   * @param residual SUBSPACE only: the kept pairs' largest relative residual at the last check
   * @param pairs SUBSPACE only: the block's final eigenvectors [cols, b], the next layer's start
   */
  record GramKernel(Operand<TFloat32> w, Operand<TInt32> route, Operand<TFloat64> residual,
      Operand<TFloat32> pairs) {}

  /**
   * W from G by GRAM_EIGH, or by SUBSPACE started from {@code start} [cols, b] (an earlier
   * layer's pairs) or, when null, from seeded random columns ({@code seed}).
   *
   * @param rows P itself, for the float64 stages' G = P^T P formed in float64 (G formed in
   *     float32 is off by its rounding, about eps * lambda_1, which the smallest kept
   *     eigenvalues cannot afford); null to take {@code gram} as given
   */
  static GramKernel fromGram(Ops sd, Decomposition decomposition, Operand<TFloat32> gram,
      Operand<TFloat32> rows, Operand<TFloat32> top, int wd, int cols, long seed,
      Operand<TFloat32> start) {
    int b = SubspaceIteration.block(cols, wd);
    if (decomposition == Decomposition.GRAM_EIGH || b >= cols) {
      return new GramKernel(byEig(sd, gram, top, wd, cols), null, null, null);
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
      Operand<TFloat64> p64 = after.dtypes.cast(rows, TFloat64.class);
      gram64 = sd.linalg.matMul(p64, p64, MatMul.transposeA(true));
    } else {
      gram64 = after.dtypes.cast(gram, TFloat64.class);
    }
    Operand<TFloat64> top64 = sd.dtypes.cast(top, TFloat64.class);
    SubspaceIteration.Pairs a = it.polish(gram64, sd.dtypes.cast(first.basis(), TFloat64.class),
        sd.dtypes.cast(first.values(), TFloat64.class));
    double tol = SubspaceIteration.TOLERANCE;
    Operand<TBool> goodA = sd.math.lessEqual(a.residual(), sd.constant(tol));
    // a second round where the first did not reach the tolerance, a third in float64 where the
    // second did not either, the full decomposition where the third did not: the branches not
    // taken are not computed
    Operand<TFloat32> wA = sd.dtypes.cast(byPairs(sd, whenTrue(sd, top64, goodA),
        whenTrue(sd, a.vectors(), goodA), whenTrue(sd, a.values(), goodA), wd), TFloat32.class);
    SubspaceIteration.Block<TFloat32> more = it.converge(whenFalse(sd, gram, goodA),
        whenFalse(sd, first.basis(), goodA), SubspaceIteration.MORE_ITERATIONS);
    Operand<TFloat64> gram64B = sd.withControlDependencies(List.of(more.basis())).identity(
        whenFalse(sd, gram64, goodA));
    Operand<TFloat64> top64B = whenFalse(sd, top64, goodA);
    SubspaceIteration.Pairs c = it.polish(gram64B, sd.dtypes.cast(more.basis(), TFloat64.class),
        sd.dtypes.cast(more.values(), TFloat64.class));
    Operand<TBool> goodB = sd.math.lessEqual(c.residual(), sd.constant(tol));
    Operand<TFloat32> wB = sd.dtypes.cast(byPairs(sd, whenTrue(sd, top64B, goodB),
        whenTrue(sd, c.vectors(), goodB), whenTrue(sd, c.values(), goodB), wd), TFloat32.class);
    // float32 products stall where eps * lambda_1 meets the smallest kept eigenvalues: the third
    // round's products are float64, from the second round's pairs. Where G is less than
    // FLOAT64_ROUND_WIDTH blocks wide, the full decomposition costs less than the round
    Operand<TFloat64> gramLast = whenFalse(sd, gram64B, goodB);
    Operand<TFloat64> topLast = whenFalse(sd, top64B, goodB);
    List<Operand<TFloat32>> ws = new ArrayList<>(List.of(wA, wB));
    List<Operand<TFloat64>> residuals = new ArrayList<>(List.of(
        whenTrue(sd, a.residual(), goodA)));
    List<Operand<TFloat32>> pairs = new ArrayList<>(List.of(
        sd.dtypes.cast(whenTrue(sd, a.vectors(), goodA), TFloat32.class),
        sd.dtypes.cast(whenTrue(sd, c.vectors(), goodB), TFloat32.class)));
    boolean third = cols >= SubspaceIteration.FLOAT64_ROUND_WIDTH * b;
    if (third) {
      residuals.add(whenTrue(sd, c.residual(), goodB));
      SubspaceIteration.Block<TFloat64> more64 = it.converge(gramLast, new SubspaceIteration.Pairs(
          whenFalse(sd, c.vectors(), goodB), whenFalse(sd, c.values(), goodB), null,
          whenFalse(sd, c.product(), goodB)), SubspaceIteration.FLOAT64_ITERATIONS);
      SubspaceIteration.Pairs d = it.polish(gramLast, more64.basis(), more64.values());
      Operand<TBool> goodC = sd.math.lessEqual(d.residual(), sd.constant(tol));
      ws.add(sd.dtypes.cast(byPairs(sd, whenTrue(sd, topLast, goodC),
          whenTrue(sd, d.vectors(), goodC), whenTrue(sd, d.values(), goodC), wd),
          TFloat32.class));
      residuals.add(d.residual());
      pairs.add(sd.dtypes.cast(whenTrue(sd, d.vectors(), goodC), TFloat32.class));
      gramLast = whenFalse(sd, gramLast, goodC);
      topLast = whenFalse(sd, topLast, goodC);
    } else {
      residuals.add(c.residual());
    }
    // the full decomposition in float64: in float32 it loses up to ~2e-3 of the kernel to
    // rounding where the smallest kept eigenvalues are far below the largest
    Eig full = byEig64(sd, gramLast, topLast, wd, cols, b);
    ws.add(full.w());
    pairs.add(full.vectors());
    Merge<TFloat32> w = sd.merge(ws);
    // the route's number: 0, 1, 2 (the float64 round) or 3 (the full decomposition)
    Operand<TInt32> route = third ? w.valueIndex() : sd.select(sd.math.equal(w.valueIndex(),
        sd.constant(2)), sd.constant(3), w.valueIndex());
    return new GramKernel(w.output(), route, sd.merge(residuals).output(),
        sd.merge(pairs).output());
  }

  private static <T extends TType> Operand<T> whenTrue(Ops tf, Operand<T> x, Operand<TBool> p) {
    return tf.switchCond(x, p).outputTrue();
  }

  private static <T extends TType> Operand<T> whenFalse(Ops tf, Operand<T> x, Operand<TBool> p) {
    return tf.switchCond(x, p).outputFalse();
  }

  /**
   * The dual route, for P [rows, cols] of few rows: K = P P^T = U S^2 U^T in float64 (rows x
   * rows), V_wd^T = S_wd^-1 U_wd^T P, so W = U[0:wd, 0:wd] S_wd^-3/2 U_wd^T P. Each column of U
   * enters twice, so its sign cancels.
   */
  private static Operand<TFloat32> byDual(Ops tf, Operand<TFloat32> pm, int wd) {
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

  private static Operand<TFloat32> byEig(Ops tf, Operand<TFloat32> gram, Operand<TFloat32> top,
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


  /**
   * Rewrites the model's square convolutions from {@code n} images (NHWC in [0, 1]). Either all
   * are assigned or, on an exception, none.
   *
   * @throws InitException if the batch is too small to give out_channels components, or a
   *     representation is zero or not finite (naming the layer)
   */
  public Report initialize(float[] imagesNhwc, int n) throws InitException {
    return initialize(imagesNhwc, n, false);
  }

  /**
   * As {@link #initialize(float[], int)}; with {@code trace}, the run is traced and the report
   * holds each rewritten layer's split into {@link #STAGES} (tracing costs a little time).
   */
  public Report initialize(float[] imagesNhwc, int n, boolean trace) throws InitException {
    checkBatch(session.network(), n);
    long start = System.nanoTime();
    Session.Runner runner = session.session().runner();
    List<String> names = new ArrayList<>(kernels.keySet());
    names.forEach(name -> runner.fetch(kernels.get(name)));
    names.forEach(name -> runner.fetch(norms.get(name)));
    List<String> iterated = new ArrayList<>(routes.keySet());
    iterated.forEach(name -> runner.fetch(routes.get(name)).fetch(residuals.get(name)));
    List<String> checked = new ArrayList<>(offExact.keySet());
    checked.forEach(name -> runner.fetch(offExact.get(name)).fetch(eighOffExact.get(name)));
    gapsBefore.forEach(runner::fetch);
    gapsAfter.forEach(runner::fetch);
    runner.fetch(ratioBefore).fetch(ratioAfter);
    Map<String, float[]> values = new LinkedHashMap<>();
    List<LayerResult> layerNorms = new ArrayList<>();
    List<BlockGap> gaps = new ArrayList<>();
    double before;
    double after;
    List<LayerTimes> times = null;
    try (TFloat32 x = ModelSession.imagesTensor(imagesNhwc, n);
        Result r = run(runner, x, trace)) {
      if (trace) {
        times = times(r.getMetadata().orElseThrow().getStepStats(), names);
      }
      int at = 0;
      for (String name : names) {
        values.put(name, ModelSession.toArray((TFloat32) r.get(at++)));
      }
      double[] layerNorm = new double[names.size()];
      for (int i = 0; i < layerNorm.length; i++) {
        layerNorm[i] = ((TFloat32) r.get(at++)).getFloat();
      }
      Map<String, String> route = new LinkedHashMap<>();
      Map<String, Double> residual = new LinkedHashMap<>();
      for (String name : iterated) {
        String taken = List.of(ROUTE_SUBSPACE, ROUTE_SUBSPACE_SECOND, ROUTE_SUBSPACE_FLOAT64,
            ROUTE_FALLBACK, ROUTE_DUAL).get(((TInt32) r.get(at++)).getInt());
        route.put(name, taken);
        double res = ((TFloat64) r.get(at++)).getDouble();
        residual.put(name, ROUTE_DUAL.equals(taken) ? null : res); // no iteration, no residual
      }
      Map<String, double[]> off = new LinkedHashMap<>();
      for (String name : checked) {
        off.put(name, new double[] {((TFloat64) r.get(at++)).getDouble(),
            ((TFloat64) r.get(at++)).getDouble()});
      }
      for (int i = 0; i < layerNorm.length; i++) {
        String name = names.get(i);
        double norm = layerNorm[i];
        if (!(norm > 0) || !Double.isFinite(norm)) {
          throw new InitException(name.replace(".weight", "") + ": the layer's output on the "
              + "initialization batch has norm " + norm + "; nothing was assigned");
        }
        layerNorms.add(new LayerResult(name.replace(".weight", ""), norm,
            route.getOrDefault(name, full.contains(name) ? ROUTE_FULL
                : decomposition.name().toLowerCase(Locale.ROOT)),
            residual.get(name), off.containsKey(name) ? off.get(name)[0] : null,
            off.containsKey(name) ? off.get(name)[1] : null));
      }
      double[] gb = new double[blocks.size()];
      for (int i = 0; i < gb.length; i++) {
        gb[i] = ((TFloat64) r.get(at++)).getDouble();
      }
      for (int i = 0; i < gb.length; i++) {
        gaps.add(new BlockGap(blocks.get(i).name(), gb[i], ((TFloat64) r.get(at++)).getDouble()));
      }
      before = ((TFloat64) r.get(at++)).getDouble();
      after = ((TFloat64) r.get(at)).getDouble();
    }
    for (Map.Entry<String, float[]> e : values.entrySet()) {
      for (float v : e.getValue()) {
        if (!Float.isFinite(v)) {
          throw new InitException(e.getKey().replace(".weight", "") + ": the new kernel is not "
              + "finite (the representation entering it is degenerate); nothing was assigned");
        }
      }
    }
    session.assign(values);
    double seconds = (System.nanoTime() - start) / 1e9;
    return new Report(decomposition.name().toLowerCase(Locale.ROOT), n, before, after, layerNorms,
        gaps, seconds, times);
  }

  /** Sums the traced ops' run times by layer and stage (node names: svd_init/walk/LAYER/STAGE/). */
  private static List<LayerTimes> times(StepStats stats, List<String> weights) {
    Map<String, Map<String, Double>> byLayer = new LinkedHashMap<>();
    for (String weight : weights) {
      Map<String, Double> stages = new LinkedHashMap<>();
      STAGES.forEach(stage -> stages.put(stage, 0.0));
      byLayer.put(weight.replace(".weight", ""), stages);
    }
    for (DeviceStepStats d : stats.getDevStatsList()) {
      for (NodeExecStats node : d.getNodeStatsList()) {
        String[] parts = node.getNodeName().split("/");
        if (parts.length > 4 && parts[0].equals("svd_init") && parts[1].equals("walk")) {
          Map<String, Double> stages = byLayer.get(parts[2]);
          if (stages != null && stages.containsKey(parts[3])) {
            stages.merge(parts[3], node.getAllEndRelMicros() / 1e6, Double::sum);
          }
        }
      }
    }
    return byLayer.entrySet().stream().map(e -> new LayerTimes(e.getKey(), e.getValue())).toList();
  }

  /** Runs the walk; a failed decomposition (a NaN or infinite representation) is an InitException. */
  private Result run(Session.Runner runner, TFloat32 x, boolean trace) throws InitException {
    try {
      runner.feed(images, x);
      if (!trace) {
        return runner.run();
      }
      return runner.setOptions(RunOptions.newBuilder()
          .setTraceLevel(RunOptions.TraceLevel.SOFTWARE_TRACE).build()).runAndFetchMetadata();
    } catch (org.tensorflow.exceptions.TensorFlowException
        | org.tensorflow.exceptions.TFInvalidArgumentException e) {
      // an eigensolver that does not converge (NaN input) reports an invalid argument, which
      // TensorFlow Java raises as an IllegalArgumentException, not a TensorFlowException
      String message = e.getMessage() == null ? "" : e.getMessage();
      String first = org.orthoinit.util.Text.firstLine(message);
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("svd_init/walk/([^/]+)/")
          .matcher(message);
      String layer = m.find() ? m.group(1) + ": " : "";
      if (first.contains(KERNEL_NOT_FINITE)) {
        throw new InitException(layer + "its new kernel is not finite: a kept singular value of "
            + "its patch matrix is zero or below float32's reach (fewer independent directions "
            + "than the layer's outputs, as when units are zero on the whole batch); nothing was "
            + "assigned");
      }
      if (first.contains(NOT_FINITE)) {
        throw new InitException(layer + "its input on the initialization batch is not finite ("
            + (first.contains("Inf and NaN") ? "infinite and NaN" : first.contains("NaN") ? "NaN"
            : "infinite") + " values); nothing was assigned");
      }
      throw new InitException(layer + "the decomposition failed, a representation is not finite"
          + " or of lower rank than the layer's outputs (" + first.strip()
          + "); nothing was assigned");
    }
  }

  /**
   * Refuses a batch whose patch matrix has fewer rows (n * H * W) than a rewritten layer's
   * out_channels, since W needs that many components.
   */
  public static void checkBatch(Network network, int n) throws InitException {
    if (n < 1) {
      throw new InitException("the initialization batch is empty");
    }
    for (Layer.Conv c : network.convs()) {
      // the patch matrix has a row per (image, output position)
      Dims out = network.dims(c.name());
      long perImage = (long) out.height() * out.width();
      if (c.square() && n * perImage < c.out()) {
        throw new InitException(String.format("%s: %d images give %d x %d patch rows "
            + "(%d per image at %dx%d), fewer than its %d output channels; use at least %d images",
            c.name(), n, n * perImage, c.fanIn(), perImage, out.height(),
            out.width(), c.out(), (c.out() + perImage - 1) / perImage));
      }
    }
  }
}
