package org.orthoinit.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.orthoinit.data.Cifar10;
import org.orthoinit.data.Cifar10Data;
import org.orthoinit.experiment.InitReport;
import org.orthoinit.experiment.ResultStore;
import org.orthoinit.experiment.RunNames;
import org.orthoinit.init.Initializer;
import org.orthoinit.init.Initializers;
import org.orthoinit.init.Lsuv;
import org.orthoinit.init.Probe;
import org.orthoinit.init.SvdPreflight;
import org.orthoinit.model.AlexNet;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.plot.InitReportChart;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The orthogonality of every block after each init, as JSON, a figure and a table. */
@Command(name = "init-report", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Initialize the model each way and measure, block by block, how orthogonal its "
        + "representations of a batch of training images are (the paper's gap V, Eq. 2).")
final class InitReportCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  DataOptions data;

  @Mixin
  ModelOptions model;

  @Mixin
  RunOptions run;

  @Option(names = "--init", split = ",", paramLabel = "INIT", converter = InitConverter.class,
      completionCandidates = InitConverter.Ids.class,
      description = "Inits to compare, comma-separated, of ${COMPLETION-CANDIDATES} (default: "
          + "all of them).")
  List<Initializer> inits;

  @Option(names = "--batch-norm-baseline", negatable = true, defaultValue = "true",
      fallbackValue = "true",
      description = "Also Xavier on the model with batch norm after each extra block "
          + "(default: on; --no-batch-norm-baseline leaves it out).")
  boolean batchNormBaseline;

  @Mixin
  LsuvOptions lsuv;

  @Option(names = "--out", paramLabel = "DIR", defaultValue = "results/init-report",
      description = "Output folder (default: ${DEFAULT-VALUE}).")
  Path out;

  @Mixin
  DeviceOptions device;

  @Override
  public Integer call() throws Exception {
    ModelConfig config = model.config();
    int batch = run.checked().initBatch;
    if (inits == null) {
      inits = Initializers.all();
    }
    inits.forEach(i -> lsuv.check(i, batch));
    Path dataDir = data.resolve(spec.commandLine().getErr()); // before anything is written
    Checks.writableFolder(out, "--out");
    Cifar10Data train = Cifar10.load(dataDir, Cifar10.Split.TRAIN);
    SvdPreflight.checkBatch(AlexNet.of(config),
        Math.min(batch, train.size()));
    Lsuv.Settings settings = lsuv.settings();
    InitReport.Options options = new InitReport.Options(inits.stream()
        .<Initializer>map(i -> Initializers.configured(i, null, settings)).toList(),
        batchNormBaseline && !config.batchNorm());
    PrintWriter err = spec.commandLine().getErr();
    err.println("init-report: " + (inits.size() + (options.batchNormBaseline() ? 1 : 0))
        + " curve(s), " + config.numLayers() + " extra layers, level " + config.level() + ", "
        + batch + " images");
    err.flush();
    InitReport report = InitReport.run(config, options, run.seed, batch, train, run.threads,
        device.resolve(err), id -> {
          err.println("init-report: " + id);
          err.flush();
        });
    String base = RunNames.initReport(config, run.seed);
    Path json = out.resolve(base + ".json");
    ResultStore.write(json, report);
    List<Path> figures = InitReportChart.save(report, out.resolve(base));
    PrintWriter o = spec.commandLine().getOut();
    o.print(table(report));
    o.println("wrote " + json + " and " + figures.get(0).getFileName() + " (.svg, .pdf)");
    return 0;
  }

  static String table(InitReport report) {
    StringBuilder s = new StringBuilder(String.format("%-14s", "block"));
    report.curves().forEach(c -> s.append(String.format(" %15s", c.init())));
    s.append('\n');
    int blocks = report.curves().get(0).gaps().size();
    for (int i = 0; i < blocks; i++) {
      s.append(String.format("%-14s", report.curves().get(0).gaps().get(i).layer()));
      for (InitReport.Curve c : report.curves()) {
        Probe.BlockGap g = c.gaps().get(i);
        s.append(String.format(" %15.4f", g.gap()));
      }
      s.append('\n');
    }
    s.append(String.format("%-14s", "gram ratio"));
    report.curves().forEach(c -> s.append(String.format(" %15.4f", c.gramRatio())));
    s.append('\n').append(String.format("%-14s", "init seconds"));
    report.curves().forEach(c -> s.append(String.format(" %15.1f", c.seconds())));
    return s.append('\n').toString();
  }
}
