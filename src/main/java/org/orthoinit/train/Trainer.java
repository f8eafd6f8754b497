package org.orthoinit.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.orthoinit.data.Cifar10Data;
import org.orthoinit.model.ConvRoutes;
import org.orthoinit.model.GradientCheckException;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.Network;
import org.orthoinit.model.NetworkGraph;
import org.orthoinit.model.Parameter;
import org.orthoinit.model.Prediction;
import org.orthoinit.util.Seeds;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.framework.optimizers.GradientDescent;
import org.tensorflow.framework.optimizers.Optimizer;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Gradients;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;

/**
 * Plain SGD on the model's training pass (dropout, batch statistics) with mean softmax
 * cross-entropy. Labels are fed as class indices and one-hot encoded in the graph, since
 * SparseSoftmaxCrossEntropyWithLogits has no gradient from Java.
 */
public final class Trainer {

  /** What {@link #train} produced. */
  public record Outcome(List<EpochResult> epochs, boolean diverged) {}

  /**
   * One step as {@link #step} takes it, with what it applied.
   *
   * @param loss the batch's mean loss before the step
   * @param gradients per trainable parameter (PyTorch name), the gradient the step applied, in
   *     TensorFlow's layout
   * @param decisionInputs per ReLU and max-pool layer (PyTorch name), the values it took, NHWC or
   *     [N, units]
   * @param logits the batch's logits before the step, [N, classes] row-major
   */
  public record StepTrace(double loss, Map<String, float[]> gradients,
      Map<String, float[]> decisionInputs, float[] logits) {}

  private final ModelSession session;
  private final TrainConfig config;
  private final ConvRoutes routes;
  private final Placeholder<TInt32> labels;
  private final Operand<TFloat32> loss;
  private final Operand<TFloat32> logits;
  private final Operand<TBool> weightsFinite;
  private final List<Output<TFloat32>> gradients = new ArrayList<>();
  private final Map<String, Operand<TFloat32>> decisionInputs;
  private final Op step;
  /** The dropout step of the next {@link #step} that names none. */
  private long position;

  /**
   * Adds the loss and the SGD step to the session's graph, once the gradients of the network's
   * layer shapes have passed this process's check ({@link ConvRoutes#forNetwork}); convolutions
   * whose input gradient needs the route take it.
   *
   * @throws GradientCheckException when a layer's gradient is wrong here with no route around it
   */
  public Trainer(ModelSession session, TrainConfig config) {
    this.session = session;
    this.config = config;
    NetworkGraph model = session.model();
    routes = ConvRoutes.forNetwork(model.network(), session.compute());
    Ops tf = model.tf().withSubScope("train");
    labels = tf.withName("labels").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));
    NetworkGraph.Pass forward = model.forward(model.images(), NetworkGraph.Mode.TRAIN, routes);
    decisionInputs = forward.decisionInputs();
    logits = forward.logits();
    Ops t = tf.withSubScope("loss");
    Operand<TFloat32> onehot = t.oneHot(labels, t.constant(model.network().classes()),
        t.constant(1f), t.constant(0f));
    loss = t.math.mean(t.nn.softmaxCrossEntropyWithLogits(forward.logits(), onehot).loss(),
        t.constant(0));
    // gradients of the trainable parameters only: running statistics do not reach the loss
    List<Variable<TFloat32>> params = session.variables().trainable();
    Gradients grads = tf.withSubScope("gradients").gradients(loss, params);
    List<Optimizer.GradAndVar<?>> pairs = new ArrayList<>();
    for (int i = 0; i < params.size(); i++) {
      Output<TFloat32> g = grads.<TFloat32>dy(i);
      gradients.add(g);
      pairs.add(new Optimizer.GradAndVar<>(g, params.get(i).asOutput()));
    }
    Op apply = new GradientDescent(session.graph(), config.learningRate())
        .applyGradients(pairs, "sgd");
    List<Op> targets = new ArrayList<>(forward.updates());
    targets.add(apply);
    step = tf.withControlDependencies(targets).noOp();
    // TensorFlow's ReLU and max pool turn NaN into 0 where PyTorch's pass it on, so weights that
    // went non-finite would train on at a finite loss: every epoch ends by checking them
    Ops f = tf.withSubScope("finite");
    List<Operand<TBool>> flags = params.stream().map(v -> (Operand<TBool>) f.reduceAll(
        f.math.isFinite(f.reshape(v, f.constant(new int[] {-1}))), f.constant(0))).toList();
    weightsFinite = f.reduceAll(f.stack(flags), f.constant(0));
  }

  public TrainConfig config() {
    return config;
  }

  /** The convolutions this trainer computes at padded input-channel counts, and the check. */
  public ConvRoutes routes() {
    return routes;
  }

  /**
   * One SGD step on {@code n} images (NHWC in [0, 1]) and their labels.
   *
   * @return the batch's mean loss before the step
   */
  public double step(float[] imagesNhwc, int[] batchLabels, int n) {
    return step(imagesNhwc, batchLabels, n, position++);
  }

  /**
   * One SGD step whose dropout masks are those of step {@code dropoutStep} (see {@link
   * NetworkGraph#dropoutStep}).
   *
   * @return the batch's mean loss before the step
   */
  public double step(float[] imagesNhwc, int[] batchLabels, int n, long dropoutStep) {
    return run(imagesNhwc, batchLabels, n, true, dropoutStep);
  }

  /** The dropout step of batch {@code batch} (from 0) of {@code epoch} (from 1). */
  static long dropoutStep(int epoch, int batch) {
    return ((long) epoch << 32) | batch;
  }

  /**
   * One SGD step as {@link #step}, also fetching the gradients it applies and the input of every
   * ReLU and max pool: the training graph itself, for checking it against another
   * implementation.
   *
   * @param pinned inputs to feed to ReLU or max-pool layers instead of computing them (by layer
   *     name, the layout of {@link StepTrace#decisionInputs}): their gradients follow the sign of
   *     each input or the argmax of each window, so this fixes those decisions; empty for the
   *     plain step
   */
  public StepTrace traceStep(float[] imagesNhwc, int[] batchLabels, int n,
      Map<String, float[]> pinned) {
    List<Parameter> params = session.network().parameters();
    List<TFloat32> fed = new ArrayList<>();
    try (TFloat32 x = ModelSession.imagesTensor(imagesNhwc, n);
        TInt32 y = TInt32.tensorOf(Shape.of(n), DataBuffers.of(batchLabels, true, false)
            .narrow(n));
        TInt64 k = TInt64.scalarOf(position++)) {
      Session.Runner runner = session.session().runner()
          .feed(session.model().images(), x).feed(labels, y).feed(session.model().dropoutStep(), k)
          .fetch(loss).fetch(logits).addTarget(step);
      for (Map.Entry<String, float[]> p : pinned.entrySet()) {
        Operand<TFloat32> at = decisionInputs.get(p.getKey());
        if (at == null) {
          throw new IllegalStateException("no ReLU or max pool named " + p.getKey());
        }
        TFloat32 t = TFloat32.tensorOf(Shape.of(n).append(at.shape().tail()),
            DataBuffers.of(p.getValue(), true, false));
        fed.add(t);
        runner.feed(at, t);
      }
      gradients.forEach(runner::fetch);
      List<String> fetched = decisionInputs.keySet().stream()
          .filter(name -> !pinned.containsKey(name)).toList(); // a fed tensor is not fetched
      fetched.forEach(name -> runner.fetch(decisionInputs.get(name)));
      try (Result r = runner.run()) {
        Map<String, float[]> grads = new LinkedHashMap<>();
        int at = 2;
        for (Parameter p : params) {
          grads.put(p.name(), ModelSession.toArray((TFloat32) r.get(at++)));
        }
        Map<String, float[]> decisions = new LinkedHashMap<>();
        for (String name : decisionInputs.keySet()) {
          decisions.put(name, fetched.contains(name) ? ModelSession.toArray((TFloat32) r.get(at++))
              : pinned.get(name));
        }
        return new StepTrace(((TFloat32) r.get(0)).getFloat(), grads, decisions,
            ModelSession.toArray((TFloat32) r.get(1)));
      }
    } finally {
      fed.forEach(TFloat32::close);
    }
  }

  /**
   * {@code count} SGD steps on one batch whose tensors are built once: what the session costs
   * with no data pipeline at all (a benchmark's floor).
   *
   * @return the last step's loss
   */
  public double repeatStep(float[] imagesNhwc, int[] batchLabels, int n, int count) {
    double last = Double.NaN;
    try (TFloat32 x = ModelSession.imagesTensor(imagesNhwc, n);
        TInt32 y = TInt32.tensorOf(Shape.of(n), DataBuffers.of(batchLabels, true, false)
            .narrow(n))) {
      for (int i = 0; i < count; i++) {
        try (TInt64 k = TInt64.scalarOf(position++);
            Result r = session.session().runner().feed(session.model().images(), x)
            .feed(labels, y).feed(session.model().dropoutStep(), k).fetch(loss).addTarget(step)
            .run()) {
          last = ((TFloat32) r.get(0)).getFloat();
        }
      }
    }
    return last;
  }

  /** Whether every trainable parameter holds finite values. */
  public boolean weightsFinite() {
    try (Result r = session.session().runner().fetch(weightsFinite).run()) {
      return ((TBool) r.get(0)).getBoolean();
    }
  }

  /** The training pass's mean loss on a batch, without a step (dropout as configured). */
  public double loss(float[] imagesNhwc, int[] batchLabels, int n) {
    return run(imagesNhwc, batchLabels, n, false, position);
  }

  private double run(float[] imagesNhwc, int[] batchLabels, int n, boolean train,
      long dropoutStep) {
    try (TFloat32 x = ModelSession.imagesTensor(imagesNhwc, n);
        TInt32 y = TInt32.tensorOf(Shape.of(n), DataBuffers.of(batchLabels, true, false)
            .narrow(n));
        TInt64 k = TInt64.scalarOf(dropoutStep)) {
      Session.Runner runner = session.session().runner()
          .feed(session.model().images(), x).feed(labels, y)
          .feed(session.model().dropoutStep(), k).fetch(loss);
      if (train) {
        runner.addTarget(step);
      }
      try (Result r = runner.run()) {
        return ((TFloat32) r.get(0)).getFloat();
      }
    }
  }

  /**
   * Trains for the configured epochs on {@code data}. Stops at the first non-finite batch loss, or
   * at the end of an epoch that left a weight non-finite, and reports the run as diverged; that
   * epoch's loss is NaN.
   */
  public Outcome train(Cifar10Data data, TrainListener listener) {
    List<EpochResult> epochs = new ArrayList<>();
    for (int epoch = 1; epoch <= config.epochs(); epoch++) {
      EpochResult r = epoch(data, epoch, listener);
      epochs.add(r);
      listener.epochDone(r);
      if (!Double.isFinite(r.loss())) {
        return new Outcome(epochs, true);
      }
    }
    return new Outcome(epochs, false);
  }

  /** One epoch: a seeded shuffle, then every batch, the last one partial. */
  public EpochResult epoch(Cifar10Data data, int epoch, TrainListener listener) {
    long start = System.nanoTime();
    int[] order = shuffle(data.size(), config.seed(), epoch);
    int b = config.batchSize();
    int batches = (data.size() + b - 1) / b;
    float[] images = new float[b * Network.IMAGE_FLOATS];
    int[] batchLabels = new int[b];
    double sum = 0;
    listener.epochStarted(epoch, batches);
    for (int i = 0; i < batches; i++) {
      // batch -> step -> accumulate the loss weighted by the batch's size -> report -> NaN check
      int n = Math.min(b, data.size() - i * b);
      for (int j = 0; j < n; j++) {
        int index = order[i * b + j];
        data.copyImageNhwc(index, images, j * Network.IMAGE_FLOATS);
        batchLabels[j] = data.label(index);
      }
      double batchLoss = step(images, batchLabels, n, dropoutStep(epoch, i));
      sum += batchLoss * n;
      listener.stepDone(epoch, i + 1, batchLoss);
      if (!Double.isFinite(batchLoss)) {
        return new EpochResult(epoch, Double.NaN, (System.nanoTime() - start) / 1e9);
      }
    }
    // PyTorch's loss would have been NaN from the step that made a weight non-finite
    double loss = weightsFinite() ? sum / data.size() : Double.NaN;
    return new EpochResult(epoch, loss, (System.nanoTime() - start) / 1e9);
  }

  /** The epoch's order of the samples: a Fisher-Yates shuffle seeded by (seed, epoch). */
  static int[] shuffle(int size, long seed, int epoch) {
    int[] order = new int[size];
    for (int i = 0; i < size; i++) {
      order[i] = i;
    }
    Random random = new Random(new Seeds(seed).shuffle(epoch));
    for (int i = size - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  /** Top-1 accuracy of the evaluation pass on {@code data}. */
  public double accuracy(Cifar10Data data) {
    int correct = 0;
    int chunk = ModelSession.PREDICT_CHUNK;
    float[] images = new float[chunk * Network.IMAGE_FLOATS];
    for (int start = 0; start < data.size(); start += chunk) {
      int n = Math.min(chunk, data.size() - start);
      float[] batch = n == chunk ? images : new float[n * Network.IMAGE_FLOATS];
      for (int j = 0; j < n; j++) {
        data.copyImageNhwc(start + j, batch, j * Network.IMAGE_FLOATS);
      }
      Prediction p = session.predict(batch, n);
      int[] predicted = p.argmax();
      for (int j = 0; j < n; j++) {
        if (predicted[j] == data.label(start + j)) {
          correct++;
        }
      }
    }
    return data.size() == 0 ? Double.NaN : (double) correct / data.size();
  }
}
