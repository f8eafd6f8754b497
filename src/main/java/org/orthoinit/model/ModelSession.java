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
import org.tensorflow.op.core.Variable;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;

/**
 * Owns the Graph and Session of one model and its evaluation pass. Other packages add their ops
 * (training step, initializers) to {@link #graph()} and run them through {@link #session()}.
 */
public final class ModelSession implements AutoCloseable {

  /** Images per session call when predicting, to bound memory on large inputs. */
  public static final int PREDICT_CHUNK = 500;

  private final Graph graph;
  private final Session session;
  private final AlexNet model;
  private final AlexNet.Forward eval;
  private final int threads;

  private ModelSession(Graph graph, Session session, AlexNet model, int threads) {
    this.graph = graph;
    this.session = session;
    this.model = model;
    this.eval = model.forward(model.images(), AlexNet.Mode.EVAL);
    this.threads = threads;
  }

  /**
   * Builds the model's graph and opens a session on it. Variables hold no value until assigned
   * (see the init package).
   *
   * @param seed seeds the dropout masks of training passes
   * @param threads TensorFlow's intra-op threads; 0 lets TensorFlow choose (all cores)
   */
  public static ModelSession open(ModelConfig config, long seed, int threads) {
    if (threads < 0) {
      throw new IllegalArgumentException("threads must be >= 0, got " + threads);
    }
    Graph graph = new Graph();
    Session session = null;
    try {
      AlexNet model = AlexNet.declare(graph, config, seed);
      ConfigProto proto = ConfigProto.newBuilder()
          .setIntraOpParallelismThreads(threads)
          .setInterOpParallelismThreads(threads == 0 ? 0 : Math.min(threads, 2))
          .build();
      session = new Session(graph, false, proto);
      return new ModelSession(graph, session, model, threads);
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

  public AlexNet model() {
    return model;
  }

  public int threads() {
    return threads;
  }

  /** The evaluation pass on {@link AlexNet#images()}: no dropout, running batch-norm statistics. */
  public AlexNet.Forward eval() {
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
        Variable<TFloat32> v = model.variables().get(e.getKey());
        if (v == null) {
          throw new IllegalArgumentException("no variable named " + e.getKey());
        }
        Shape shape = v.shape();
        if (shape.size() != e.getValue().length) {
          throw new IllegalArgumentException(e.getKey() + ": " + e.getValue().length
              + " values for shape " + shape);
        }
        TFloat32 t = TFloat32.tensorOf(shape, DataBuffers.of(e.getValue(), true, false));
        tensors.add(t);
        runner.feed(model.assignValue(e.getKey()), t).addTarget(model.assignOp(e.getKey()));
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
      Variable<TFloat32> v = model.variables().get(name);
      if (v == null) {
        throw new IllegalArgumentException("no variable named " + name);
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
    return read(new ArrayList<>(model.variables().keySet()));
  }

  /**
   * Logits and flattened features of {@code n} images given NHWC in [0, 1], in evaluation mode.
   */
  public Prediction predict(float[] imagesNhwc, int n) {
    int pixels = Architecture.IMAGE_FLOATS;
    if (imagesNhwc.length != (long) n * pixels) {
      throw new IllegalArgumentException(
          "expected " + n + " x " + pixels + " image values, got " + imagesNhwc.length);
    }
    int classes = model.config().classes();
    float[] logits = new float[n * classes];
    float[] features = new float[n * Architecture.FEATURES];
    for (int start = 0; start < n; start += PREDICT_CHUNK) {
      int m = Math.min(PREDICT_CHUNK, n - start);
      float[] chunk = java.util.Arrays.copyOfRange(imagesNhwc, start * pixels, (start + m) * pixels);
      try (TFloat32 x = imagesTensor(chunk, m);
          Result r = session.runner().feed(model.images(), x)
              .fetch(eval.logits()).fetch(eval.features().features()).run()) {
        ((TFloat32) r.get(0)).asRawTensor().data().asFloats()
            .read(logits, start * classes, m * classes);
        ((TFloat32) r.get(1)).asRawTensor().data().asFloats()
            .read(features, start * Architecture.FEATURES, m * Architecture.FEATURES);
      }
    }
    return new Prediction(n, classes, logits, features);
  }

  /**
   * The first {@code n} images of {@code imagesNhwc} (NHWC in [0, 1], possibly longer) as a
   * [n, 32, 32, 3] tensor; the caller closes it.
   */
  public static TFloat32 imagesTensor(float[] imagesNhwc, int n) {
    int pixels = Architecture.IMAGE_FLOATS;
    return TFloat32.tensorOf(Shape.of(n, Architecture.IMAGE_SIZE, Architecture.IMAGE_SIZE,
        Architecture.IMAGE_CHANNELS), DataBuffers.of(imagesNhwc, true, false)
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
