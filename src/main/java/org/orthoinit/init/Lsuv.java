package org.orthoinit.init;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.Network;
import org.orthoinit.model.NetworkGraph;
import org.orthoinit.model.Parameter;
import org.orthoinit.util.Seeds;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;
import org.tensorflow.types.TInt32;

/**
 * Layer-sequential unit-variance initialization (Mishkin and Matas, "All you need is a good init",
 * ICLR 2016), the best-known data-dependent initializer, as a baseline: every convolution and
 * linear kernel starts orthonormal (Saxe et al.; a QR of a Gaussian matrix with the signs of R's
 * diagonal, so the result is uniform over orthonormal matrices); then, layer after layer in
 * order, the kernel is divided by the standard deviation of the layer's output on a batch until
 * that variance is within the tolerance of 1, or the iterations run out. Biases stay as they are
 * (zero after Xavier).
 *
 * <p>The walk feeds each layer the representation the previous, already scaled, layers give the
 * batch: one session call per variance measured, the representation between layers stays a
 * TensorFlow tensor. The variance is over every value of the output (all samples, positions and
 * channels), measured before the ReLU; batch norms use batch statistics, dropout is off.
 */
public final class Lsuv {

  /**
   * The algorithm's two knobs.
   *
   * @param tolerance stop when |Var - 1| < tolerance
   * @param maxIterations at most this many rescalings per layer
   */
  public record Settings(double tolerance, int maxIterations) {
    public Settings {
      if (!(tolerance > 0 && tolerance < 1)) {
        throw new IllegalArgumentException("LSUV tolerance must be in (0, 1), got " + tolerance);
      }
      if (maxIterations < 1) {
        throw new IllegalArgumentException("LSUV iterations must be >= 1, got " + maxIterations);
      }
    }
  }

  /** The paper's values: Tol_var = 0.1, T_max = 10. */
  public static final Settings PAPER = new Settings(0.1, 10);

  /**
   * One layer's outcome.
   *
   * @param varianceBefore output variance with the orthonormal kernel
   * @param variance output variance after the last rescaling
   * @param iterations rescalings done
   * @param converged the variance ended within the tolerance of 1 (it may not when the biases,
   *     which LSUV does not scale, carry more variance than that)
   */
  public record LayerResult(String layer, double varianceBefore, double variance,
      int iterations, boolean converged) {}

  /** What the initializer did. */
  public record Report(double tolerance, int maxIterations, int batch, List<LayerResult> layers,
      double seconds) implements Initializer.Report {
    /** Layers whose variance did not reach the tolerance within the iterations. */
    public List<String> unconverged() {
      return layers.stream().filter(l -> !l.converged()).map(LayerResult::layer).toList();
    }
  }

  /** LSUV in the registry: after Xavier (for the biases and batch norms), on the init batch. */
  record Method(Settings settings) implements Initializer {
    @Override
    public String id() {
      return "lsuv";
    }

    @Override
    public String description() {
      return "orthonormal kernels scaled layer by layer to unit output variance on the init "
          + "batch (Mishkin and Matas 2016)";
    }

    @Override
    public Look look() {
      return new Look("LSUV", 0x823CAA, Marker.DIAMOND);
    }

    @Override
    public boolean usesData() {
      return true;
    }

    @Override
    public int minimumBatch() {
      return 2;
    }

    @Override
    public Class<Lsuv.Report> reportType() {
      return Lsuv.Report.class;
    }

    @Override
    public Lsuv.Report initialize(ModelSession session, Context context) throws InitException {
      if (context.given()) {
        throw new IllegalStateException("LSUV replaces every kernel; it cannot start from given "
            + "weights");
      }
      Xavier.initialize(session, context.seed());
      return new Lsuv(session, settings)
          .initialize(context.images(), context.n(), context.seed());
    }
  }

  /**
   * A weighted layer of the walk: the placeholder its input is fed to, what it gives, and the
   * value that input takes ({@code feed}, computed from the images and the inputs of the
   * {@code upstream} stages).
   */
  private record Stage(String weight, Placeholder<TFloat32> input, Operand<TFloat32> feed,
      Operand<TFloat64> variance, Placeholder<TFloat32> scale, Operand<TFloat32> rescale) {}

  private final ModelSession session;
  private final Settings settings;
  private final Placeholder<TFloat32> images;
  private final List<Stage> stages = new ArrayList<>();
  /** upstream.get(i): the stages whose inputs stage i's feed is computed from. */
  private final List<List<Integer>> upstream = new ArrayList<>();
  private final Orthonormal orthonormal;

  /** Adds the initializer's ops to the session's graph. */
  public Lsuv(ModelSession session, Settings settings) {
    this.session = session;
    this.settings = settings;
    NetworkGraph model = session.model();
    Ops tf = model.tf().withSubScope("lsuv");
    images = NetworkGraph.imagesPlaceholder(tf);
    Placeholder<TFloat32> scale = tf.withName("scale").placeholder(TFloat32.class,
        Placeholder.shape(Shape.scalar()));
    // every weighted layer reads a placeholder, fed with what the layers before it give once
    // they are scaled; dropout off, batch norms on batch statistics
    model.walk(tf.withSubScope("walk"), images, NetworkGraph.Mode.INIT,
        (s, layer, x, kernel, bias) -> {
          Placeholder<TFloat32> in = s.withName("input").placeholder(TFloat32.class);
          Operand<TFloat32> y = NetworkGraph.convolve(s, layer, in, kernel, bias);
          stages.add(stage(s, layer.weight(), in, s.identity(x), y, scale));
          return y;
        },
        (s, layer, x, weight, bias) -> {
          Placeholder<TFloat32> in = s.withName("input").placeholder(TFloat32.class);
          Operand<TFloat32> y = NetworkGraph.dense(s, in, weight, bias);
          stages.add(stage(s, layer.weight(), in, s.identity(x), y, scale));
          return y;
        });
    Network network = session.network();
    Map<String, Integer> stageOf = new HashMap<>();
    for (int i = 0; i < stages.size(); i++) {
      stageOf.put(layerOf(stages.get(i)), i);
    }
    for (Stage stage : stages) {
      upstream.add(upstream(network, layerOf(stage), stageOf));
    }
    orthonormal = new Orthonormal(tf.withSubScope("orthonormal"), session.session());
  }

  private static String layerOf(Stage stage) {
    return stage.weight().substring(0, stage.weight().length() - ".weight".length());
  }

  /**
   * The weighted layers nearest above {@code layer}: the stages whose inputs (with the images)
   * determine {@code layer}'s input. In a chain, the one before it.
   */
  private static List<Integer> upstream(Network network, String layer,
      Map<String, Integer> stageOf) {
    Set<Integer> out = new TreeSet<>();
    Set<String> seen = new HashSet<>();
    Deque<String> todo = new ArrayDeque<>(network.layer(layer).inputs());
    while (!todo.isEmpty()) {
      String name = todo.pop();
      if (name.equals(Network.INPUT_NAME) || !seen.add(name)) {
        continue;
      }
      Integer stage = stageOf.get(name);
      if (stage != null) {
        out.add(stage);
      } else {
        todo.addAll(network.layer(name).inputs());
      }
    }
    return List.copyOf(out);
  }

  private Stage stage(Ops s, String weight, Placeholder<TFloat32> in, Operand<TFloat32> feed,
      Operand<TFloat32> y, Placeholder<TFloat32> scale) {
    Operand<TFloat64> v = s.dtypes.cast(y, TFloat64.class);
    Operand<TFloat64> mean = s.math.mean(v, allAxes(s, y));
    Operand<TFloat64> variance = s.math.mean(s.math.squaredDifference(v, mean), allAxes(s, y));
    var kernel = session.variables().get(weight);
    Operand<TFloat32> rescale = s.withName("rescale").assign(kernel, s.math.mul(kernel, scale));
    return new Stage(weight, in, feed, variance, scale, rescale);
  }

  /** Every axis of {@code y}, whatever its rank. */
  private static Operand<TInt32> allAxes(Ops s, Operand<TFloat32> y) {
    return s.range(s.constant(0), s.rank(y), s.constant(1));
  }

  /**
   * Orthonormal kernels, then unit output variance layer by layer on {@code n} images (NHWC in
   * [0, 1]).
   *
   * @param seed seeds the Gaussian matrices of the orthonormal start
   * @throws InitException if a layer's output on the batch is zero or not finite (naming it)
   */
  public Report initialize(float[] imagesNhwc, int n, long seed) throws InitException {
    if (n < 2) {
      throw new InitException("LSUV needs at least 2 images to measure a variance, got " + n);
    }
    long start = System.nanoTime();
    session.assign(orthonormal(seed));
    List<LayerResult> results = new ArrayList<>();
    // inputs[j]: the Result holding stage j's input, closed after the last stage that
    // needs it (in a chain, the next one)
    int[] lastUse = new int[stages.size()];
    for (int i = 0; i < stages.size(); i++) {
      lastUse[i] = i;
      for (int j : upstream.get(i)) {
        lastUse[j] = Math.max(lastUse[j], i);
      }
    }
    Result[] inputs = new Result[stages.size()];
    try (TFloat32 x = ModelSession.imagesTensor(imagesNhwc, n)) {
      for (int i = 0; i < stages.size(); i++) {
        Stage stage = stages.get(i);
        Session.Runner feed = session.session().runner().feed(images, x);
        for (int j : upstream.get(i)) {
          feed.feed(stages.get(j).input(), (TFloat32) inputs[j].get(0));
        }
        inputs[i] = feed.fetch(stage.feed()).run();
        for (int j : upstream.get(i)) {
          if (lastUse[j] == i) {
            inputs[j].close();
            inputs[j] = null;
          }
        }
        TFloat32 input = (TFloat32) inputs[i].get(0);
        String layer = layerOf(stage);
        double first = variance(stage, input, layer);
        double v = first;
        int iterations = 0;
        while (Math.abs(v - 1) >= settings.tolerance() && iterations < settings.maxIterations()) {
          try (TFloat32 factor = TFloat32.scalarOf((float) (1 / Math.sqrt(v)))) {
            session.session().runner().feed(stage.scale(), factor).addTarget(stage.rescale())
                .run().close();
          }
          iterations++;
          v = variance(stage, input, layer);
        }
        results.add(new LayerResult(layer, first, v, iterations,
            Math.abs(v - 1) < settings.tolerance()));
        if (lastUse[i] == i) {
          inputs[i].close();
          inputs[i] = null;
        }
      }
    } finally {
      for (Result r : inputs) {
        if (r != null) {
          r.close();
        }
      }
    }
    return new Report(settings.tolerance(), settings.maxIterations(), n, results,
        (System.nanoTime() - start) / 1e9);
  }

  private double variance(Stage stage, TFloat32 input, String layer) throws InitException {
    double v;
    try (Result r = session.session().runner().feed(stage.input(), input).fetch(stage.variance())
        .run()) {
      v = ((TFloat64) r.get(0)).getDouble();
    }
    if (!(v > 0) || !Double.isFinite(v)) {
      throw new InitException(layer + ": the layer's output on the LSUV batch has variance " + v
          + "; it cannot be scaled to 1");
    }
    return v;
  }

  /**
   * An orthonormal value for every kernel, seeded: the kernel as a [fan_in, out] matrix (HWIO
   * flattens to [k*k*Cin, Cout]) has orthonormal columns, or rows when it is wider than tall.
   */
  private Map<String, float[]> orthonormal(long seed) {
    Map<String, float[]> values = new LinkedHashMap<>();
    int index = 0;
    for (Parameter p : session.network().parameters()) {
      if (p.kind() == Parameter.Kind.CONV_KERNEL || p.kind() == Parameter.Kind.LINEAR_WEIGHT) {
        long[] shape = p.shape();
        int cols = (int) shape[shape.length - 1];
        int rows = (int) (Shape.of(shape).size() / cols);
        values.put(p.name(), orthonormal.matrix(rows, cols,
            new Random(new Seeds(seed).orthonormal(index++))));
      }
    }
    return values;
  }
}
