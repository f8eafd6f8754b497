package org.orthoinit.experiment;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.orthoinit.data.Cifar10Data;
import org.orthoinit.init.InitException;
import org.orthoinit.init.Initializer;
import org.orthoinit.interop.InteropException;
import org.orthoinit.interop.ModelFiles;
import org.orthoinit.model.Compute;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.ModelSource;
import org.orthoinit.model.Network;
import org.orthoinit.train.TrainConfig;

/**
 * One training run as asked for, resolved before any image is read: what it trains (the seed's
 * AlexNet of a configuration, or the network and weights of a file), its spec, its name and the
 * files it writes.
 *
 * @param name the run's name, {@link RunNames#train}
 * @param spec everything that decides the run
 * @param network what it trains
 * @param start the weights it starts from (a file's); null: the init's own start
 * @param runFile its run JSON
 * @param checkpoint its checkpoint, beside the run file; continued when it exists
 * @param checkpointEvery write the checkpoint after the init and every this many epochs; 0 =
 *     never
 * @param savedModel the SavedModel folder to write when it is over; null: none
 * @param startLabel what it started from, for the SavedModel's metadata
 */
public record TrainPlan(String name, RunSpec spec, Network network, Map<String, float[]> start,
    Path runFile, Path checkpoint, int checkpointEvery, Path savedModel, String startLabel) {

  /**
   * A run as the train command asks for it.
   *
   * @param model the seed's AlexNet to train when no {@code weights} are given (its dropout is
   *     kept when they hold the seed's AlexNet too)
   * @param weights an ONNX file or a SavedModel folder to start from; null: none
   * @param out the run JSON; null: {@code results/train/NAME.json}
   * @param saveModel whether to write a SavedModel
   * @param savedModel its folder; null: {@code models/NAME}
   */
  public record Request(ModelConfig model, Path weights, TrainConfig train, Initializer init,
      int trainLimit, int initBatch, int threads, InitPool initPool, Path out,
      int checkpointEvery, boolean saveModel, Path savedModel) {}

  /**
   * Resolves {@code request}: reads the file of its weights (if any), names the run, places its
   * files.
   *
   * @throws InteropException naming the weights' file and what is wrong with it
   */
  public static TrainPlan of(Request request) throws InteropException {
    Network network;
    ModelSource source;
    Map<String, float[]> start = null;
    if (request.weights() == null) {
      ModelSource.Seed seed = new ModelSource.Seed(request.model());
      source = seed;
      network = seed.network();
    } else {
      ModelFiles.Opened opened = ModelFiles.open(request.weights())
          .withDropout(request.model().dropout());
      source = opened.source();
      network = opened.network();
      start = opened.weights();
    }
    RunSpec spec = new RunSpec(source, request.train(), request.init(), request.trainLimit(),
        request.initBatch(), request.threads(), request.initPool());
    String name = RunNames.train(source, request.init(), request.train().seed());
    Path file = request.out() != null ? request.out() : Path.of("results", "train",
        name + ".json");
    Path saved = !request.saveModel() ? null
        : request.savedModel() != null ? request.savedModel() : Path.of("models", name);
    return new TrainPlan(name, spec, network, start, file, RunCheckpoint.beside(file),
        request.checkpointEvery(), saved, request.weights() != null
        ? request.weights().toString() : TrainingRun.XAVIER_START);
  }

  /** Room the checkpoints need beside the run file: one and its temporary copy; 0 without. */
  public long checkpointBytes() {
    return checkpointEvery > 0 ? 2 * RunCheckpoint.bytes(network) : 0;
  }

  /**
   * Runs the plan on {@code train} (already limited), tested on {@code test} (null: not tested);
   * writes the run file, then the SavedModel.
   */
  public RunResult execute(Compute compute, String dataLabel, Cifar10Data train,
      Cifar10Data test, TrainingRun.Listener listener)
      throws InitException, ExperimentException, IOException {
    RunCheckpoint.removeTemporaries(checkpoint);
    return TrainingRun.execute(name, spec, network, compute, dataLabel, train, test, start,
        new TrainingRun.Checkpoints(checkpoint, checkpointEvery),
        new TrainingRun.Saving(runFile, savedModel, startLabel), listener);
  }
}
