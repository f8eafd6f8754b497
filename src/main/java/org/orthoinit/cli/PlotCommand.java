package org.orthoinit.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.orthoinit.experiment.Figure7;
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
    Outputs.drawGrid(dir, band.band, spec.commandLine().getOut());
    return 0;
  }
}
