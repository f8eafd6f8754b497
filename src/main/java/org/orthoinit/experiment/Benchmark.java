package org.orthoinit.experiment;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.orthoinit.data.Cifar10Data;
import org.orthoinit.init.InitException;
import org.orthoinit.init.SvdInitializer;
import org.orthoinit.init.SvdProfile;
import org.orthoinit.init.SvdReport;
import org.orthoinit.init.Xavier;
import org.orthoinit.model.AlexNet;
import org.orthoinit.model.Compute;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.Network;
import org.orthoinit.model.Summary;
import org.orthoinit.train.EpochResult;
import org.orthoinit.train.TrainConfig;
import org.orthoinit.train.TrainListener;
import org.orthoinit.train.Trainer;

/**
 * How fast training and the SVD initializer run here, against what TensorFlow can do on this
 * machine: the real training path (data, batches, session, loss) and a bare loop of steps on one
 * pre-built batch, per depth; the initializer's wall time; the achieved GFLOP/s of a step against
 * a large matmul's. Repetitions are interleaved (real, bare, real, bare...) so that a machine
 * slowing down or speeding up affects both alike.
 */
public final class Benchmark {

  /**
   * What to measure.
   *
   * @param warmup steps before any timing (graph optimization, allocator, caches)
   * @param steps timed steps per repetition
   * @param repeats timed repetitions (median and spread are over these)
   * @param initBatch images for the SVD initializer; 0 skips its timing
   * @param matmulSize n of the n x n matmul that measures the practical peak
   * @param threads TensorFlow intra-op threads; 0 = all cores
   * @param initCheck after the timed SVD init, run it once more with every layer's kernel checked
   *     against a float64 full eigendecomposition (slow)
   */
  public record Config(List<Integer> layers, int batchSize, int warmup, int steps, int repeats,
      int initBatch, int matmulSize, int threads, boolean initCheck) {
    public Config {
      layers = List.copyOf(layers);
      if (layers.isEmpty() || layers.stream().anyMatch(l -> l < 0)) {
        throw new IllegalArgumentException("layers must be one or more depths >= 0, got " + layers);
      }
      if (batchSize < 1 || warmup < 0 || steps < 1 || repeats < 1 || initBatch < 0
          || matmulSize < 1 || threads < 0) {
        throw new IllegalArgumentException("bench settings out of range: " + this);
      }
    }
  }

  /** The full measurement: depths 15 and 75, batch 30, 5 x 20 timed steps each. */
  public static final Config FULL = new Config(List.of(15, 75), TrainConfig.BATCH_SIZE_DEFAULT,
      5, 20, 5, SvdInitializer.BATCH_DEFAULT, 4096, 0, false);
  /** A check that the benchmark works, in seconds: it says nothing about speed. */
  public static final Config QUICK = new Config(List.of(0), TrainConfig.BATCH_SIZE_DEFAULT, 1,
      2, 2, 16, 256, 0, false);

  /** Median and range of repeated measurements. */
  public record Spread(double median, double min, double max, int n) {
    static Spread of(double[] values) {
      double[] v = values.clone();
      Arrays.sort(v);
      int n = v.length;
      double median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
      return new Spread(median, v[0], v[n - 1], n);
    }
  }

  /**
   * One depth's figures.
   *
   * @param imagesPerSecond the real training path (medians in the JSON's top level)
   * @param pipelineRatio real path / bare loop, median of the per-repetition ratios
   * @param stepGflop floating-point work of one training step (3 x forward, batch images)
   * @param gflops achieved by the real path's median step
   * @param fractionOfMatmul gflops / the matmul's median
   * @param svdInitSeconds the SVD initializer's wall time (Xavier excluded); null if skipped or
   *     failed
   * @param svdInitError why the SVD initializer failed on this data (the other figures stand)
   * @param svdInitStages the initializer's op seconds per stage ({@link SvdInitializer#STAGES}),
   *     summed over the rewritten layers, from a second, traced run
   * @param svdInitLayers the same split per rewritten layer
   * @param svdInitFallbacks the layers whose subspace iteration fell back to the full
   *     decomposition
   * @param svdInitCheck with {@link Config#initCheck()}: each layer's kernel against a float64
   *     full eigendecomposition of its G
   */
  public record Depth(int layers,
      @JsonProperty("images_per_second") double imagesPerSecond,
      @JsonProperty("images_per_second_spread") Spread realPath,
      @JsonProperty("bare_loop_images_per_second") double bareImagesPerSecond,
      @JsonProperty("bare_loop_spread") Spread bareLoop,
      @JsonProperty("pipeline_ratio") double pipelineRatio,
      @JsonProperty("step_gflop") double stepGflop,
      double gflops,
      @JsonProperty("fraction_of_matmul") double fractionOfMatmul,
      @JsonProperty("bare_loop_gflops") double bareGflops,
      @JsonProperty("svd_init_seconds") Double svdInitSeconds,
      @JsonProperty("svd_init_error") @JsonInclude(JsonInclude.Include.NON_NULL)
      String svdInitError,
      @JsonProperty("svd_init_stages") @JsonInclude(JsonInclude.Include.NON_NULL)
      Map<String, Double> svdInitStages,
      @JsonProperty("svd_init_layers") @JsonInclude(JsonInclude.Include.NON_NULL)
      List<SvdReport.LayerTimes> svdInitLayers,
      @JsonProperty("svd_init_fallbacks") @JsonInclude(JsonInclude.Include.NON_NULL)
      List<String> svdInitFallbacks,
      @JsonProperty("svd_init_check") @JsonInclude(JsonInclude.Include.NON_NULL)
      List<SvdReport.LayerResult> svdInitCheck) {}

  /**
   * Everything, as written to JSON.
   *
   * @param data what was trained on: a CIFAR-10 folder, or random images
   */
  public record Report(Config config, String data, String cpu, Environment environment,
      @JsonProperty("matmul_gflops") Spread matmulGflops, List<Depth> depths,
      @JsonProperty("peak_resident_mib") Double peakResidentMib, String started,
      double seconds) {}

  /** What the benchmark reports while it works. */
  public interface Listener {
    Listener NONE = what -> {};

    void stage(String what);
  }

  private Benchmark() {}

  /**
   * Runs the benchmark on {@code data} (real images, or any images of the CIFAR-10 format). A
   * failed SVD initializer is recorded, not thrown: the speed figures stand without it.
   */
  public static Report run(Config config, Compute compute, Cifar10Data data, String dataLabel,
      Listener listener) {
    long t0 = System.nanoTime();
    String started = Instant.now().toString();
    listener.stage("matmul " + config.matmulSize() + " x " + config.matmulSize());
    Spread matmul = matmulGflops(config, compute);
    List<Depth> depths = new ArrayList<>();
    Environment[] environment = new Environment[1]; // of the first model's session
    for (int layers : config.layers()) {
      depths.add(depth(config, compute, layers, data, matmul.median(), listener, environment));
    }
    return new Report(config, dataLabel, cpuName(), environment[0], matmul, depths,
        peakResidentMib(), started, (System.nanoTime() - t0) / 1e9);
  }

  private static Depth depth(Config config, Compute compute, int layers, Cifar10Data data,
      double peak, Listener listener, Environment[] environment) {
    ModelConfig model = ModelConfig.of(layers);
    int b = config.batchSize();
    int needed = b * config.steps(); // warm-up repeats one batch
    if (data.size() < needed) {
      throw new IllegalArgumentException("the benchmark needs " + needed + " images, the data has "
          + data.size());
    }
    Cifar10Data timed = data.first(b * config.steps());
    double[] real = new double[config.repeats()];
    double[] bare = new double[config.repeats()];
    double[] ratio = new double[config.repeats()];
    try (ModelSession session = ModelSession.open(model, 0, config.threads(), compute)) {
      Xavier.initialize(session, 0);
      if (environment[0] == null) {
        environment[0] = Environment.of(session); // traces a pass: after the weights
      }
      // one epoch over `steps` batches is the real path: shuffle, copy, feed, step, loss
      Trainer trainer = new Trainer(session, new TrainConfig(1, TrainConfig.LEARNING_RATE_DEFAULT,
          b, 0));
      float[] images = new float[b * Network.IMAGE_FLOATS];
      int[] labels = new int[b];
      for (int j = 0; j < b; j++) {
        data.copyImageNhwc(j, images, j * Network.IMAGE_FLOATS);
        labels[j] = data.label(j);
      }
      listener.stage(layers + " layers: warm-up");
      trainer.repeatStep(images, labels, b, config.warmup());
      for (int r = 0; r < config.repeats(); r++) {
        listener.stage(String.format("%d layers: repetition %d/%d", layers, r + 1,
            config.repeats()));
        EpochResult e = trainer.epoch(timed, r + 1, TrainListener.NONE);
        real[r] = timed.size() / e.seconds();
        long s = System.nanoTime();
        trainer.repeatStep(images, labels, b, config.steps());
        bare[r] = (double) b * config.steps() / ((System.nanoTime() - s) / 1e9);
        ratio[r] = real[r] / bare[r];
      }
    }
    SvdReport init = null;
    List<SvdReport.LayerResult> check = null;
    List<SvdReport.LayerTimes> split = null;
    String initError = null;
    if (config.initBatch() > 0) {
      listener.stage(layers + " layers: SVD initializer on " + config.initBatch() + " images");
      try {
        init = svdInit(model, data, config, compute, false, false);
        listener.stage(layers + " layers: SVD initializer traced, for its split by stage");
        split = svdInit(model, data, config, compute, true, false).times();
        if (config.initCheck()) {
          listener.stage(layers + " layers: SVD initializer checked against float64 eigh");
          check = svdInit(model, data, config, compute, false, true).outputNorms();
        }
      } catch (InitException e) {
        initError = e.getMessage();
        listener.stage(layers + " layers: the SVD initializer failed (" + initError + ")");
      }
    }
    double stepFlop = 3.0 * b * Summary.forwardFlops(AlexNet.of(model));
    Spread realSpread = Spread.of(real);
    Spread bareSpread = Spread.of(bare);
    double gflops = stepFlop / 1e9 * realSpread.median() / b;
    return new Depth(layers, realSpread.median(), realSpread, bareSpread.median(), bareSpread,
        Spread.of(ratio).median(), stepFlop / 1e9, gflops, gflops / peak,
        stepFlop / 1e9 * bareSpread.median() / b, init == null ? null : init.seconds(),
        initError, split == null ? null : stageTotals(split), split,
        init == null ? null : init.fallbacks(), check);
  }

  /** Per stage, the seconds summed over the layers. */
  static Map<String, Double> stageTotals(List<SvdReport.LayerTimes> layers) {
    Map<String, Double> totals = new LinkedHashMap<>();
    SvdProfile.STAGES.forEach(stage -> totals.put(stage, 0.0));
    for (SvdReport.LayerTimes l : layers) {
      l.seconds().forEach((stage, seconds) -> totals.merge(stage, seconds, Double::sum));
    }
    return totals;
  }

  /**
   * One run of the default decomposition in a fresh session: its wall time; {@code trace}d, its
   * split by layer and stage; with {@code check}, each kernel against a float64 full
   * eigendecomposition.
   */
  private static SvdReport svdInit(ModelConfig model, Cifar10Data data, Config config,
      Compute compute, boolean trace, boolean check) throws InitException {
    int n = Math.min(config.initBatch(), data.size());
    float[] batch = TrainingRun.initBatch(data, n, 0);
    try (ModelSession session = ModelSession.open(model, 0, config.threads(), compute)) {
      Xavier.initialize(session, 0);
      SvdInitializer init = new SvdInitializer(session, SvdInitializer.DECOMPOSITION_DEFAULT,
          check);
      return init.initialize(batch, n, trace);
    }
  }

  /** GFLOP/s of TensorFlow's float32 matmul of two n x n matrices, one repetition per run. */
  static Spread matmulGflops(Config config, Compute compute) {
    try (MatmulTimer timer = new MatmulTimer(config.matmulSize(), compute.proto(config.threads()),
        null)) {
      for (int i = 0; i < Math.max(1, config.warmup()); i++) {
        timer.seconds();
      }
      double[] gflops = new double[config.repeats()];
      for (int k = 0; k < gflops.length; k++) {
        gflops[k] = timer.gflops(timer.seconds());
      }
      return Spread.of(gflops);
    }
  }

  /** The CPU's model name from /proc/cpuinfo, or the architecture where there is none. */
  static String cpuName() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).strip();
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux: fall through
    }
    return System.getProperty("os.arch");
  }

  /** The process's peak resident memory (VmHWM), in MiB; null where /proc has none. */
  static Double peakResidentMib() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          String kb = line.substring("VmHWM:".length()).strip().split("\\s+")[0];
          return Long.parseLong(kb) / 1024.0;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return null;
  }
}
