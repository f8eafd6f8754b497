package org.orthoinit.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.orthoinit.experiment.Comparison;
import org.orthoinit.experiment.Figure7;
import org.orthoinit.experiment.GridSummary;
import org.orthoinit.experiment.ResultStore;
import org.orthoinit.interop.PytorchResults;
import org.orthoinit.plot.CompareChart;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Our Figure 7 against the seed's PyTorch numbers. */
@Command(name = "compare", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Hold a figure7 results folder against PyTorch's curves: the seed notebook's "
        + "np.save([results_novel, results_xavier]) (.npy, float64 [2, repeats, depths, epochs]) "
        + "or a CSV (init,layers,repeat,epoch,loss). Prints a per-epoch table and draws "
        + "compare_<layers>.png/.svg/.pdf.")
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

  @Override
  public Integer call() throws Exception {
    if (layers != null) {
      Flags.depths("--layers", layers);
    }
    PytorchResults.Curves theirs = PytorchResults.read(pytorch, layers);
    // reads --ours only: its summary.json is plot's and figure7's to write
    GridSummary summary = Figure7.summary(ours);
    Comparison c = Comparison.of(summary, theirs.byDepth());
    Path dir = out != null ? out : ours;
    Checks.writableFolder(dir, "--out");
    ResultStore.write(dir.resolve("compare.json"), c);
    List<Path> figures = CompareChart.saveAll(c, dir);
    PrintWriter o = spec.commandLine().getOut();
    o.printf("%-6s %-7s %5s %9s %9s %9s  %s%n", "layers", "init", "epoch", "orthoinit", "PyTorch",
        "diff", "PyTorch inside our 95% band");
    for (Comparison.Row r : c.rows()) {
      o.printf("%-6d %-7s %5d %9s %9s %9s  %s%n", r.layers(), r.init(), r.epoch(), fmt(r.ours()),
          fmt(r.theirs()), r.difference() == null ? "-" : String.format("%+.4f", r.difference()),
          r.inside() == null ? "-" : r.inside() ? "yes" : "no");
    }
    figures.stream().filter(p -> p.toString().endsWith(".png"))
        .forEach(p -> o.println("figure: " + p + " (.svg, .pdf)"));
    return 0;
  }

  private static String fmt(Double d) {
    return d == null ? "-" : String.format("%.4f", d);
  }
}
