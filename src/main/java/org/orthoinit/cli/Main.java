package org.orthoinit.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine;

/** The {@code orthoinit} command: only lists its subcommands. */
@Command(name = "orthoinit",
    description = "Deep AlexNets on CIFAR-10 from Xavier and from the paper's SVD-based "
        + "orthogonal initialization (Daneshmand, Joudaki, Bach, NeurIPS 2021, Figure 7).",
    synopsisSubcommandLabel = "COMMAND",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    subcommands = {
        DownloadCommand.class,
        SummaryCommand.class,
        TrainCommand.class,
        PredictCommand.class,
        ExportCommand.class,
        InitCommand.class,
        InitReportCommand.class,
        InitsCommand.class,
        BenchCommand.class,
        Figure7Command.class,
        PlotCommand.class,
        StatusCommand.class,
        CompareCommand.class,
        DoctorCommand.class,
        CommandLine.HelpCommand.class
    })
public final class Main {

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line: errors become one stderr line and an exit code. */
  public static CommandLine commandLine() {
    return new CommandLine(new Main())
        .setExecutionExceptionHandler(new Errors())
        .setParameterExceptionHandler(Errors::usage)
        .setCaseInsensitiveEnumValuesAllowed(true);
  }
}
