package org.orthoinit.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.orthoinit.experiment.GridStatus;
import org.orthoinit.experiment.ResultStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Where a figure7 grid stands, from its folder alone. */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = "Print the state of a figure7 results folder from the folder alone: runs done "
        + "or diverged, running (a process trains them: the last epoch it wrote and its host), "
        + "queued in a running process, stopped (a checkpoint a rerun continues) and missing. "
        + "Writes nothing.")
final class StatusCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Parameters(paramLabel = "DIR", defaultValue = "results/figure7",
      description = "A figure7 results folder (default: ${DEFAULT-VALUE}).")
  Path dir;

  @Option(names = "--json", description = "Print the state as JSON.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    GridStatus s = GridStatus.of(dir);
    PrintWriter o = spec.commandLine().getOut();
    if (json) {
      o.println(ResultStore.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(s));
      return 0;
    }
    o.printf("%s: %d runs: %s%n", dir, s.runs().size(), s.counts().entrySet().stream()
        .filter(e -> e.getValue() > 0)
        .map(e -> e.getValue() + " " + e.getKey().id())
        .collect(Collectors.joining(", ")));
    for (GridStatus.Entry e : s.runs()) {
      o.printf("  %-22s %-9s %s%n", e.run(), e.state().id(), detail(e));
    }
    return 0;
  }

  static String detail(GridStatus.Entry e) {
    String loss = e.loss() == null ? "" : String.format(", loss %.4f", e.loss());
    String where = e.host() == null ? "" : " on " + e.host() + " (pid " + e.pid() + ", "
        + e.updated() + ")";
    return switch (e.state()) {
      case DONE -> e.epoch() + "/" + e.epochs() + " epochs" + loss;
      case DIVERGED -> "went non-finite in epoch " + e.epoch();
      case RUNNING -> (e.epoch() == 0 ? "initialized" : "after epoch " + e.epoch() + "/"
          + e.epochs()) + loss + where;
      case QUEUED -> e.epoch() != null ? "held by a running figure7; continues after epoch "
          + e.epoch() + "/" + e.epochs() + " when its turn comes"
          : "held by a running figure7: waiting, initializing, or training without checkpoints";
      case STOPPED -> "after epoch " + e.epoch() + "/" + e.epochs() + loss + where
          + "; a rerun continues it";
      case MISSING -> "";
    };
  }
}
