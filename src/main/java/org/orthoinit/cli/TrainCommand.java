package org.orthoinit.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.orthoinit.data.Cifar10;
import org.orthoinit.data.Cifar10Data;
import org.orthoinit.experiment.InitPool;
import org.orthoinit.experiment.RunResult;
import org.orthoinit.experiment.TrainPlan;
import org.orthoinit.experiment.TrainingRun;
import org.orthoinit.init.Initializer;
import org.orthoinit.init.Initializers;
import org.orthoinit.model.Compute;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.train.TrainConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** One training run, written as one JSON file. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Train one model on CIFAR-10 as the seed does (SGD, batch 30, lr 0.001) and "
        + "write its run JSON: config, loss per epoch, test accuracy, environment.")
final class TrainCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  DataOptions data;

  @Mixin
  ModelOptions model;

  @Mixin
  RunOptions run;

  @Mixin
  DeviceOptions device;

  @Option(names = "--init-pool", paramLabel = "run|all", defaultValue = "RUN",
      description = "Where the init batch is drawn from: run = the images the run trains on "
          + "(--train-limit), all = every training image, as the seed draws its 256 from all "
          + "50,000 (default: run, every preset's).")
  InitPool initPool;

  @Option(names = "--init", paramLabel = "INIT", defaultValue = "xavier",
      converter = InitConverter.class, completionCandidates = InitConverter.Ids.class,
      description = "Initialization, one of ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}; "
          + "`orthoinit inits` says what each is); svd runs the paper's initializer after "
          + "Xavier.")
  Initializer init;

  @Mixin
  LsuvOptions lsuv;

  @Option(names = "--epochs", defaultValue = "" + TrainConfig.EPOCHS_DEFAULT, paramLabel = "N",
      description = "Epochs (default: ${DEFAULT-VALUE}).")
  int epochs;

  @Option(names = "--lr", defaultValue = "" + TrainConfig.LEARNING_RATE_DEFAULT,
      paramLabel = "RATE",
      description = "SGD learning rate (default: ${DEFAULT-VALUE}).")
  float lr;

  @Option(names = "--batch-size", defaultValue = "" + TrainConfig.BATCH_SIZE_DEFAULT,
      paramLabel = "N",
      description = "Images per SGD step (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(names = "--train-limit", defaultValue = "0", paramLabel = "N",
      description = "Train on the first N training images only; 0 = all (default).")
  int trainLimit;

  @Option(names = "--weights", paramLabel = "FILE.onnx|DIR",
      description = "Start from a PyTorch model exported to ONNX (the seed's AlexNet or any "
          + "graph of the supported layers taking [N, 3, 32, 32] images) or a SavedModel folder "
          + "written by orthoinit, instead of the init's own start; its architecture replaces "
          + "--layers/--level/--batch-norm (and, for other graphs, --dropout).")
  Path weights;

  @Option(names = "--no-test", description = "Skip the test-set accuracy.")
  boolean noTest;

  @Option(names = "--save-model", arity = "0..1", fallbackValue = "", paramLabel = "DIR",
      description = "Also write the trained model as a SavedModel (default folder: "
          + "models/<run name>).")
  Path saveModel;

  @Option(names = "--resume",
      description = "Continue the run from its checkpoint (beside --out: NAME.ckpt) after its "
          + "last written epoch; without one, start it.")
  boolean resume;

  @Option(names = "--checkpoint-every", paramLabel = "N",
      defaultValue = "" + TrainingRun.Checkpoints.EVERY_DEFAULT,
      description = "Write the checkpoint after the init and every N epochs; 0 = never "
          + "(default: ${DEFAULT-VALUE}). It is removed when the run file is written.")
  int checkpointEvery;

  @Option(names = "--out", paramLabel = "FILE.json",
      description = "Run JSON (default: results/train/<run name>.json, the run name being "
          + "L<layers>_<init>[_level2][_bn]_s<seed>, or <file name>_<init>_s<seed> for a "
          + "graph given by --weights).")
  Path out;

  @Override
  public Integer call() throws Exception {
    ModelConfig config = model.config();
    run.checked();
    Flags.range("--epochs", epochs, 1, Flags.MAX_STEPS);
    Flags.positive("--lr", lr);
    Flags.batchSize(batchSize);
    Flags.atLeast("--train-limit", trainLimit, 0);
    if (weights != null && !init.keepsWeights()) {
      throw new IllegalArgumentException("--init " + init.id() + " replaces every kernel with "
          + "its own; it cannot start from --weights (svd can: it keeps the first layers)");
    }
    lsuv.check(init, run.initBatch);
    Flags.range("--checkpoint-every", checkpointEvery, 0, Flags.MAX_STEPS);
    TrainPlan plan = TrainPlan.of(new TrainPlan.Request(config, weights,
        new TrainConfig(epochs, lr, batchSize, run.seed),
        Initializers.configured(init, null, lsuv.settings(init)), trainLimit, run.initBatch,
        run.threads, initPool, out, checkpointEvery, saveModel != null,
        saveModel == null || saveModel.toString().isEmpty() ? null : saveModel));
    if (Files.exists(plan.checkpoint()) && !resume) {
      throw new IllegalArgumentException(plan.checkpoint() + " holds this run, stopped: --resume "
          + "continues it; delete the file to start again");
    }
    // the refusals above cost nothing; the data next: a failed download leaves nothing behind
    Path dataDir = data.resolve(spec.commandLine().getErr());
    Path folder = plan.runFile().toAbsolutePath().getParent();
    Checks.writableFolder(folder, "--out");
    Checks.freeSpace(folder, plan.checkpointBytes(), "--out");
    if (plan.savedModel() != null) {
      Checks.writableFolder(plan.savedModel().toAbsolutePath().getParent(), "--save-model");
      if (Files.exists(plan.savedModel())) {
        throw new IllegalArgumentException("--save-model: " + plan.savedModel()
            + " exists already");
      }
    }
    Compute compute = device.resolve(spec.commandLine().getErr());

    Cifar10Data train = Cifar10.load(dataDir, Cifar10.Split.TRAIN);
    if (trainLimit > 0) {
      train = train.first(Math.min(trainLimit, train.size()));
    }
    Cifar10Data test = noTest ? null : Cifar10.load(dataDir, Cifar10.Split.TEST);
    RunResult result;
    try (Progress.Training progress = new Progress.Training(plan.name(),
        spec.commandLine().getErr())) {
      result = plan.execute(compute, dataDir.toString(), train, test, progress);
    }
    spec.commandLine().getOut().println(Report.oneLine(result) + " -> " + plan.runFile());
    return result.diverged() ? Errors.FAILED : 0;
  }
}
