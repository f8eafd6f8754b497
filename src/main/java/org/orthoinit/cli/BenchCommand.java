package org.orthoinit.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.orthoinit.data.Cifar10;
import org.orthoinit.data.Cifar10Data;
import org.orthoinit.experiment.Benchmark;
import org.orthoinit.experiment.ResultStore;
import org.orthoinit.init.SvdReport;
import org.orthoinit.model.Compute;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Speed of training and of the SVD initializer, against the machine's matmul peak. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Measure training throughput (the real path: data, batches, session, loss; and "
        + "a bare loop of steps on one batch), the SVD initializer's time and the GFLOP/s of a "
        + "step against a large matmul's, with warm-up and repetitions (median and range).",
        "Takes ~10 minutes at the default depths on 2 cores; --quick checks that it works in "
        + "seconds and says nothing about speed.",
        "Times CIFAR-10 images (--data, or the cache, downloaded on first use); with --quick or "
        + "--no-download and no CIFAR-10 at hand, random images of the same shape."})
final class BenchCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--layers", split = ",", paramLabel = "N",
      description = "Depths (default: 15,75; --quick: 0).")
  List<Integer> layers;

  @Option(names = "--quick", description = "A tiny run that checks the benchmark works.")
  boolean quick;

  @Option(names = "--json", paramLabel = "FILE",
      description = "Write the figures here (default: results/bench/bench.json).")
  Path json;

  @Mixin
  DataOptions dataOptions;

  @Option(names = "--steps", paramLabel = "N", description = "Timed steps per repetition "
      + "(default: 20; --quick: 2).")
  Integer steps;

  @Option(names = "--repeats", paramLabel = "N",
      description = "Timed repetitions (default: 5; --quick: 2).")
  Integer repeats;

  @Option(names = "--warmup", paramLabel = "N",
      description = "Untimed steps first (default: 5; --quick: 1).")
  Integer warmup;

  @Option(names = "--init-batch", paramLabel = "N",
      description = "Images for the SVD initializer's timing; 0 skips it (default: 256; "
          + "--quick: 16).")
  Integer initBatch;

  @Option(names = "--init-check", description = "After the timed SVD initializer, run it once "
      + "more and check every layer's kernel against a float64 full eigendecomposition (slow: "
      + "minutes per depth).")
  boolean initCheck;

  @Option(names = "--threads", defaultValue = "0", paramLabel = "N",
      description = "TensorFlow threads; 0 = all cores (default).")
  int threads;

  @Mixin
  DeviceOptions device;

  @Override
  public Integer call() throws Exception {
    Benchmark.Config base = quick ? Benchmark.QUICK : Benchmark.FULL;
    List<Integer> depths = layers != null ? layers : base.layers();
    Flags.depths("--layers", depths);
    Benchmark.Config config = new Benchmark.Config(depths, base.batchSize(),
        Flags.range("--warmup", warmup != null ? warmup : base.warmup(), 0, Flags.MAX_STEPS),
        Flags.range("--steps", steps != null ? steps : base.steps(), 1, Flags.MAX_STEPS),
        Flags.range("--repeats", repeats != null ? repeats : base.repeats(), 1,
            Flags.MAX_REPEATS),
        Flags.range("--init-batch", initBatch != null ? initBatch : base.initBatch(), 0,
            Flags.MAX_IMAGES), base.matmulSize(),
        Flags.threads(threads), initCheck);
    Path file = json != null ? json : Path.of("results", "bench", "bench.json");
    // CIFAR-10 as the other commands find it (downloading on first use); --quick and
    // --no-download take random images of the same format instead when there is none: speed
    // does not depend on the pixels, but the SVD init may fail on random representations
    Path data = dataOptions.present() || !(quick || dataOptions.noDownload)
        ? dataOptions.resolve(spec.commandLine().getErr()) : null;
    // the timed epoch reads steps x batch images; warm-up repeats one batch
    long images = (long) config.batchSize() * config.steps();
    Cifar10Data input;
    if (data != null) {
      input = Cifar10.load(data, Cifar10.Split.TRAIN);
      if (input.size() < images) {
        throw new IllegalArgumentException(String.format("--steps: %d steps of %d images need "
            + "%,d training images, %s has %,d", config.steps(), config.batchSize(), images,
            data, input.size()));
      }
    } else if (images > Flags.MAX_IMAGES) {
      throw new IllegalArgumentException(String.format("--steps: %d steps of %d random images "
          + "would need %,d of them; at most %,d", config.steps(), config.batchSize(), images,
          Flags.MAX_IMAGES));
    } else {
      input = random((int) Math.max(images, config.initBatch()));
    }
    Checks.writableFolder(file.toAbsolutePath().getParent(), "--json");
    PrintWriter err = spec.commandLine().getErr();
    String label = data != null ? data.toString() : "random images";
    err.println("bench: training on " + label);
    Compute compute = device.resolve(err);
    Benchmark.Report report = Benchmark.run(config, compute, input, label, what -> {
      err.println("bench: " + what);
      err.flush();
    });
    ResultStore.write(file, report);
    PrintWriter o = spec.commandLine().getOut();
    o.print(table(report));
    o.println("wrote " + file);
    return 0;
  }

  /** Seeded random images with labels: the benchmark's default input. */
  static Cifar10Data random(int n) {
    java.util.Random r = new java.util.Random(RANDOM_SEED);
    byte[] pixels = new byte[n * Cifar10.IMAGE_BYTES];
    byte[] labels = new byte[n];
    r.nextBytes(pixels);
    for (int i = 0; i < n; i++) {
      labels[i] = (byte) r.nextInt(Cifar10.CLASSES);
    }
    return Cifar10Data.of(pixels, labels);
  }

  private static final long RANDOM_SEED = 1;

  static String table(Benchmark.Report r) {
    StringBuilder s = new StringBuilder();
    s.append(String.format("%s, %d threads (0 = all), TensorFlow %s; matmul %d: %.0f GFLOP/s "
        + "(%.0f-%.0f)%n", r.cpu(), r.config().threads(), r.environment().tensorflow(),
        r.config().matmulSize(), r.matmulGflops().median(), r.matmulGflops().min(),
        r.matmulGflops().max()));
    s.append(String.format("%6s %18s %18s %9s %8s %9s %10s%n", "layers", "real img/s (range)",
        "bare img/s (range)", "real/bare", "GFLOP/s", "of matmul", "SVD init s"));
    for (Benchmark.Depth d : r.depths()) {
      s.append(String.format(
          "%6d %6.1f (%4.0f-%4.0f) %6.1f (%4.0f-%4.0f) %9.3f %8.1f %8.0f%% %10s%n",
          d.layers(), d.imagesPerSecond(), d.realPath().min(), d.realPath().max(),
          d.bareImagesPerSecond(), d.bareLoop().min(), d.bareLoop().max(), d.pipelineRatio(),
          d.gflops(), 100 * d.fractionOfMatmul(),
          d.svdInitError() != null ? "failed" : d.svdInitSeconds() == null ? "-"
              : String.format("%.1f", d.svdInitSeconds())));
    }
    for (Benchmark.Depth d : r.depths()) {
      if (d.svdInitStages() != null) {
        int n = d.svdInitLayers().size();
        StringBuilder split = new StringBuilder();
        d.svdInitStages().forEach((stage, seconds) -> split.append(String.format(" %s %.2f,",
            stage, seconds / n)));
        s.append(String.format("SVD init at %d layers, per rewritten layer (op seconds, mean of "
            + "%d):%s fallbacks: %s%n", d.layers(), n, split,
            d.svdInitFallbacks().isEmpty() ? "none" : String.join(", ", d.svdInitFallbacks())));
      }
      if (d.svdInitCheck() != null) {
        SvdReport.LayerResult worst = null;
        double eigh = 0;
        for (SvdReport.LayerResult l : d.svdInitCheck()) {
          if (worst == null || l.offExact() > worst.offExact()) {
            worst = l;
          }
          eigh = Math.max(eigh, l.float32EighOffExact());
        }
        s.append(String.format("SVD init at %d layers against a float64 eigendecomposition of "
            + "each layer's G: kernels off by at most %.1e (%s); the float32 full "
            + "decomposition by at most %.1e%n", d.layers(), worst.offExact(), worst.layer(),
            eigh));
      }
    }
    for (Benchmark.Depth d : r.depths()) {
      if (d.svdInitError() != null) {
        s.append(String.format("SVD initializer at %d layers failed: %s%n", d.layers(),
            d.svdInitError()));
      }
    }
    if (r.peakResidentMib() != null) {
      s.append(String.format("peak resident memory %.0f MiB; %.0f s in all%n", r.peakResidentMib(),
          r.seconds()));
    }
    return s.toString();
  }
}
