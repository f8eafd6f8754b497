package org.orthoinit.init;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.orthoinit.model.Dims;
import org.orthoinit.model.Layer;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.NetworkGraph;
import org.orthoinit.model.Window;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;

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

  /** CheckNumerics' message for a rewritten layer's input that is not finite. */
  private static final String NOT_FINITE = "the layer's input is not finite";
  /** CheckNumerics' message for a new kernel that is not finite. */
  private static final String KERNEL_NOT_FINITE = "the layer's new kernel is not finite";

  private final ModelSession session;
  private final Decomposition decomposition;
  private final Placeholder<TFloat32> images;
  private final Map<String, Operand<TFloat32>> kernels = new LinkedHashMap<>();
  private final Map<String, Operand<TFloat32>> norms = new LinkedHashMap<>();
  /** Per rewritten layer, its kernel's routes (chosen among at run time where there is more). */
  private final Map<String, GramKernels.GramKernel> routes = new LinkedHashMap<>();
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
      w = decomposition == Decomposition.SVD ? bySvd(tf, layer, pm, wd)
          : byGram(tf, layer, pm, wd, cols);
    } else {
      Ops sl = tf.withSubScope("patches");
      Operand<TInt32> at = sl.constant(live);
      Operand<TFloat32> kept = sl.gather(pm, at, sl.constant(1));
      Operand<TFloat32> wLive = decomposition == Decomposition.SVD ? bySvd(tf, layer, kept, wd)
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
  static int[] liveColumns(Layer.Conv layer, Dims in) {
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

  /** SVD: W from TensorFlow's SVD of P. */
  private Operand<TFloat32> bySvd(Ops tf, Layer.Conv layer, Operand<TFloat32> pm, int wd) {
    Operand<TFloat32> w = GramKernels.bySvd(tf, pm, wd);
    routes.put(layer.weight(), GramKernels.GramKernel.only(SvdRoute.SVD, w));
    return w;
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
      pg = GramKernels.whenFalse(sg, pm, few);
    }
    Operand<TFloat32> gram = sg.linalg.matMul(pg, pg, MatMul.transposeA(true)); // [cols, cols]
    Operand<TFloat32> top = sg.slice(pg, sg.constant(new int[] {0, 0}),
        sg.constant(new int[] {wd, -1})); // P[0:wd, :]
    boolean fits = warm != null && warm.shape().get(0) == cols && warm.shape().get(1) == b;
    Ops sd = tf.withSubScope("decomposition");
    List<GramKernels.Branch> branches = new ArrayList<>(GramKernels.fromGram(sd, decomposition,
        gram, pg, top, wd, cols, routes.size(), fits ? warm : null));
    if (iterating) {
      // the dual route, with a seeded start for the next layer's pairs, as if none fitted
      Operand<TFloat32> start = new SubspaceIteration(sd, cols, wd).randomStart(routes.size());
      branches.add(new GramKernels.Branch(SvdRoute.DUAL,
          GramKernels.byDual(sd, GramKernels.whenTrue(sd, pm, few), wd),
          GramKernels.whenTrue(sd, sd.constant(Double.NaN), few),
          GramKernels.whenTrue(sd, start, few)));
    }
    GramKernels.GramKernel k = branches.size() == 1
        ? GramKernels.GramKernel.only(branches.get(0).route(), branches.get(0).w())
        : GramKernels.GramKernel.merge(sd, branches);
    warm = k.pairs();
    routes.put(layer.weight(), k);
    if (check) {
      // the reference: the float64 decomposition of what the route was given: G as formed in
      // float32 for gram_eigh, P itself (G formed in float64) for the subspace routes, whose
      // float64 stages start from P
      Ops sc = tf.withSubScope("check");
      Operand<TFloat32> gramAll = iterating ? sc.linalg.matMul(pm, pm, MatMul.transposeA(true))
          : gram;
      Operand<TFloat32> topAll = iterating ? sc.slice(pm, sc.constant(new int[] {0, 0}),
          sc.constant(new int[] {wd, -1})) : top;
      Operand<TFloat64> exact = decomposition == Decomposition.GRAM_EIGH
          ? GramKernels.exactKernel(sc, gram, top, wd, cols)
          : GramKernels.exactFromRows(sc, pm, wd, cols);
      offExact.put(layer.weight(), GramKernels.relative(sc,
          sc.dtypes.cast(k.w(), TFloat64.class), exact));
      eighOffExact.put(layer.weight(), GramKernels.relative(sc,
          sc.dtypes.cast(GramKernels.byEig(sc, gramAll, topAll, wd, cols), TFloat64.class),
          exact));
    }
    return k.w();
  }

  /**
   * Rewrites the model's square convolutions from {@code n} images (NHWC in [0, 1]). Either all
   * are assigned or, on an exception, none.
   *
   * @throws InitException if the batch is too small to give out_channels components, or a
   *     representation is zero or not finite (naming the layer)
   */
  public SvdReport initialize(float[] imagesNhwc, int n) throws InitException {
    return initialize(imagesNhwc, n, false);
  }

  /**
   * As {@link #initialize(float[], int)}; with {@code trace}, the run is traced and the report
   * holds each rewritten layer's split into {@link SvdProfile#STAGES} (tracing costs a little
   * time).
   */
  public SvdReport initialize(float[] imagesNhwc, int n, boolean trace) throws InitException {
    SvdPreflight.checkBatch(session.network(), n);
    long start = System.nanoTime();
    Session.Runner runner = session.session().runner();
    List<String> names = new ArrayList<>(kernels.keySet());
    names.forEach(name -> runner.fetch(kernels.get(name)));
    names.forEach(name -> runner.fetch(norms.get(name)));
    // the layers whose route is chosen at run time
    List<String> chosen = routes.keySet().stream().filter(k -> routes.get(k).index() != null)
        .toList();
    chosen.forEach(name -> runner.fetch(routes.get(name).index())
        .fetch(routes.get(name).residual()));
    List<String> checked = new ArrayList<>(offExact.keySet());
    checked.forEach(name -> runner.fetch(offExact.get(name)).fetch(eighOffExact.get(name)));
    gapsBefore.forEach(runner::fetch);
    gapsAfter.forEach(runner::fetch);
    runner.fetch(ratioBefore).fetch(ratioAfter);
    Map<String, float[]> values = new LinkedHashMap<>();
    List<SvdReport.LayerResult> layerNorms = new ArrayList<>();
    List<SvdReport.BlockGap> gaps = new ArrayList<>();
    double before;
    double after;
    List<SvdReport.LayerTimes> times = null;
    try (TFloat32 x = ModelSession.imagesTensor(imagesNhwc, n);
        Result r = run(runner, x, trace)) {
      if (trace) {
        times = SvdProfile.times(r.getMetadata().orElseThrow().getStepStats(), names);
      }
      int at = 0;
      for (String name : names) {
        values.put(name, ModelSession.toArray((TFloat32) r.get(at++)));
      }
      double[] layerNorm = new double[names.size()];
      for (int i = 0; i < layerNorm.length; i++) {
        layerNorm[i] = ((TFloat32) r.get(at++)).getFloat();
      }
      Map<String, SvdRoute> route = new LinkedHashMap<>();
      Map<String, Double> residual = new LinkedHashMap<>();
      routes.forEach((name, k) -> route.put(name, k.routes().get(0)));
      for (String name : chosen) {
        SvdRoute taken = routes.get(name).routes().get(((TInt32) r.get(at++)).getInt());
        route.put(name, taken);
        double res = ((TFloat64) r.get(at++)).getDouble();
        residual.put(name, taken == SvdRoute.DUAL ? null : res); // no iteration, no residual
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
        layerNorms.add(new SvdReport.LayerResult(name.replace(".weight", ""), norm,
            route.get(name), residual.get(name), off.containsKey(name) ? off.get(name)[0] : null,
            off.containsKey(name) ? off.get(name)[1] : null));
      }
      double[] gb = new double[blocks.size()];
      for (int i = 0; i < gb.length; i++) {
        gb[i] = ((TFloat64) r.get(at++)).getDouble();
      }
      for (int i = 0; i < gb.length; i++) {
        gaps.add(new SvdReport.BlockGap(blocks.get(i).name(), gb[i],
            ((TFloat64) r.get(at++)).getDouble()));
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
    return new SvdReport(decomposition.name().toLowerCase(Locale.ROOT), n, before, after,
        layerNorms, gaps, seconds, times);
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

}
