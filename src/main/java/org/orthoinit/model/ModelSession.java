package org.orthoinit.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.DeviceStepStats;
import org.tensorflow.proto.NodeExecStats;
import org.tensorflow.proto.RunOptions;
import org.tensorflow.proto.StepStats;
import org.tensorflow.types.TFloat32;

/**
 * Owns the Graph and Session of one model and its evaluation pass. Other packages add their ops
 * (training step, initializers) to {@link #graph()} and run them through {@link #session()}.
 */
public final class ModelSession implements AutoCloseable {

  /** Images per session call when predicting, to bound memory on large inputs. */
  public static final int PREDICT_CHUNK = 500;

  /**
   * Where the model's convolutions ran, from TensorFlow's trace of an evaluation pass.
   *
   * @param device the device of the first convolution, {@code
   *     /job:localhost/replica:0/task:0/device:CPU:0}
   * @param onednn whether oneDNN's kernels ran (TensorFlow's {@code _Mkl} ops)
   */
  public record Placement(String device, boolean onednn) {}

  private final Graph graph;
  private final Session session;
  private final Variables variables;
  private final NetworkGraph model;
  private final NetworkGraph.Pass eval;
  private final int threads;
  private final Compute compute;
  private Placement placement;

  private ModelSession(Graph graph, Session session, Variables variables, NetworkGraph model,
      int threads, Compute compute) {
    this.graph = graph;
    this.session = session;
    this.variables = variables;
    this.model = model;
    this.eval = model.forward(model.images(), NetworkGraph.Mode.EVAL);
    this.threads = threads;
    this.compute = compute;
  }

  /** {@link #open(ModelConfig, long, int, Compute)} on the device TensorFlow chooses. */
  public static ModelSession open(ModelConfig config, long seed, int threads) {
    return open(config, seed, threads, Compute.DEFAULT);
  }

  /**
   * Builds the model's graph and opens a session on it. Variables hold no value until assigned
   * (see the init package).
   *
   * @param seed seeds the dropout masks of training passes
   * @param threads TensorFlow's intra-op threads; 0 lets TensorFlow choose (all cores)
   * @param compute the device and its settings
   */
  public static ModelSession open(ModelConfig config, long seed, int threads, Compute compute) {
    return open(AlexNet.of(config), seed, threads, compute);
  }

  /**
   * Builds {@code network}'s graph and opens a session on it. Variables hold no value until
   * assigned (see the init package).
   *
   * @param seed seeds the dropout masks of training passes
   * @param threads TensorFlow's intra-op threads; 0 lets TensorFlow choose (all cores)
   * @param compute the device and its settings
   */
  public static ModelSession open(Network network, long seed, int threads, Compute compute) {
    ConfigProto proto = compute.proto(threads);
    Graph graph = new Graph();
    Session session = null;
    try {
      Ops tf = Ops.create(graph);
      Variables variables = Variables.declare(tf, network);
      NetworkGraph model = NetworkGraph.declare(tf, network, variables, seed);
      session = new Session(graph, false, proto);
      return new ModelSession(graph, session, variables, model, threads, compute);
    } catch (RuntimeException e) {
      if (session != null) {
        session.close(); // a graph waits for its sessions to close
      }
      graph.close();
      throw e;
    }
  }

  public Graph graph() {
    return graph;
  }

  public Session session() {
    return session;
  }

  public NetworkGraph model() {
    return model;
  }

  public Network network() {
    return model.network();
  }

  /** The network's variables in this session's graph. */
  public Variables variables() {
    return variables;
  }

  public int threads() {
    return threads;
  }

  public Compute compute() {
    return compute;
  }

  /**
   * Where the model's convolutions run: one evaluation pass on a blank image, traced; measured
   * once per session.
   */
  public synchronized Placement placement() {
    if (placement == null) {
      RunOptions trace = RunOptions.newBuilder()
          .setTraceLevel(RunOptions.TraceLevel.SOFTWARE_TRACE).build();
      float[] blank = new float[Network.IMAGE_FLOATS];
      String device = null;
      boolean onednn = false;
      try (TFloat32 x = imagesTensor(blank, 1);
          Result r = session.runner().feed(model.images(), x).fetch(eval.logits())
              .setOptions(trace).runAndFetchMetadata()) {
        StepStats stats = r.getMetadata().orElseThrow().getStepStats();
        for (DeviceStepStats d : stats.getDevStatsList()) {
          for (NodeExecStats n : d.getNodeStatsList()) {
            String op = opType(n);
            onednn |= op.startsWith("_Mkl");
            if (device == null && op.contains("Conv2D")) {
              device = d.getDevice();
            }
          }
        }
      }
      placement = new Placement(device == null ? "unknown" : device, onednn);
    }
    return placement;
  }

  /**
   * The op a traced node ran, from its timeline label: {@code "eval/features.0/Conv2d =
   * _MklNativeConv2D(...)"} gives {@code _MklNativeConv2D}; empty when the label has no op.
   */
  public static String opType(NodeExecStats n) {
    String label = n.getTimelineLabel();
    int eq = label.indexOf(" = ");
    if (eq < 0) {
      return "";
    }
    int paren = label.indexOf('(', eq);
    return label.substring(eq + 3, paren < 0 ? label.length() : paren).strip();
  }

  /** The devices this session sees. */
  public List<Devices.Device> devices() {
    return Devices.list(session);
  }

  /**
   * The evaluation pass on {@link NetworkGraph#images()}: no dropout, running batch-norm
   * statistics.
   */
  public NetworkGraph.Pass eval() {
    return eval;
  }

  /**
   * Sets variables in one session call: each value is in TensorFlow's layout and has the
   * variable's size.
   */
  public void assign(Map<String, float[]> values) {
    List<TFloat32> tensors = new ArrayList<>();
    try {
      Session.Runner runner = session.runner();
      for (Map.Entry<String, float[]> e : values.entrySet()) {
        Variable<TFloat32> v = variables.all().get(e.getKey());
        if (v == null) {
          throw new IllegalStateException("no variable named " + e.getKey());
        }
        Shape shape = v.shape();
        if (shape.size() != e.getValue().length) {
          throw new IllegalStateException(e.getKey() + ": " + e.getValue().length
              + " values for shape " + shape);
        }
        TFloat32 t = TFloat32.tensorOf(shape, DataBuffers.of(e.getValue(), true, false));
        tensors.add(t);
        runner.feed(variables.assignValue(e.getKey()), t).addTarget(variables.assignOp(e.getKey()));
      }
      if (!runner.isEmpty()) {
        runner.run().close();
      }
    } finally {
      tensors.forEach(TFloat32::close);
    }
  }

  /** Values of the named variables, in TensorFlow's layout. */
  public Map<String, float[]> read(List<String> names) {
    Map<String, float[]> out = new LinkedHashMap<>();
    if (names.isEmpty()) {
      return out; // a session call must fetch something
    }
    Session.Runner runner = session.runner();
    for (String name : names) {
      Variable<TFloat32> v = variables.all().get(name);
      if (v == null) {
        throw new IllegalStateException("no variable named " + name);
      }
      runner.fetch(v);
    }
    try (Result r = runner.run()) {
      for (int i = 0; i < names.size(); i++) {
        out.put(names.get(i), toArray((TFloat32) r.get(i)));
      }
    }
    return out;
  }

  /** Every variable: parameters, then running statistics. */
  public Map<String, float[]> readAll() {
    return read(new ArrayList<>(variables.all().keySet()));
  }

  /**
   * Logits and flattened features of {@code n} images given NHWC in [0, 1], in evaluation mode.
   */
  public Prediction predict(float[] imagesNhwc, int n) {
    int pixels = Network.IMAGE_FLOATS;
    if (imagesNhwc.length != (long) n * pixels) {
      throw new IllegalArgumentException(
          "expected " + n + " x " + pixels + " image values, got " + imagesNhwc.length);
    }
    int classes = network().classes();
    int width = Math.toIntExact(network().dims(network().features()).size());
    float[] logits = new float[n * classes];
    float[] features = new float[n * width];
    for (int start = 0; start < n; start += PREDICT_CHUNK) {
      int m = Math.min(PREDICT_CHUNK, n - start);
      float[] chunk = java.util.Arrays.copyOfRange(imagesNhwc, start * pixels, (start + m) * pixels);
      // a network whose logits are its last flatten's output fetches them once
      boolean same = eval.features().equals(eval.logits());
      try (TFloat32 x = imagesTensor(chunk, m);
          Result r = fetchFeatures(session.runner().feed(model.images(), x)
              .fetch(eval.logits()), !same).run()) {
        ((TFloat32) r.get(0)).asRawTensor().data().asFloats()
            .read(logits, start * classes, m * classes);
        ((TFloat32) r.get(same ? 0 : 1)).asRawTensor().data().asFloats()
            .read(features, start * width, m * width);
      }
    }
    return new Prediction(n, classes, logits, features);
  }

  /**
   * The network's output for {@code n} samples of its input shape ({@link Network#input()}, NHWC
   * or vectors), in evaluation mode, as the graph computes it: NHWC where spatial.
   */
  public float[] evaluate(float[] input, int n) {
    Dims in = network().input();
    if (input.length != n * in.size()) {
      throw new IllegalArgumentException("expected " + n + " x " + in.size() + " values, got "
          + input.length);
    }
    if (eval.logits().equals(model.images())) {
      return input.clone(); // every layer the identity in evaluation (dropouts)
    }
    Shape shape = in.flat() ? Shape.of(n, in.channels())
        : Shape.of(n, in.height(), in.width(), in.channels());
    try (TFloat32 x = TFloat32.tensorOf(shape, DataBuffers.of(input, true, false));
        Result r = session.runner().feed(model.images(), x).fetch(eval.logits()).run()) {
      return toArray((TFloat32) r.get(0));
    }
  }

  private Session.Runner fetchFeatures(Session.Runner runner, boolean fetch) {
    return fetch ? runner.fetch(eval.features()) : runner;
  }

  /**
   * The first {@code n} images of {@code imagesNhwc} (NHWC in [0, 1], possibly longer) as a
   * [n, 32, 32, 3] tensor; the caller closes it.
   */
  public static TFloat32 imagesTensor(float[] imagesNhwc, int n) {
    int pixels = Network.IMAGE_FLOATS;
    return TFloat32.tensorOf(Shape.of(n, Network.IMAGE_SIZE, Network.IMAGE_SIZE,
        Network.IMAGE_CHANNELS), DataBuffers.of(imagesNhwc, true, false)
        .narrow((long) n * pixels));
  }

  /** Copies a float tensor out. */
  public static float[] toArray(TFloat32 t) {
    float[] out = new float[(int) t.shape().size()];
    t.asRawTensor().data().asFloats().read(out);
    return out;
  }

  @Override
  public void close() {
    session.close();
    graph.close();
  }
}
