package org.orthoinit.experiment;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;
import org.orthoinit.init.Initializer;
import org.orthoinit.init.Initializers;
import org.orthoinit.init.Lsuv;
import org.orthoinit.init.SvdInitializer;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.ModelFile;
import org.orthoinit.model.ModelSource;
import org.orthoinit.train.TrainConfig;

/**
 * The Figure 7 grid and how each of its runs trains. Everything here decides the results, so a
 * results folder keeps it ({@code figure7.json}) and refuses other settings.
 *
 * @param preset the preset these settings started from (flags may have changed them)
 * @param layers extra-layer depths, one figure each
 * @param inits initializations, one curve each
 * @param repeats runs per (depth, init), for the mean and its interval
 * @param trainLimit first N training images; 0 = all (the paper: 50,000)
 * @param testLimit first N test images for the accuracy after training; 0 = all
 * @param seed base seed; repeat r of every depth and init uses seed + r, so at a given repeat
 *     Xavier and SVD start from the same Xavier weights and see the same batches
 * @param level where the extra layers go (2 or 3, as {@link ModelConfig#level()}); settings
 *     written before the level was recorded read as 0, which means the default, 3
 * @param batchNormBaseline adds Xavier + batch norm runs (the seed's {@code withbn}) as one more
 *     curve per depth
 * @param lsuv LSUV's settings when {@code inits} holds LSUV, else null
 * @param initPool where every run draws its init batch from (null in settings of earlier
 *     versions: the run's own images)
 * @param network the architecture when it is read from an ONNX file instead of the seed's
 *     AlexNet: the grid's one "depth" is then this network ({@code layers} is {@code [0]}, the
 *     level is the default and there is no batch-norm curve); null for the seed's grid
 */
public record Figure7Config(String preset, List<Integer> layers, List<Initializer> inits,
    int repeats, int epochs, int trainLimit, int testLimit, float learningRate, int batchSize,
    int initBatch, long seed,
    @JsonInclude(value = JsonInclude.Include.CUSTOM, valueFilter = DefaultLevel.class) int level,
    @JsonInclude(JsonInclude.Include.NON_DEFAULT) boolean batchNormBaseline,
    @JsonInclude(JsonInclude.Include.NON_NULL) Lsuv.Settings lsuv,
    @JsonInclude(JsonInclude.Include.NON_NULL) ModelFile network,
    @JsonInclude(value = JsonInclude.Include.CUSTOM, valueFilter = InitPool.Default.class)
    InitPool initPool) {

  /** The xavier + batch norm curve's id in summaries and figures. */
  public static final String BATCH_NORM_CURVE = "xavier+bn";

  /** Keeps the default level out of the settings file, so older folders still match. */
  static final class DefaultLevel {
    @Override
    public boolean equals(Object o) {
      return o instanceof Integer i && i == ModelConfig.LEVEL_DEFAULT;
    }

    @Override
    public int hashCode() {
      return ModelConfig.LEVEL_DEFAULT;
    }
  }

  public Figure7Config {
    if (initPool == null) {
      initPool = InitPool.RUN;
    }
    layers = List.copyOf(layers);
    if (level == 0) {
      level = ModelConfig.LEVEL_DEFAULT;
    }
    if (level != 2 && level != 3) {
      throw new IllegalArgumentException("level must be 2 or 3, got " + level);
    }
    if (inits.stream().noneMatch(i -> Initializers.same(i, Initializers.LSUV))) {
      lsuv = null;
    } else if (lsuv == null) {
      lsuv = Lsuv.PAPER;
    }
    // each curve's init with the grid's settings (the SVD init's decomposition is the folder's,
    // given to each run's spec)
    Lsuv.Settings grid = lsuv;
    inits = inits.stream().map(i -> Initializers.configured(i, null, grid)).toList();
    if (layers.isEmpty() || layers.stream().anyMatch(l -> l < 0)) {
      throw new IllegalArgumentException("layers must be one or more depths >= 0, got " + layers);
    }
    if (layers.stream().distinct().count() != layers.size()) {
      throw new IllegalArgumentException("layers must not repeat a depth, got " + layers);
    }
    if (inits.isEmpty() || inits.stream().distinct().count() != inits.size()) {
      throw new IllegalArgumentException("inits must be distinct and not empty, got " + inits);
    }
    if (repeats < 1) {
      throw new IllegalArgumentException("repeats must be >= 1, got " + repeats);
    }
    if (epochs < 1) {
      throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
    }
    if (trainLimit < 0 || testLimit < 0) {
      throw new IllegalArgumentException("train and test limits must be >= 0, got " + trainLimit
          + " and " + testLimit);
    }
    if (network != null && (!layers.equals(List.of(0)) || batchNormBaseline
        || level != ModelConfig.LEVEL_DEFAULT)) {
      throw new IllegalArgumentException("a grid of " + network.name() + " has no depths, level "
          + "or batch-norm curve of its own, got layers " + layers + ", level " + level
          + (batchNormBaseline ? ", a batch-norm curve" : ""));
    }
    if (!(learningRate > 0f) || batchSize < 1 || initBatch < 1) {
      throw new IllegalArgumentException("learning rate, batch size and init batch must be "
          + "positive, got " + learningRate + ", " + batchSize + ", " + initBatch);
    }
  }

  /** The settings of the seed's grid: level 3, no batch-norm curve, LSUV's paper settings. */
  public Figure7Config(String preset, List<Integer> layers, List<Initializer> inits, int repeats,
      int epochs, int trainLimit, int testLimit, float learningRate, int batchSize, int initBatch,
      long seed) {
    this(preset, layers, inits, repeats, epochs, trainLimit, testLimit, learningRate, batchSize,
        initBatch, seed, ModelConfig.LEVEL_DEFAULT, false, null, null, InitPool.RUN);
  }

  /** A grid of the seed's AlexNet. */
  public Figure7Config(String preset, List<Integer> layers, List<Initializer> inits, int repeats,
      int epochs, int trainLimit, int testLimit, float learningRate, int batchSize, int initBatch,
      long seed, int level, boolean batchNormBaseline, Lsuv.Settings lsuv) {
    this(preset, layers, inits, repeats, epochs, trainLimit, testLimit, learningRate, batchSize,
        initBatch, seed, level, batchNormBaseline, lsuv, null, InitPool.RUN);
  }

  /**
   * One run of the grid.
   *
   * @param batchNorm the model has batch norm (the baseline curve; init is then Xavier)
   * @param network the name of the network file the grid trains; null for the seed's AlexNet
   */
  public record Run(int layers, Initializer init, boolean batchNorm, int repeat, String network) {
    /** A run of the seed's AlexNet. */
    public Run(int layers, Initializer init, boolean batchNorm, int repeat) {
      this(layers, init, batchNorm, repeat, null);
    }

    /** A run of the seed's AlexNet without batch norm. */
    public Run(int layers, Initializer init, int repeat) {
      this(layers, init, false, repeat);
    }

    /** File-name stem: {@code L75_svd_r2}, {@code L75_xavier_bn_r0}, {@code resnet18_svd_r0}. */
    public String name() {
      return network == null ? RunNames.grid(layers, init, batchNorm, repeat)
          : RunNames.grid(network, init, repeat);
    }

    /** The id of the curve the run belongs to. */
    public String curve() {
      return batchNorm ? BATCH_NORM_CURVE : init.id();
    }
  }

  /** The network a run of the grid trains: the seed's AlexNet at its depth, or the file's. */
  public ModelSource source(Run run) {
    return network != null ? new ModelSource.File(network)
        : new ModelSource.Seed(new ModelConfig(run.layers(), level, run.batchNorm(),
            ModelConfig.DROPOUT_DEFAULT, ModelConfig.CLASSES_DEFAULT));
  }

  /** The curves per depth, in drawing order: the inits, then the batch-norm baseline. */
  public List<String> curves() {
    List<String> out = new ArrayList<>(inits.stream().map(Initializer::id).toList());
    if (batchNormBaseline) {
      out.add(BATCH_NORM_CURVE);
    }
    return out;
  }

  /** Every run, in the seed's order: repeat, then depth, then init (then batch norm). */
  public List<Run> runs() {
    List<Run> out = new ArrayList<>();
    for (int r = 0; r < repeats; r++) {
      for (int l : layers) {
        for (Initializer i : inits) {
          out.add(new Run(l, i, false, r, network == null ? null : network.name()));
        }
        if (batchNormBaseline) {
          out.add(new Run(l, Initializers.XAVIER, true, r));
        }
      }
    }
    return out;
  }

  /** These settings with the batch-norm baseline and LSUV's settings as given. */
  public Figure7Config withBaselines(int level, boolean batchNormBaseline, Lsuv.Settings lsuv) {
    return new Figure7Config(preset, layers, inits, repeats, epochs, trainLimit, testLimit,
        learningRate, batchSize, initBatch, seed, level, batchNormBaseline, lsuv, network,
        initPool);
  }

  /**
   * What a figure of the depth {@code layers} shows, for titles: {@code 75 extra layers}, or the
   * network's name.
   */
  public String axis(int layers) {
    return network != null ? network.name() : layers + " extra layers";
  }

  /** The figures' file-name stem for a depth: {@code 75}, or the network's name. */
  public String stem(int layers) {
    return network != null ? network.name() : String.valueOf(layers);
  }

  /** The depth a run's spec belongs to: its extra layers, 0 for a network read from a file. */
  public static int layersOf(RunSpec spec) {
    return spec.source().extraLayers();
  }

  /** The paper's settings, for comparison. */
  public static final Figure7Config PAPER = new Figure7Config("paper", List.of(15, 75),
      List.of(Initializers.XAVIER, Initializers.SVD), 4, TrainConfig.EPOCHS_DEFAULT, 0, 0,
      TrainConfig.LEARNING_RATE_DEFAULT, TrainConfig.BATCH_SIZE_DEFAULT,
      SvdInitializer.BATCH_DEFAULT, 0);

  /** CIFAR-10's training set, which the paper trains on in full. */
  public static final int PAPER_TRAIN_IMAGES = 50_000;

  /**
   * How these settings are scaled down from the paper's, in words; empty when they are the
   * paper's (up to the preset's name and the seed).
   *
   * @param trainImages the training images the runs use (the data folder's, after
   *     {@code trainLimit}); null when not known, then only {@code trainLimit} is judged
   */
  public String scaledDown(Integer trainImages) {
    List<String> s = new ArrayList<>();
    if (level != PAPER.level) {
      s.add("level " + level + " instead of " + PAPER.level);
    }
    if (network != null) {
      s.add(network.name() + " instead of the seed's AlexNet");
    } else if (!layers.containsAll(PAPER.layers)) {
      s.add("depths " + layers + " instead of " + PAPER.layers);
    }
    if (repeats < PAPER.repeats) {
      s.add(repeats + " repeat" + (repeats == 1 ? "" : "s") + " instead of " + PAPER.repeats);
    }
    if (epochs < PAPER.epochs) {
      s.add(epochs + " epochs instead of " + PAPER.epochs);
    }
    int images = trainImages != null ? trainImages : trainLimit;
    if (images > 0 && images < PAPER_TRAIN_IMAGES) {
      boolean data = trainImages != null && (trainLimit == 0 || trainImages < trainLimit);
      s.add(String.format("%,d training images instead of %,d%s", images, PAPER_TRAIN_IMAGES,
          data ? " (all the data folder holds)" : ""));
    }
    if (testLimit > 0) {
      s.add(String.format("accuracy on %,d test images", testLimit));
    }
    if (learningRate != PAPER.learningRate || batchSize != PAPER.batchSize) {
      s.add("lr " + learningRate + ", batch " + batchSize + " instead of 0.001, 30");
    }
    return String.join("; ", s);
  }
}
