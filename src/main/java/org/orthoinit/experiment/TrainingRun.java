package org.orthoinit.experiment;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.orthoinit.data.Cifar10Data;
import org.orthoinit.init.InitException;
import org.orthoinit.init.Lsuv;
import org.orthoinit.init.Probe;
import org.orthoinit.init.SvdInitializer;
import org.orthoinit.init.Xavier;
import org.orthoinit.model.Architecture;
import org.orthoinit.model.Compute;
import org.orthoinit.model.ModelSession;
import org.orthoinit.train.EpochResult;
import org.orthoinit.train.TrainListener;
import org.orthoinit.train.Trainer;

/** One run: build the model, initialize it, train it, test it. */
public final class TrainingRun {

  /** Images in the fixed batch on which every run's orthogonality is measured. */
  public static final int PROBE_BATCH = 256;
  /** Makes the probe batch differ from the initializer's batch of the same seed. */
  private static final long PROBE_SALT = 0x9E37_79B9L;

  /** What a run reports while it works, besides training progress. */
  public interface Listener extends TrainListener {
    Listener NONE = new Listener() {};

    /** A stage begins ("initializing", "testing"). */
    default void stage(String what) {}

    /** Training is over; the model is still open (to export it, for example). */
    default void trained(ModelSession session, RunResult result) throws java.io.IOException {}
  }

  private TrainingRun() {}

  /**
   * Runs {@code spec} on {@code train} (already limited) and evaluates on {@code test} (null to
   * skip).
   *
   * @param weights initial weights in TensorFlow's layout (e.g. imported from ONNX); null = Xavier
   * @param compute the device, resolved
   */
  public static RunResult execute(String name, RunSpec spec, Compute compute, String dataLabel,
      Cifar10Data train, Cifar10Data test, Map<String, float[]> weights, Listener listener)
      throws InitException, java.io.IOException {
    String started = Instant.now().toString();
    try (ModelSession session = ModelSession.open(spec.model(), spec.train().seed(),
        spec.threads(), compute)) {
      long t0 = System.nanoTime();
      listener.stage("initializing (" + spec.init().id() + ")");
      if (weights != null) {
        session.assign(weights);
      } else {
        Xavier.initialize(session, spec.train().seed());
      }
      SvdInitializer.Report report = null;
      Lsuv.Report lsuv = null;
      if (spec.init() == InitMethod.SVD) {
        report = svd(session, spec, train);
      } else if (spec.init() == InitMethod.LSUV) {
        lsuv = lsuv(session, spec, train);
      }
      double initSeconds = (System.nanoTime() - t0) / 1e9;

      // the paper's claim under test: from aligned representations, SGD first disentangles them
      int probeSize = Math.min(PROBE_BATCH, train.size());
      float[] probeImages = initBatch(train, probeSize, spec.train().seed() ^ PROBE_SALT);
      Probe probe = new Probe(session, "probe");
      List<RunResult.Orthogonality> orthogonality = new ArrayList<>();
      orthogonality.add(measure(probe, probeImages, probeSize, 0));
      Trainer trainer = new Trainer(session, spec.train());
      Trainer.Outcome outcome = trainer.train(train, new TrainListener() {
        @Override
        public void epochStarted(int epoch, int batches) {
          listener.epochStarted(epoch, batches);
        }

        @Override
        public void stepDone(int epoch, int step, double loss) {
          listener.stepDone(epoch, step, loss);
        }

        @Override
        public void epochDone(EpochResult result) {
          if (Double.isFinite(result.loss())) {
            orthogonality.add(measure(probe, probeImages, probeSize, result.epoch()));
          }
          listener.epochDone(result);
        }
      });
      List<RunResult.Epoch> epochs = new ArrayList<>();
      for (EpochResult e : outcome.epochs()) {
        epochs.add(new RunResult.Epoch(e.epoch(), Double.isFinite(e.loss()) ? e.loss() : null,
            e.seconds()));
      }
      Double accuracy = null;
      if (test != null && !outcome.diverged()) {
        listener.stage("testing on " + test.size() + " images");
        accuracy = trainer.accuracy(test);
      }
      RunResult result = new RunResult(name, spec, dataLabel, train.size(),
          outcome.diverged() ? RunResult.DIVERGED : RunResult.OK, epochs, accuracy, initSeconds,
          report, lsuv, orthogonality, Environment.of(session), started,
          Instant.now().toString());
      listener.trained(session, result);
      return result;
    }
  }

  private static RunResult.Orthogonality measure(Probe probe, float[] images, int n, int epoch) {
    Probe.Measurement m = probe.measure(images, n);
    return new RunResult.Orthogonality(epoch, m.gramRatio(), m.gap());
  }

  /** The SVD initializer on a seeded random batch of training images, as the seed's loader. */
  static SvdInitializer.Report svd(ModelSession session, RunSpec spec, Cifar10Data train)
      throws InitException {
    int n = Math.min(spec.initBatch(), train.size());
    float[] batch = initBatch(train, n, spec.train().seed());
    return new SvdInitializer(session, spec.decomposition()).initialize(batch, n);
  }

  /** LSUV on the same seeded batch the SVD initializer would get. */
  static Lsuv.Report lsuv(ModelSession session, RunSpec spec, Cifar10Data train)
      throws InitException {
    int n = Math.min(spec.initBatch(), train.size());
    float[] batch = initBatch(train, n, spec.train().seed());
    return new Lsuv(session, spec.lsuv()).initialize(batch, n, spec.train().seed());
  }

  /** {@code n} distinct training images drawn with a seeded shuffle, NHWC. */
  public static float[] initBatch(Cifar10Data data, int n, long seed) {
    int[] order = new int[data.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Random random = new Random(seed ^ 0x5EED_1A17L);
    float[] out = new float[n * Architecture.IMAGE_FLOATS];
    for (int i = 0; i < n; i++) {
      int j = i + random.nextInt(order.length - i); // partial Fisher-Yates
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
      data.copyImageNhwc(order[i], out, i * Architecture.IMAGE_FLOATS);
    }
    return out;
  }
}
