package org.orthoinit.experiment;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import org.orthoinit.data.Cifar10Data;
import org.orthoinit.init.InitException;
import org.orthoinit.init.Initializer;
import org.orthoinit.init.Probe;
import org.orthoinit.interop.InteropException;
import org.orthoinit.interop.SavedModels;
import org.orthoinit.model.Compute;
import org.orthoinit.model.ConvRoutes;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.ModelSource;
import org.orthoinit.model.Network;
import org.orthoinit.train.EpochResult;
import org.orthoinit.train.TrainListener;
import org.orthoinit.train.Trainer;
import org.orthoinit.util.Digests;
import org.orthoinit.util.Seeds;

/** One run: build the model, initialize it, train it, test it. */
public final class TrainingRun {

  /** Images in the fixed batch on which every run's orthogonality is measured. */
  public static final int PROBE_BATCH = 256;
  /**
   * The start of a run from its init's own weights (every figure7 run), as its checkpoint says;
   * "xavier" from when that was the only init, kept so that the name stays one value.
   */
  public static final String XAVIER_START = "xavier";

  /** What a run reports while it works, besides training progress. */
  public interface Listener extends TrainListener {
    Listener NONE = new Listener() {};

    /** A stage begins ("initializing", "testing", "writing SavedModel DIR"). */
    default void stage(String what) {}
  }

  /**
   * What a run keeps when it ends, besides the result it returns.
   *
   * @param runFile the run JSON, written as soon as the run is over, before anything else (then
   *     the checkpoint is deleted); null: not written here
   * @param savedModel the trained model as a SavedModel folder (not for a diverged run); null:
   *     none
   * @param source what the run started from, for the SavedModel's metadata
   */
  public record Saving(Path runFile, Path savedModel, String source) {
    /** Nothing: the caller keeps the result. */
    public static final Saving NONE = new Saving(null, null, null);
  }

  private TrainingRun() {}

  /**
   * Where a run keeps its checkpoint and how often it writes it.
   *
   * @param file the checkpoint file; an existing one is continued
   * @param every write after every this many epochs (and after the init); 0 = never
   */
  public record Checkpoints(Path file, int every) {
    /** No checkpoints. */
    public static final Checkpoints NONE = new Checkpoints(null, 0);
    /** The default: after every epoch. */
    public static final int EVERY_DEFAULT = 1;

    public Checkpoints {
      if (every < 0) {
        throw new IllegalArgumentException("checkpoint interval must be >= 0, got " + every);
      }
    }

    boolean on() {
      return file != null && every > 0;
    }
  }

  /** A checkpoint that belongs to another run, settings or images: it is not continued. */
  public static final class ForeignCheckpoint extends ExperimentException {
    private static final long serialVersionUID = 1L;

    ForeignCheckpoint(String message) {
      super(message);
    }
  }

  /**
   * Runs {@code spec} on {@code train} (already limited) and evaluates on {@code test} (null to
   * skip). With a checkpoint file that exists, the run continues after its last epoch; with
   * checkpoints on, it writes one after the init and after every {@code every} epochs. With a
   * run file to save, the run writes it and then deletes the checkpoint; otherwise the caller
   * deletes the checkpoint once it has kept the result.
   *
   * @param weights initial weights in TensorFlow's layout (e.g. imported from ONNX); null = the
   *     init's own start
   * @param compute the device, resolved
   * @param saving the files the run writes when it is over
   * @throws ForeignCheckpoint if the checkpoint is of another run, settings or images
   * @throws ExperimentException if the checkpoint is unreadable or corrupt
   */
  public static RunResult execute(String name, RunSpec spec, Compute compute, String dataLabel,
      Cifar10Data train, Cifar10Data test, Map<String, float[]> weights, Checkpoints checkpoints,
      Saving saving, Listener listener) throws InitException, ExperimentException, IOException {
    if (!(spec.source() instanceof ModelSource.Seed seed)) {
      throw new IllegalArgumentException("a run of " + ((ModelSource.File) spec.source()).file()
          .name() + " needs its network: use the overload that takes it");
    }
    return execute(name, spec, seed.network(), compute, dataLabel, train, test, weights,
        checkpoints, saving, listener);
  }

  /**
   * {@link #execute(String, RunSpec, Compute, String, Cifar10Data, Cifar10Data, Map,
   * Checkpoints, Saving, Listener)} of {@code network}: the seed's AlexNet of the spec's source,
   * or the graph read from its file (then {@code weights} are the file's, or null for the init's
   * own start).
   */
  public static RunResult execute(String name, RunSpec spec, Network network, Compute compute,
      String dataLabel, Cifar10Data train, Cifar10Data test, Map<String, float[]> weights,
      Checkpoints checkpoints, Saving saving, Listener listener)
      throws InitException, ExperimentException, IOException {
    Figure7.DataPrint data = Figure7.DataPrint.of(train, test);
    String start = startOf(weights);
    RunCheckpoint.State resumed = null;
    if (checkpoints.file() != null && Files.exists(checkpoints.file())) {
      resumed = RunCheckpoint.read(checkpoints.file());
      String why = resumed.header().mismatch(name, spec, data, start);
      if (why != null) {
        throw new ForeignCheckpoint(checkpoints.file() + ": a checkpoint of " + why);
      }
    }
    // the layer shapes' gradients are checked before the init's minutes, not after
    ConvRoutes.forNetwork(network, compute);
    try (ModelSession session = ModelSession.open(network, spec.train().seed(),
        spec.threads(), compute)) {
      String started;
      Initializer.Report report;
      double initSeconds;
      List<RunResult.Epoch> epochs = new ArrayList<>();
      List<RunResult.Orthogonality> orthogonality = new ArrayList<>();
      // the paper's claim under test: from aligned representations, SGD first disentangles them
      int probeSize = Math.min(PROBE_BATCH, train.size());
      float[] probeImages = batch(train, probeSize, new Seeds(spec.train().seed()).probe());
      Probe probe = new Probe(session, "probe");
      if (resumed != null) {
        RunCheckpoint.Header h = resumed.header();
        listener.stage("resuming after epoch " + h.epoch() + " (" + checkpoints.file() + ")");
        try {
          if (!resumed.variables().keySet().equals(session.variables().all().keySet())) {
            throw new IllegalStateException(resumed.variables().size() + " variables, the "
                + "model has " + session.variables().all().size());
          }
          session.assign(resumed.variables());
        } catch (IllegalStateException e) {
          throw new ExperimentException(checkpoints.file() + ": its variables do not fit the "
              + "model (" + e.getMessage() + "); the file is corrupt");
        }
        started = h.started();
        report = h.report();
        initSeconds = h.initSeconds();
        epochs.addAll(h.epochs());
        orthogonality.addAll(h.orthogonality());
      } else {
        started = Instant.now().toString();
        long t0 = System.nanoTime();
        listener.stage("initializing (" + spec.init().id() + ")");
        if (weights != null) {
          session.assign(weights);
        }
        report = spec.init().initialize(session, context(spec, train, weights != null));
        initSeconds = (System.nanoTime() - t0) / 1e9;
        orthogonality.add(measure(probe, probeImages, probeSize, 0));
        if (checkpoints.on()) {
          save(checkpoints.file(), name, spec, data, start, epochs, orthogonality, report,
              initSeconds, started, session);
        }
      }
      // epoch -> the epoch's loss -> probe -> checkpoint; a non-finite epoch ends the run
      Trainer trainer = new Trainer(session, spec.train());
      boolean diverged = false;
      for (int e = epochs.size() + 1; e <= spec.train().epochs() && !diverged; e++) {
        EpochResult r = trainer.epoch(train, e, listener);
        listener.epochDone(r);
        diverged = !Double.isFinite(r.loss());
        epochs.add(new RunResult.Epoch(e, diverged ? null : r.loss(), r.seconds()));
        if (!diverged) {
          orthogonality.add(measure(probe, probeImages, probeSize, e));
          if (checkpoints.on() && e % checkpoints.every() == 0 && e < spec.train().epochs()) {
            save(checkpoints.file(), name, spec, data, start, epochs, orthogonality, report,
                initSeconds, started, session);
          }
        }
      }
      Double accuracy = null;
      if (test != null && !diverged) {
        listener.stage("testing on " + test.size() + " images");
        accuracy = trainer.accuracy(test);
      }
      RunResult result = new RunResult(name, spec, dataLabel, train.size(),
          diverged ? RunResult.DIVERGED : RunResult.OK, epochs, accuracy, initSeconds,
          report, orthogonality, Environment.of(session), started,
          Instant.now().toString());
      save(session, result, saving, checkpoints, listener);
      return result;
    }
  }

  /** The run file first: a SavedModel that cannot be written must not cost the run. */
  private static void save(ModelSession session, RunResult result, Saving saving,
      Checkpoints checkpoints, Listener listener) throws IOException {
    if (saving.runFile() != null) {
      ResultStore.write(saving.runFile(), result);
      if (checkpoints.file() != null) {
        Files.deleteIfExists(checkpoints.file()); // the run is complete
      }
    }
    if (saving.savedModel() != null && !result.diverged()) {
      listener.stage("writing SavedModel " + saving.savedModel());
      try {
        String file = result.spec().source() instanceof ModelSource.File f ? f.file().name()
            : null;
        SavedModels.export(session.network(), session.readAll(), SavedModels.Metadata.of(
            session.network(), file, result.spec().init().id(), "run " + result.name()
            + " from " + saving.source()), saving.savedModel());
      } catch (InteropException e) {
        throw new IOException(e.getMessage(), e); // one line already
      }
    }
  }

  private static void save(Path file, String name, RunSpec spec, Figure7.DataPrint data,
      String start, List<RunResult.Epoch> epochs, List<RunResult.Orthogonality> orthogonality,
      Initializer.Report report, double initSeconds, String started, ModelSession session)
      throws IOException {
    RunCheckpoint.write(file, new RunCheckpoint.Header(RunCheckpoint.FORMAT, name, spec, data,
        start, List.copyOf(epochs), List.copyOf(orthogonality), report, initSeconds, started,
        null, 0, null, null, null), session.readAll());
  }

  /**
   * What a run starts from, as its checkpoint records it: {@code xavier}, or the SHA-256 of the
   * weights given (names and values, in name order).
   */
  static String startOf(Map<String, float[]> weights) {
    if (weights == null) {
      return XAVIER_START;
    }
    MessageDigest sha = Digests.sha256();
    for (String key : new TreeSet<>(weights.keySet())) {
      sha.update(key.getBytes(StandardCharsets.UTF_8));
      ByteBuffer b = ByteBuffer.allocate(weights.get(key).length * Float.BYTES);
      b.asFloatBuffer().put(weights.get(key));
      sha.update(b.array());
    }
    return "weights sha256:" + HexFormat.of().formatHex(sha.digest());
  }

  private static RunResult.Orthogonality measure(Probe probe, float[] images, int n, int epoch) {
    Probe.Measurement m = probe.measure(images, n);
    return new RunResult.Orthogonality(epoch, m.gramRatio(), m.gap());
  }

  /**
   * What the run's init gets: the seeded batch of training images the seed's loader would give
   * the SVD initializer (LSUV gets the same one), drawn from the run's own images or, with
   * {@link InitPool#ALL}, from every training image {@code train} was taken from; the weight
   * seed, the settings.
   */
  static Initializer.Context context(RunSpec spec, Cifar10Data train, boolean given) {
    long seed = spec.train().seed();
    if (!spec.init().usesData()) {
      return new Initializer.Context(seed, new float[0], 0, given);
    }
    Cifar10Data pool = spec.initPool() == InitPool.ALL ? train.pool() : train;
    int n = Math.min(spec.initBatch(), pool.size());
    return new Initializer.Context(seed, initBatch(pool, n, seed), n, given);
  }

  /** The init batch of a run of {@code seed}: {@code n} distinct training images, NHWC. */
  public static float[] initBatch(Cifar10Data data, int n, long seed) {
    return batch(data, n, new Seeds(seed).initBatch());
  }

  /** {@code n} distinct images drawn with a shuffle seeded by {@code stream}, NHWC. */
  private static float[] batch(Cifar10Data data, int n, long stream) {
    int[] order = new int[data.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Random random = new Random(stream);
    float[] out = new float[n * Network.IMAGE_FLOATS];
    for (int i = 0; i < n; i++) {
      int j = i + random.nextInt(order.length - i); // partial Fisher-Yates
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
      data.copyImageNhwc(order[i], out, i * Network.IMAGE_FLOATS);
    }
    return out;
  }
}
