package org.orthoinit.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Gradients;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

/**
 * The gradients this process's TensorFlow computes for single layers, held against float64 sums
 * worked out here from the same float32 values. Each case builds one layer with the graph
 * builder's own ops ({@link NetworkGraph#convolve}, its pools, the training form of a linear
 * layer) on a small input, takes TensorFlow's gradient of {@code sum(y * R)} for a fixed random
 * R, and compares it with the direct sums: the input's gradient and the parameter's, each as max
 * abs error / max abs value.
 *
 * <p>Why: oneDNN's kernels are chosen by shape, and oneDNN 3.5's convolution input gradient is
 * wrong at some input-channel counts (see {@link ConvRoutes}); a gradient that is wrong trains
 * nothing but gives no error, so the shapes a network uses are checked before it trains.
 */
public final class GradientCheck {

  /** Beyond this (max abs error / max abs value) a gradient is wrong. */
  public static final double TOLERANCE = 1e-4;
  /**
   * Test-only: a system property naming an input-channel count; the check then scales
   * TensorFlow's input gradient of every convolution with that many input channels by 1.01 (as
   * a faulty kernel would), so the refusals can be tested on any machine.
   */
  public static final String CORRUPT_PROPERTY = "orthoinit.test.corruptInputGradient";
  /** Images per case. */
  static final int BATCH = 2;
  /** Values (inputs, weights, outputs) checked in one session, at most (unless one case has more). */
  static final long CHUNK_VALUES = 1L << 24;
  /** Rows and columns of a checked input, at most (unless its window needs more). */
  static final int SMALL = 16;

  private GradientCheck() {}

  /**
   * One layer to check.
   *
   * @param layer a Conv, Linear, MaxPool or AvgPool
   * @param input the input's shape (small: a few output positions are enough)
   * @param routedIn for a Conv, the input channels it is computed with (zero padded, see {@link
   *     NetworkGraph#convolve(Ops, Layer.Conv, Operand, Operand, Operand, int)}); the layer's
   *     own count otherwise
   */
  public record Case(Layer layer, Dims input, int routedIn) {

    public Case {
      if (!(layer instanceof Layer.Conv || layer instanceof Layer.Linear
          || layer instanceof Layer.MaxPool || layer instanceof Layer.AvgPool)) {
        throw new IllegalArgumentException("no gradient check for " + layer);
      }
    }

    public Case(Layer layer, Dims input) {
      this(layer, input, layer instanceof Layer.Conv c ? c.in() : input.channels());
    }

    /** "conv 3x3 s1 p1 512->512" and the like, with the route when there is one. */
    public String describe() {
      String s;
      if (layer instanceof Layer.Conv c) {
        s = (c.depthwise() ? "depthwise " : c.groups() > 1 ? "grouped conv " : "conv ")
            + c.window() + (c.groups() > 1 && !c.depthwise() ? ", groups " + c.groups() : "")
            + ", " + c.in() + "->" + c.out();
      } else if (layer instanceof Layer.Linear l) {
        s = "linear " + l.in() + "->" + l.out();
      } else if (layer instanceof Layer.MaxPool p) {
        s = "max pool " + p.window() + ", " + input.channels();
      } else {
        s = "avg pool " + ((Layer.AvgPool) layer).window() + ", " + input.channels();
      }
      return layer instanceof Layer.Conv c && routedIn != c.in()
          ? s + " (input padded to " + routedIn + " channels)" : s;
    }
  }

  /**
   * A case's result.
   *
   * @param inputError the input gradient's max abs error / max abs value
   * @param paramError the weight's gradient (0 for pools)
   */
  public record Outcome(Case c, double inputError, double paramError) {

    public boolean ok() {
      return inputError <= TOLERANCE && paramError <= TOLERANCE;
    }

    public double worst() {
      return Math.max(inputError, paramError);
    }
  }

  /**
   * A small input for {@code layer} on {@code full}: the full size up to {@link #SMALL} rows and
   * columns, or three output positions each way where the window needs more. oneDNN picks its
   * kernels and blocking by shape, spatial size included (measured here: a 1 x 1 convolution
   * from 512 channels has a wrong input gradient at 5 x 5 and 7 x 7 but not at 13 x 13, and from
   * 320 channels at 7 x 7 for two or more images but not for one), so a layer is checked at its
   * own size where that is small, and at two images, as training passes them.
   */
  public static Dims smallInput(Layer layer, Dims full) {
    if (full.flat()) {
      return full;
    }
    Window w = layer instanceof Layer.Conv c ? c.window()
        : layer instanceof Layer.MaxPool p ? p.window()
        : layer instanceof Layer.AvgPool p ? p.window() : null;
    if (w == null) {
      return full;
    }
    int h = Math.min(full.height(), Math.max(SMALL, 2 * w.strideH() + w.extentH()));
    int wd = Math.min(full.width(), Math.max(SMALL, 2 * w.strideW() + w.extentW()));
    return new Dims(full.channels(), h, wd);
  }

  /**
   * Runs every case on {@code compute}'s device: as few graphs and sessions as their sizes
   * allow (at most {@link #CHUNK_VALUES} input, weight and output values each).
   */
  public static List<Outcome> run(List<Case> cases, Compute compute) {
    List<Outcome> out = new ArrayList<>();
    List<Case> chunk = new ArrayList<>();
    long values = 0;
    for (Case c : cases) {
      long v = Prepared.values(c);
      if (!chunk.isEmpty() && values + v > CHUNK_VALUES) {
        out.addAll(runChunk(chunk, compute));
        chunk.clear();
        values = 0;
      }
      chunk.add(c);
      values += v;
    }
    if (!chunk.isEmpty()) {
      out.addAll(runChunk(chunk, compute));
    }
    return out;
  }

  /** Runs {@code cases} in one graph and one session. */
  private static List<Outcome> runChunk(List<Case> cases, Compute compute) {
    String corrupt = System.getProperty(CORRUPT_PROPERTY);
    Random random = new Random(20211207L);
    List<Prepared> prepared = new ArrayList<>();
    try (Graph g = new Graph();
        Session session = new Session(g, false, compute.proto(0))) {
      Ops tf = Ops.create(g);
      List<Operand<TFloat32>> losses = new ArrayList<>();
      List<Operand<?>> targets = new ArrayList<>();
      for (int i = 0; i < cases.size(); i++) {
        Prepared p = Prepared.of(cases.get(i), random);
        Ops s = tf.withSubScope("case" + i);
        Placeholder<TFloat32> x = s.withName("x").placeholder(TFloat32.class,
            Placeholder.shape(Shape.of(p.xShape)));
        Placeholder<TFloat32> w = p.wShape == null ? null : s.withName("w")
            .placeholder(TFloat32.class, Placeholder.shape(Shape.of(p.wShape)));
        Placeholder<TFloat32> r = s.withName("r").placeholder(TFloat32.class,
            Placeholder.shape(Shape.of(p.yShape)));
        Operand<TFloat32> y = p.build(s, x, w);
        losses.add(s.reduceSum(s.math.mul(y, r), s.constant(p.yShape.length == 2
            ? new int[] {0, 1} : new int[] {0, 1, 2, 3})));
        p.x = x;
        p.w = w;
        p.r = r;
        targets.add(x);
        if (w != null) {
          targets.add(w);
        }
        prepared.add(p);
      }
      Operand<TFloat32> loss = tf.math.addN(losses);
      Gradients grads = tf.gradients(loss, targets);
      Session.Runner runner = session.runner();
      List<Tensor> fed = new ArrayList<>();
      try {
        for (Prepared p : prepared) {
          feed(runner, fed, p.x, p.xShape, p.xValues);
          if (p.w != null) {
            feed(runner, fed, p.w, p.wShape, p.wValues);
          }
          feed(runner, fed, p.r, p.yShape, p.rValues);
        }
        for (int i = 0; i < targets.size(); i++) {
          runner.fetch(grads.dy(i));
        }
        try (Result result = runner.run()) {
          int k = 0;
          for (Prepared p : prepared) {
            p.dx = ModelSession.toArray((TFloat32) result.get(k++));
            p.dw = p.w == null ? null : ModelSession.toArray((TFloat32) result.get(k++));
            if (corrupt != null && p.c.layer() instanceof Layer.Conv c
                && corrupt.equals(Integer.toString(c.in()))) {
              for (int j = 0; j < p.dx.length; j++) {
                p.dx[j] *= 1.01f;
              }
            }
          }
        }
      } finally {
        fed.forEach(Tensor::close);
      }
    }
    // the float64 sums take longer than TensorFlow: on every core
    return prepared.parallelStream().map(p -> {
      double[][] exact = p.reference();
      return new Outcome(p.c, relativeError(p.dx, exact[0]),
          p.dw == null ? 0 : relativeError(p.dw, exact[1]));
    }).toList();
  }

  /** Feeds {@code values} at {@code at}; the tensor joins {@code fed}, which the caller closes. */
  private static void feed(Session.Runner runner, List<Tensor> fed, Operand<TFloat32> at,
      long[] shape, float[] values) {
    TFloat32 t = TFloat32.tensorOf(Shape.of(shape), DataBuffers.of(values, true, false));
    fed.add(t);
    runner.feed(at, t);
  }

  /** max |a - b| / max |b|; 0 when both are zero. */
  static double relativeError(float[] actual, double[] exact) {
    double err = 0;
    double scale = 0;
    for (int i = 0; i < actual.length; i++) {
      err = Math.max(err, Math.abs(actual[i] - exact[i]));
      scale = Math.max(scale, Math.abs(exact[i]));
    }
    return scale == 0 ? (err == 0 ? 0 : Double.POSITIVE_INFINITY) : err / scale;
  }

  private static float[] uniform(Random random, long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    float[] v = new float[Math.toIntExact(n)];
    for (int i = 0; i < v.length; i++) {
      v[i] = random.nextFloat() * 2 - 1;
    }
    return v;
  }

  /** A case's shapes, values and float64 answer. */
  private static final class Prepared {
    final Case c;
    final long[] xShape;
    final long[] wShape;
    final long[] yShape;
    final float[] xValues;
    final float[] wValues;
    final float[] rValues;
    Placeholder<TFloat32> x;
    Placeholder<TFloat32> w;
    Placeholder<TFloat32> r;
    float[] dx;
    float[] dw;

    private Prepared(Case c, long[] xShape, long[] wShape, long[] yShape, Random random) {
      this.c = c;
      this.xShape = xShape;
      this.wShape = wShape;
      this.yShape = yShape;
      xValues = uniform(random, xShape);
      wValues = wShape == null ? null : uniform(random, wShape);
      rValues = uniform(random, yShape);
    }

    /** How many values {@code c}'s input, weight and output hold. */
    static long values(Case c) {
      Dims in = c.input();
      long x = BATCH * in.size();
      if (c.layer() instanceof Layer.Conv conv) {
        Window w = conv.window();
        return x + (long) w.kernelH() * w.kernelW() * conv.in() / conv.groups() * conv.out()
            + (long) BATCH * w.outputHeight(in.height(), false) * w.outputWidth(in.width(), false)
            * conv.out();
      } else if (c.layer() instanceof Layer.Linear l) {
        return x + (long) l.in() * l.out() + (long) BATCH * l.out();
      }
      return 2 * x;
    }

    static Prepared of(Case c, Random random) {
      Dims in = c.input();
      if (c.layer() instanceof Layer.Conv conv) {
        Window w = conv.window();
        return new Prepared(c, new long[] {BATCH, in.height(), in.width(), conv.in()},
            new long[] {w.kernelH(), w.kernelW(), conv.in() / conv.groups(), conv.out()},
            new long[] {BATCH, w.outputHeight(in.height(), false),
                w.outputWidth(in.width(), false), conv.out()}, random);
      } else if (c.layer() instanceof Layer.Linear l) {
        return new Prepared(c, new long[] {BATCH, l.in()}, new long[] {l.in(), l.out()},
            new long[] {BATCH, l.out()}, random);
      } else if (c.layer() instanceof Layer.MaxPool p) {
        return new Prepared(c, nhwc(in), null, pooled(in, p.window(), p.ceilMode()), random);
      }
      Layer.AvgPool p = (Layer.AvgPool) c.layer();
      return new Prepared(c, nhwc(in), null, pooled(in, p.window(), p.ceilMode()), random);
    }

    private static long[] nhwc(Dims in) {
      return new long[] {BATCH, in.height(), in.width(), in.channels()};
    }

    private static long[] pooled(Dims in, Window w, boolean ceil) {
      return new long[] {BATCH, w.outputHeight(in.height(), ceil),
          w.outputWidth(in.width(), ceil), in.channels()};
    }

    Operand<TFloat32> build(Ops s, Operand<TFloat32> x, Operand<TFloat32> w) {
      if (c.layer() instanceof Layer.Conv conv) {
        return NetworkGraph.convolve(s, conv, x, w, null, c.routedIn());
      } else if (c.layer() instanceof Layer.Linear) {
        return NetworkGraph.linear(s, x, w, null, NetworkGraph.Mode.TRAIN);
      } else if (c.layer() instanceof Layer.MaxPool p) {
        return NetworkGraph.maxPool(s, p, x, c.input());
      }
      return NetworkGraph.avgPool(s, (Layer.AvgPool) c.layer(), x, c.input());
    }

    /** {d loss / d x, d loss / d w} in float64, loss = sum(y * R). */
    double[][] reference() {
      if (c.layer() instanceof Layer.Conv conv) {
        return ExactGradients.conv(conv, xShape, xValues, wValues, yShape, rValues);
      } else if (c.layer() instanceof Layer.Linear l) {
        return ExactGradients.linear(l.in(), l.out(), xValues, wValues, rValues);
      } else if (c.layer() instanceof Layer.MaxPool p) {
        return new double[][] {ExactGradients.maxPool(p.window(), xShape, xValues, yShape,
            rValues), null};
      }
      return new double[][] {ExactGradients.avgPool((Layer.AvgPool) c.layer(), xShape, yShape,
          rValues), null};
    }
  }
}
