package org.orthoinit.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.orthoinit.data.DataException;
import org.orthoinit.experiment.ExperimentException;
import org.orthoinit.init.InitException;
import org.orthoinit.interop.InteropException;
import org.orthoinit.model.Devices;
import org.orthoinit.model.GradientCheckException;
import org.orthoinit.util.Text;
import org.tensorflow.exceptions.TensorFlowException;
import picocli.CommandLine;

/**
 * Maps exceptions to exit codes: a user's mistake in flags is 2 (picocli's usage code), a bad file
 * or a failed step is 1, each with one line on stderr; anything else is a bug and keeps its trace.
 */
final class Errors implements CommandLine.IExecutionExceptionHandler {

  /** A file, a data set or a step failed. */
  static final int FAILED = 1;
  /** Bad flags or values. */
  static final int USAGE = 2;

  @Override
  public int handleExecutionException(Exception e, CommandLine cmd,
      CommandLine.ParseResult parsed) {
    String name = cmd.getCommandName();
    if (e instanceof TensorFlowException
        || e.getClass().getPackageName().equals(TensorFlowException.class.getPackageName())) {
      // some (TFInvalidArgumentException, TFUnimplementedException) extend Java's own exceptions
      // instead of TensorFlowException, but they are failures of a step, not of flags
      cmd.getErr().println(name + ": TensorFlow failed: " + Text.firstLine(e.getMessage()));
      return FAILED;
    }
    if (e instanceof IllegalArgumentException) {
      cmd.getErr().println(name + ": " + e.getMessage());
      return USAGE;
    }
    if (e instanceof DataException || e instanceof InteropException
        || e instanceof InitException || e instanceof ExperimentException
        || e instanceof Devices.Unavailable || e instanceof GradientCheckException) {
      cmd.getErr().println(name + ": " + e.getMessage());
      return FAILED;
    }
    if (e instanceof IOException || e instanceof UncheckedIOException) {
      Throwable io = e instanceof UncheckedIOException u ? u.getCause() : e;
      cmd.getErr().println(name + ": " + describe(io));
      return FAILED;
    }
    cmd.getErr().println(name + ": internal error, please report it with this trace:");
    e.printStackTrace(cmd.getErr());
    return 70;
  }

  /** A flag picocli could not parse: one line naming it, and where the help is. */
  static int usage(CommandLine.ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    cmd.getErr().println(cmd.getCommandName() + ": " + e.getMessage() + " (see '"
        + cmd.getCommandSpec().qualifiedName() + " --help')");
    return USAGE;
  }

  /** An IOException's message usually names only the file; say what went wrong with it too. */
  static String describe(Throwable io) {
    String kind = io.getClass().getSimpleName()
        .replace("Exception", "")
        .replaceAll("([a-z])([A-Z])", "$1 $2")
        .toLowerCase();
    if (io.getMessage() == null) {
      return kind;
    }
    // a plain IOException's message is the whole story; a subclass's kind adds to it
    return io.getClass() == IOException.class ? io.getMessage()
        : io.getMessage() + " (" + kind + ")";
  }
}
