package org.orthoinit.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import org.orthoinit.experiment.Figure7;
import org.orthoinit.experiment.GridSummary;
import org.orthoinit.experiment.Stats;
import org.orthoinit.interop.Npy;
import org.orthoinit.model.Prediction;
import org.orthoinit.plot.Figure7Chart;
import picocli.CommandLine.Model.CommandSpec;

/** What more than one command writes and prints: a grid's summary and figures, a prediction. */
final class Outputs {

  private Outputs() {}

  /** Summarizes a figure7 folder, draws its figures and prints what each curve reached. */
  static void drawGrid(Path dir, Stats.Band band, PrintWriter o) throws Exception {
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

  /** Writes logits (and features) and says so on stdout. */
  static void writePrediction(CommandSpec spec, Prediction p, Path logits, Path features)
      throws Exception {
    Npy.writeFloats(logits, p.logits(), p.n(), p.classes());
    String s = "wrote logits [" + p.n() + ", " + p.classes() + "] to " + logits;
    if (features != null) {
      int width = p.n() == 0 ? 0 : p.features().length / p.n();
      Npy.writeFloats(features, p.features(), p.n(), width);
      s += " and features [" + p.n() + ", " + width + "] to " + features;
    }
    spec.commandLine().getOut().println(s);
  }
}
