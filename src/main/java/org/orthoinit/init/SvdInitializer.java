package org.orthoinit.init;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.orthoinit.model.AlexNet;
import org.orthoinit.model.Architecture;
import org.orthoinit.model.Layer;
import org.orthoinit.model.ModelSession;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.op.linalg.SelfAdjointEig;
import org.tensorflow.op.linalg.Svd;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;

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

  /** How P's leading singular structure is computed; both give the same W up to rounding. */
  public enum Decomposition {
    /** TF's Svd of P [rows, Cin*9]: the seed's own route. */
    SVD,
    /**
     * SelfAdjointEig of the Gram matrix G = P^T P [Cin*9, Cin*9] = V S^2 V^T; then U[0:wd, :] =
     * P[0:wd, :] V S^-1, so W = P[0:wd, :] V_wd S_wd^(-3/2) V_wd^T. G is 2304 x 2304 against P's
     * 4096 x 2304, and an eigensolver is cheaper than an SVD.
     */
    GRAM_EIGH
  }

  /** Default decomposition. */
  public static final Decomposition DECOMPOSITION_DEFAULT = Decomposition.GRAM_EIGH;

  /** What the initializer did to one rewritten layer. */
  public record LayerResult(String layer, double outputNorm) {}

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
      double gramRatioAfter, List<LayerResult> outputNorms, List<BlockGap> gaps, double seconds) {}

  private final ModelSession session;
  private final Decomposition decomposition;
  private final Placeholder<TFloat32> images;
  private final Map<String, Operand<TFloat32>> kernels = new LinkedHashMap<>();
  private final Map<String, Operand<TFloat32>> norms = new LinkedHashMap<>();
  private final List<Layer.Conv> blocks = new ArrayList<>();
  private final List<Operand<TFloat64>> gapsBefore = new ArrayList<>();
  private final List<Operand<TFloat64>> gapsAfter = new ArrayList<>();
  private final Operand<TFloat64> ratioBefore;
  private final Operand<TFloat64> ratioAfter;

  /** Adds the initializer's ops to the session's graph. */
  public SvdInitializer(ModelSession session, Decomposition decomposition) {
    this.session = session;
    this.decomposition = decomposition;
    AlexNet model = session.model();
    Ops tf = model.tf().withSubScope("svd_init");
    images = AlexNet.imagesPlaceholder(tf);
    // the seed runs the model in training mode here: batch norms use batch statistics
    AlexNet.Features before = model.features(tf.withSubScope("before"), images,
        AlexNet.Mode.TRAIN, AlexNet::standardConv);
    AlexNet.Features after = model.features(tf.withSubScope("walk"), images,
        AlexNet.Mode.TRAIN, this::rewrite);
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
      return AlexNet.convolve(tf, layer, x, kernel, bias);
    }
    int k = layer.kernel();
    int p = layer.padding();
    int cols = layer.in() * k * k;
    int wd = layer.out();
    // 1. zero-pad and take every k x k patch at stride 1: [N, H, W, k*k*Cin], columns (kh, kw, c)
    Operand<TFloat32> padded = tf.pad(x,
        tf.constant(new int[][] {{0, 0}, {p, p}, {p, p}, {0, 0}}), tf.constant(0f));
    Operand<TFloat32> patches = tf.image.extractImagePatches(padded, List.of(1L, (long) k, (long) k,
        1L), List.of(1L, 1L, 1L, 1L), List.of(1L, 1L, 1L, 1L), "VALID");
    Operand<TFloat32> pm = tf.reshape(patches, tf.constant(new int[] {-1, cols})); // [N*H*W, cols]
    // 2. W = U[0:wd, 0:wd] diag(S[0:wd]^-1/2) V[:, 0:wd]^T: [wd, cols]
    Operand<TFloat32> w = decomposition == Decomposition.SVD ? bySvd(tf, pm, wd) : byEig(tf, pm, wd,
        cols);
    // 3. [wd, (kh, kw, c)] -> [wd, kh, kw, c] -> HWIO
    Operand<TFloat32> raw = tf.linalg.transpose(
        tf.reshape(w, tf.constant(new int[] {wd, k, k, layer.in()})),
        tf.constant(new int[] {1, 2, 3, 0}));
    // 4. divide by the Frobenius norm of the layer's output on the batch, bias included
    Operand<TFloat32> y = AlexNet.convolve(tf, layer, x, raw, bias);
    Operand<TFloat32> norm = tf.math.sqrt(tf.reduceSum(tf.math.square(y),
        tf.constant(new int[] {0, 1, 2, 3})));
    Operand<TFloat32> scaled = tf.math.div(raw, norm);
    kernels.put(layer.weight(), scaled);
    norms.put(layer.weight(), norm);
    // 5. carry the output with the new kernel on
    return AlexNet.convolve(tf, layer, x, scaled, bias);
  }

  private static Operand<TFloat32> bySvd(Ops tf, Operand<TFloat32> pm, int wd) {
    Svd<TFloat32> svd = tf.linalg.svd(pm, Svd.fullMatrices(false), Svd.computeUv(true));
    Operand<TFloat32> u = tf.slice(svd.u(), tf.constant(new int[] {0, 0}),
        tf.constant(new int[] {wd, wd}));
    Operand<TFloat32> s = tf.slice(svd.s(), tf.constant(new int[] {0}), tf.constant(new int[] {wd}));
    Operand<TFloat32> v = tf.slice(svd.v(), tf.constant(new int[] {0, 0}),
        tf.constant(new int[] {-1, wd}));
    Operand<TFloat32> us = tf.math.mul(u, tf.math.rsqrt(s)); // scales column i by s_i^-1/2
    return tf.linalg.matMul(us, v, MatMul.transposeB(true));
  }

  private static Operand<TFloat32> byEig(Ops tf, Operand<TFloat32> pm, int wd, int cols) {
    Operand<TFloat32> gram = tf.linalg.matMul(pm, pm, MatMul.transposeA(true)); // [cols, cols]
    SelfAdjointEig<TFloat32> eig = tf.linalg.selfAdjointEig(gram,
        SelfAdjointEig.computeV(true)); // ascending eigenvalues
    Operand<TFloat32> lambda = tf.slice(eig.e(), tf.constant(new int[] {cols - wd}),
        tf.constant(new int[] {wd})); // S_wd^2
    Operand<TFloat32> v = tf.slice(eig.v(), tf.constant(new int[] {0, cols - wd}),
        tf.constant(new int[] {-1, wd})); // [cols, wd]
    Operand<TFloat32> top = tf.slice(pm, tf.constant(new int[] {0, 0}),
        tf.constant(new int[] {wd, -1})); // P[0:wd, :]
    // U[0:wd, :] S^-1/2 = P[0:wd, :] V S^-3/2, S^-3/2 = lambda^-3/4
    Operand<TFloat32> scaled = tf.math.mul(tf.linalg.matMul(top, v),
        tf.math.pow(lambda, tf.constant(-0.75f)));
    return tf.linalg.matMul(scaled, v, MatMul.transposeB(true));
  }

  /**
   * Rewrites the model's square convolutions from {@code n} images (NHWC in [0, 1]). Either all
   * are assigned or, on an exception, none.
   *
   * @throws InitException if the batch is too small to give out_channels components, or a
   *     representation is zero or not finite (naming the layer)
   */
  public Report initialize(float[] imagesNhwc, int n) throws InitException {
    checkBatch(session.model().architecture(), n);
    long start = System.nanoTime();
    Session.Runner runner = session.session().runner();
    List<String> names = new ArrayList<>(kernels.keySet());
    names.forEach(name -> runner.fetch(kernels.get(name)));
    names.forEach(name -> runner.fetch(norms.get(name)));
    gapsBefore.forEach(runner::fetch);
    gapsAfter.forEach(runner::fetch);
    runner.fetch(ratioBefore).fetch(ratioAfter);
    Map<String, float[]> values = new LinkedHashMap<>();
    List<LayerResult> layerNorms = new ArrayList<>();
    List<BlockGap> gaps = new ArrayList<>();
    double before;
    double after;
    try (TFloat32 x = ModelSession.imagesTensor(imagesNhwc, n);
        Result r = run(runner, x)) {
      int at = 0;
      for (String name : names) {
        values.put(name, ModelSession.toArray((TFloat32) r.get(at++)));
      }
      for (String name : names) {
        double norm = ((TFloat32) r.get(at++)).getFloat();
        if (!(norm > 0) || !Double.isFinite(norm)) {
          throw new InitException(name.replace(".weight", "") + ": the layer's output on the "
              + "initialization batch has norm " + norm + "; nothing was assigned");
        }
        layerNorms.add(new LayerResult(name.replace(".weight", ""), norm));
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
    return new Report(decomposition.name().toLowerCase(), n, before, after, layerNorms, gaps,
        seconds);
  }

  /** Runs the walk; a failed decomposition (a NaN or infinite representation) is an InitException. */
  private Result run(Session.Runner runner, TFloat32 x) throws InitException {
    try {
      return runner.feed(images, x).run();
    } catch (org.tensorflow.exceptions.TensorFlowException
        | org.tensorflow.exceptions.TFInvalidArgumentException e) {
      // an eigensolver that does not converge (NaN input) reports an invalid argument, which
      // TensorFlow Java raises as an IllegalArgumentException, not a TensorFlowException
      String first = e.getMessage() == null ? "" : e.getMessage().lines()
          .filter(l -> !l.isBlank()).findFirst().orElse("");
      throw new InitException("the decomposition failed, a representation is not finite ("
          + first.strip() + "); nothing was assigned");
    }
  }

  /**
   * Refuses a batch whose patch matrix has fewer rows (n * H * W) than a rewritten layer's
   * out_channels, since W needs that many components.
   */
  public static void checkBatch(Architecture architecture, int n) throws InitException {
    if (n < 1) {
      throw new InitException("the initialization batch is empty");
    }
    int size = Architecture.IMAGE_SIZE;
    for (Layer layer : architecture.features()) {
      if (layer instanceof Layer.Conv c) {
        if (c.square() && (long) n * size * size < c.out()) {
          throw new InitException(String.format("%s: %d images give %d x %d patch rows "
              + "(%d per image at %dx%d), fewer than its %d output channels; use at least %d images",
              c.name(), n, (long) n * size * size, c.in() * c.kernel() * c.kernel(),
              size * size, size, size, c.out(), (c.out() + size * size - 1) / (size * size)));
        }
        size = (size + 2 * c.padding() - c.kernel()) / c.stride() + 1;
      } else if (layer instanceof Layer.MaxPool) {
        size /= 2;
      }
    }
  }
}
