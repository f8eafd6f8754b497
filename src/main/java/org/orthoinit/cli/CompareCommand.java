package org.orthoinit.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.orthoinit.experiment.Comparison;
import org.orthoinit.experiment.Figure7;
import org.orthoinit.experiment.ResultStore;
import org.orthoinit.interop.PytorchResults;
import org.orthoinit.plot.CompareChart;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Our Figure 7 against the seed's PyTorch numbers. */
@Command(name = "compare", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Hold a figure7 results folder against PyTorch's curves: the seed notebook's "
        + "np.save([results_novel, results_xavier]) (.npy, float64 [2, repeats, depths, epochs]) "
        + "or a CSV (init,layers,repeat,epoch,loss). Prints a per-epoch table with Welch's "
        + "t-test of the repeats, says per curve whether the two are distinguishable at the 5%% "
        + "level, and draws compare_<layers>.png/.svg/.pdf.")
final class CompareCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--pytorch", required = true, paramLabel = "FILE.npy|FILE.csv",
      description = "PyTorch's training losses.")
  Path pytorch;

  @Option(names = "--ours", paramLabel = "DIR", defaultValue = "results/figure7",
      description = "A figure7 results folder (default: ${DEFAULT-VALUE}).")
  Path ours;

  @Option(names = "--layers", split = ",", paramLabel = "N",
      description = "The depths of the .npy's third axis, in order (the seed's: 15,75).")
  List<Integer> layers;

  @Option(names = "--out", paramLabel = "DIR",
      description = "Where compare.json and the figures go (default: the --ours folder).")
  Path out;

  @Mixin
  BandOption band;

  @Override
  public Integer call() throws Exception {
    if (layers != null) {
      Flags.depths("--layers", layers);
    }
    if (Figure7.settings(ours).network() != null) {
      throw new IllegalArgumentException("--ours: " + ours + " is a grid of "
          + Figure7.settings(ours).network().name() + "; PyTorch's curves are of the seed's "
          + "AlexNet at its depths");
    }
    PytorchResults.Curves theirs = PytorchResults.read(pytorch, layers);
    // reads --ours only: its summary.json is plot's and figure7's to write
    Comparison c = Comparison.of(Figure7.losses(ours), theirs.byDepth(), band.band);
    Path dir = out != null ? out : ours;
    Checks.writableFolder(dir, "--out");
    ResultStore.write(dir.resolve("compare.json"), c);
    List<Path> figures = CompareChart.saveAll(c, dir);
    PrintWriter o = spec.commandLine().getOut();
    o.printf("%-6s %-9s %5s %9s %9s %9s %7s  %s%n", "layers", "init", "epoch", "orthoinit",
        "PyTorch", "diff", "p", "PyTorch inside our band (" + band.band.id() + ")");
    for (Comparison.Row r : c.rows()) {
      o.printf("%-6d %-9s %5d %9s %9s %9s %7s  %s%n", r.layers(), r.init(), r.epoch(),
          fmt(r.ours()), fmt(r.theirs()),
          r.difference() == null ? "-" : String.format("%+.4f", r.difference()),
          r.p() == null ? "-" : String.format("%.3f", r.p()),
          r.inside() == null ? "-" : r.inside() ? "yes" : "no");
    }
    for (Comparison.Verdict v : c.verdicts()) {
      o.printf("%d layers %s: %s%n", v.layers(), v.init(), verdict(v));
    }
    figures.stream().filter(p -> p.toString().endsWith(".png"))
        .forEach(p -> o.println("figure: " + p + " (.svg, .pdf)"));
    return 0;
  }

  /** One curve's verdict in words. */
  static String verdict(Comparison.Verdict v) {
    if (v.distinguishable() == null) {
      return String.format("not tested (%d repeat(s) here, %d in PyTorch's; Welch's test needs "
          + "2 or more on each side)", v.ourRepeats(), v.theirRepeats());
    }
    return String.format("%s at the 5%% level (Welch's t-test per epoch, %d vs %d repeats; "
        + "smallest p %.3f at epoch %d, x %d epochs = %.3f with Holm's correction; %d epoch(s) "
        + "below 0.05 uncorrected)",
        v.distinguishable() ? "DISTINGUISHABLE" : "not distinguishable", v.ourRepeats(),
        v.theirRepeats(), v.smallestP(), v.smallestPEpoch(), v.tested(),
        Math.min(1, v.smallestP() * v.tested()), v.differentEpochs());
  }

  private static String fmt(Double d) {
    return d == null ? "-" : String.format("%.4f", d);
  }
}
