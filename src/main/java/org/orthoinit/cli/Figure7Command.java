package org.orthoinit.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.orthoinit.data.Cifar10;
import org.orthoinit.data.Cifar10Data;
import org.orthoinit.experiment.Figure7;
import org.orthoinit.experiment.Figure7Config;
import org.orthoinit.experiment.InitPool;
import org.orthoinit.experiment.Preset;
import org.orthoinit.experiment.Shard;
import org.orthoinit.experiment.TrainingRun;
import org.orthoinit.init.InitException;
import org.orthoinit.init.Initializer;
import org.orthoinit.init.Initializers;
import org.orthoinit.init.SvdInitializer;
import org.orthoinit.interop.ModelFiles;
import org.orthoinit.model.Compute;
import org.orthoinit.model.ModelFile;
import org.orthoinit.model.ModelSource;
import org.orthoinit.model.Network;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The paper's experiment: the grid, resumable, then its figures. */
@Command(name = "figure7", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Run Figure 7: extra layers x init x repeats, each trained as the seed does, "
        + "into a results folder (one JSON per finished run; a rerun skips them), then draw "
        + "convolutional_<layers> (loss) and orthogonality_<layers> (gap) as .png/.svg/.pdf.",
        "Presets: paper (15,75 layers; xavier,svd; 4 repeats; 20 epochs; 50,000 images; the "
        + "default on a GPU), cpu (75 layers, 1 repeat, 3,000 steps: about an hour on 2 cores; "
        + "the default otherwise), quick (75 layers, 2 repeats, 500 steps: the effect with an "
        + "interval), smoke (a few minutes, a pipeline check). Any flag overrides its preset "
        + "value.",
        "--model FILE.onnx runs the same grid on your own network: the depth axis becomes the "
        + "network, figures convolutional_NAME and orthogonality_NAME."})
final class Figure7Command implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  DataOptions data;

  @Option(names = "--preset", paramLabel = "paper|cpu|quick|smoke",
      description = "Starting settings (default: paper with GPU natives, else cpu).")
  Preset preset;

  @Option(names = "--out", paramLabel = "DIR", defaultValue = "results/figure7",
      description = "Results folder (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(names = "--model", paramLabel = "FILE.onnx",
      description = "Run the grid on this network (any ONNX graph of the supported layers taking "
          + "[N, 3, 32, 32] images) instead of the seed's AlexNet: one curve per init, every run "
          + "starting from its init's own weights; the figures are named after the file "
          + "(convolutional_NAME). Not with --layers, --level or --batch-norm-baseline.")
  Path model;

  @Option(names = "--layers", split = ",", paramLabel = "N",
      description = "Depths (presets: paper 15,75; cpu, quick 75; smoke 5).")
  List<Integer> layers;

  @Option(names = "--inits", split = ",", paramLabel = "INIT", converter = InitConverter.class,
      completionCandidates = InitConverter.Ids.class,
      description = "Inits, one curve each, of ${COMPLETION-CANDIDATES} (presets: xavier,svd; "
          + "e.g. xavier,svd,delta-orthogonal).")
  List<Initializer> inits;

  @Option(names = "--batch-norm-baseline",
      description = "Add Xavier + batch norm runs (a BatchNorm2d after each extra block's ReLU, "
          + "the seed's withbn) as one more curve per depth.")
  boolean batchNormBaseline;

  @Option(names = "--level", paramLabel = "2|3", defaultValue = "3",
      description = "Where the extra layers go: 2 = 192 channels without bias, 3 = 256 channels "
          + "(default: ${DEFAULT-VALUE}, as Figure 7).")
  int level;

  @Mixin
  LsuvOptions lsuv;

  @Option(names = "--repeats", paramLabel = "N",
      description = "Runs per depth and init (presets: paper 4, cpu 1, quick 2, smoke 2).")
  Integer repeats;

  @Option(names = "--epochs", paramLabel = "N",
      description = "Passes over the training images (presets: paper 20, cpu 30, quick 10, "
          + "smoke 4).")
  Integer epochs;

  @Option(names = "--train-limit", paramLabel = "N",
      description = "First N training images; 0 = all (presets: paper all, cpu 3000, "
          + "quick 1500, smoke 1500).")
  Integer trainLimit;

  @Option(names = "--test-limit", paramLabel = "N",
      description = "First N test images for the accuracy; 0 = all (presets: paper all, "
          + "cpu 2000, quick 1000, smoke 500).")
  Integer testLimit;

  @Option(names = "--lr", paramLabel = "RATE",
      description = "SGD learning rate (every preset: 0.001, the seed's).")
  Float lr;

  @Option(names = "--batch-size", paramLabel = "N",
      description = "Images per SGD step (every preset: 30, the seed's).")
  Integer batchSize;

  @Option(names = "--init-batch", paramLabel = "N",
      description = "Training images for the SVD or LSUV initializer (every preset: "
          + SvdInitializer.BATCH_DEFAULT + ", the seed's; a network whose last convolutions "
          + "have small maps needs more, e.g. 512 for resnet18 at 32x32).")
  Integer initBatch;

  @Option(names = "--init-pool", paramLabel = "run|all",
      description = "Where each run's init batch is drawn from: run = the images it trains on "
          + "(--train-limit), all = every training image, as the seed draws its 256 from all "
          + "50,000 (every preset: run).")
  InitPool initPool;

  @Option(names = "--seed", paramLabel = "N",
      description = "Base seed; repeat r uses seed + r (every preset: 0).")
  Long seed;

  @Option(names = "--shard", paramLabel = "K/N",
      description = "Run only shard K (0-based) of N: runs whose grid position is K mod N. "
          + "env/N takes K from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID.")
  String shard;

  @Option(names = "--threads", defaultValue = "0", paramLabel = "N",
      description = "TensorFlow threads; 0 = all cores (default).")
  int threads;

  @Mixin
  BandOption band;

  @Mixin
  DeviceOptions device;

  @Option(names = "--checkpoint-every", paramLabel = "N",
      defaultValue = "" + TrainingRun.Checkpoints.EVERY_DEFAULT,
      description = "Write a run's checkpoint (runs/NAME.ckpt: its weights, losses and probes) "
          + "after its init and every N epochs, so that a rerun continues a killed run from its "
          + "last one; 0 = never (default: ${DEFAULT-VALUE}).")
  int checkpointEvery;

  @Override
  public Integer call() throws Exception {
    Compute compute = device.resolve(spec.commandLine().getErr());
    Network network = null;
    ModelFile modelFile = null;
    if (model != null) {
      if (java.nio.file.Files.isDirectory(model)) {
        throw new IllegalArgumentException("--model: " + model + " is a folder; give an ONNX "
            + "file (a SavedModel of orthoinit's is the seed's AlexNet: use --layers)");
      }
      for (String flag : List.of("--layers", "--level", "--batch-norm-baseline")) {
        if (spec.commandLine().getParseResult().hasMatchedOption(flag)) {
          throw new IllegalArgumentException(flag + ": not with --model, whose network is the "
              + "grid's one architecture");
        }
      }
      ModelFiles.Opened opened = ModelFiles.openAsFile(model);
      network = opened.network();
      modelFile = ((ModelSource.File) opened.source()).file();
    }
    Figure7Config c = config(compute.device() == Compute.Device.GPU, modelFile);
    Shard part;
    try {
      part = shard == null ? Shard.ALL : Shard.parse(shard, System.getenv());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--" + e.getMessage());
    }
    PrintWriter o = spec.commandLine().getOut();
    o.println("figure7: preset " + c.preset() + (modelFile != null
        ? ", network " + modelFile.name() + " (" + modelFile.layers() + " layers, "
            + String.format("%,d", modelFile.parameters()) + " parameters)"
        : ", layers " + c.layers() + (c.level() == 3 ? "" : " at level " + c.level()))
        + ", curves " + c.curves() + ", "
        + c.repeats() + " repeats, " + c.epochs() + " epochs"
        + (part.count() > 1 ? ", shard " + part : ""));
    o.flush();
    Flags.range("--checkpoint-every", checkpointEvery, 0, Flags.MAX_STEPS);
    Network deepest = Figure7.deepest(c, network, false);
    checkInitBatch(c, deepest, c.initBatch());
    Figure7.check(out, c); // a folder of other settings is refused before any download
    // the data next: a failed download must leave no results folder behind
    Path dataDir = data.resolve(spec.commandLine().getErr());
    Checks.writableFolder(out, "--out");
    Checks.freeSpace(out, Figure7.bytesNeeded(c, network, part, checkpointEvery), "--out");

    Cifar10Data train = Cifar10.load(dataDir, Cifar10.Split.TRAIN);
    if (c.trainLimit() > 0) {
      train = train.first(Math.min(c.trainLimit(), train.size()));
    }
    Cifar10Data test = Cifar10.load(dataDir, Cifar10.Split.TEST);
    if (c.testLimit() > 0) {
      test = test.first(Math.min(c.testLimit(), test.size()));
    }
    checkInitBatch(c, deepest, Math.min(c.initBatch(), train.size()));
    o.printf("figure7: training on %,d images from %s, accuracy on %,d test images%n",
        train.size(), dataDir, test.size());
    String scaled = c.scaledDown(train.size());
    o.println(scaled.isEmpty() ? "figure7: the paper's settings"
        : "figure7: scaled down from the paper: " + scaled);
    o.flush();
    Figure7.Outcome outcome;
    try (Progress.Grid progress = new Progress.Grid(spec.commandLine().getErr(), o)) {
      outcome = Figure7.run(c, network, part, out, dataDir.toString(), train, test, threads,
          compute, checkpointEvery, progress);
    }
    Outputs.drawGrid(out, band.band, o);
    if (!outcome.failures().isEmpty()) {
      PrintWriter err = spec.commandLine().getErr();
      outcome.failures().forEach(f -> err.println("figure7: " + f));
      err.println("figure7: " + outcome.failures().size() + " run(s) could not be initialized; "
          + "the others are in " + out);
      return Errors.FAILED;
    }
    return 0;
  }

  /** Every curve's init says whether it can take {@code batch} images on {@code network}. */
  private static void checkInitBatch(Figure7Config c, Network network, int batch) {
    for (Initializer init : c.inits()) {
      try {
        init.checkBatch(network, batch);
      } catch (InitException e) {
        throw new IllegalArgumentException("--init-batch: " + e.getMessage());
      }
    }
  }

  private static void check(String flag, Integer value, int least, int most) {
    if (value != null) {
      Flags.range(flag, value, least, most);
    }
  }

  /**
   * The preset's settings with every given flag applied.
   *
   * @param gpu whether this process computes on a GPU: the paper preset is the default then
   * @param network the file of {@code --model}; null for the seed's AlexNet
   */
  Figure7Config config(boolean gpu, ModelFile network) {
    Preset p = preset != null ? preset : gpu ? Preset.PAPER : Preset.CPU;
    Figure7Config b = p.config();
    Flags.level("--level", level);
    Flags.threads(threads);
    if (layers != null) {
      Flags.depths("--layers", layers);
    }
    check("--repeats", repeats, 1, Flags.MAX_REPEATS);
    check("--epochs", epochs, 1, Flags.MAX_STEPS);
    check("--train-limit", trainLimit, 0, Integer.MAX_VALUE);
    check("--init-batch", initBatch, 1, Flags.MAX_IMAGES);
    check("--test-limit", testLimit, 0, Integer.MAX_VALUE);
    if (batchSize != null) {
      Flags.batchSize(batchSize);
    }
    if (lr != null) {
      Flags.positive("--lr", lr);
    }
    List<Initializer> curves = inits != null ? inits : b.inits();
    List<Integer> depths = network != null ? List.of(0) : layers != null ? layers : b.layers();
    return new Figure7Config(p.id(), depths, curves,
        repeats != null ? repeats : b.repeats(),
        epochs != null ? epochs : b.epochs(), trainLimit != null ? trainLimit : b.trainLimit(),
        testLimit != null ? testLimit : b.testLimit(), lr != null ? lr : b.learningRate(),
        batchSize != null ? batchSize : b.batchSize(), initBatch != null ? initBatch
        : b.initBatch(),
        seed != null ? seed : b.seed(), level, batchNormBaseline,
        lsuv.settings(curves.stream().anyMatch(i -> Initializers.same(i, Initializers.LSUV))
            ? Initializers.LSUV : Initializers.XAVIER), network,
        initPool != null ? initPool : b.initPool());
  }

}
