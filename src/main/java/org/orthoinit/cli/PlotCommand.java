package org.orthoinit.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.orthoinit.experiment.Figure7;
import org.orthoinit.experiment.GridSummary;
import org.orthoinit.experiment.Stats;
import org.orthoinit.plot.Figure7Chart;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Redraws Figure 7 from a results folder's JSON alone. */
@Command(name = "plot", mixinStandardHelpOptions = true,
    description = "Rebuild summary.json from the run files in a figure7 results folder (from any "
        + "number of shards) and redraw convolutional_<layers> and orthogonality_<layers> "
        + "(<network> in a grid of figure7 --model) "
        + "(.png/.svg/.pdf).")
final class PlotCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Parameters(paramLabel = "DIR", defaultValue = "results/figure7",
      description = "A figure7 results folder (default: ${DEFAULT-VALUE}).")
  Path dir;

  @Mixin
  BandOption band;

  @Override
  public Integer call() throws Exception {
    Figure7.settings(dir); // a figure7 folder, or a clear error
    Checks.writableFolder(dir, dir.toString());
    draw(dir, band.band, spec.commandLine().getOut());
    return 0;
  }

  static void draw(Path dir, Stats.Band band, PrintWriter o) throws Exception {
    GridSummary s = Figure7.summarize(dir, band);
    List<Path> figures = Figure7Chart.saveAll(s, dir);
    o.printf("summary of %d run(s)%s -> %s%n", s.runs(),
        s.missing().isEmpty() ? "" : ", " + s.missing().size() + " missing", dir.resolve(
            Figure7.SUMMARY_FILE));
    for (GridSummary.Curve c : s.curves()) {
      String diverged = c.diverged() == 0 ? ""
          : ", " + c.diverged() + " diverged (left out of the curve)";
      if (!c.epochs().isEmpty()) {
        GridSummary.Point last = c.epochs().get(c.epochs().size() - 1);
        o.printf("  %s %-9s: %d run(s), epoch %d loss %.4f%s%s%n", axis(s, c), c.init(),
            c.repeats(), last.epoch(), last.mean(), last.lower() == null ? ""
                : String.format(" [%.4f, %.4f]", last.lower(), last.upper()), diverged);
      } else if (c.diverged() > 0) {
        o.printf("  %s %-9s: every run diverged (%d)%n", axis(s, c), c.init(),
            c.diverged());
      }
    }
    figures.stream().filter(p -> p.toString().endsWith(".png"))
        .forEach(p -> o.println("figure: " + p + " (.svg, .pdf)"));
  }

  /** A curve's depth as the summary lines show it: {@code 75 layers}, or the network's name. */
  private static String axis(GridSummary s, GridSummary.Curve c) {
    return s.config().network() != null ? s.config().network().name()
        : String.format("%2d layers", c.layers());
  }
}
