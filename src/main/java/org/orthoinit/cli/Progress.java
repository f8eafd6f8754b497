package org.orthoinit.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.text.DecimalFormat;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.InteractiveConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.orthoinit.data.DownloadListener;
import org.orthoinit.experiment.Figure7;
import org.orthoinit.experiment.Figure7Config;
import org.orthoinit.experiment.RunResult;
import org.orthoinit.experiment.TrainingRun;
import org.orthoinit.train.EpochResult;

/** Progress bars on stderr for the listeners of the packages below, which never print. */
final class Progress {

  /** Characters of a bar in a log: room for a grid position, a run name and the loss. */
  private static final int LOG_WIDTH = 120;

  /** Steps or megabytes a second with its leading zero: 0.5/s, not .5/s (one per bar). */
  private static DecimalFormat speed() {
    return new DecimalFormat("0.0");
  }

  /** How often a bar redraws. */
  private static final int UPDATE_MILLIS = 500;

  private Progress() {}

  /**
   * On a terminal, bars that keep their own lines (the grid's above the epoch's); in a log, plain
   * carriage-return updates.
   */
  static ConsoleProgressBarConsumer consumer() {
    return System.console() != null ? new InteractiveConsoleProgressBarConsumer(System.err)
        : new ConsoleProgressBarConsumer(System.err, LOG_WIDTH);
  }

  static ProgressBar bar(String task, long max, String unit) {
    ProgressBarBuilder b = new ProgressBarBuilder()
        .setTaskName(task)
        .setInitialMax(max)
        .setStyle(ProgressBarStyle.ASCII)
        .setUpdateIntervalMillis(UPDATE_MILLIS)
        .setConsumer(consumer())
        .showSpeed(speed());
    if (unit != null) {
      b.setUnit(" " + unit, 1);
    }
    return b.build();
  }

  /** A bar over the bytes of a download. */
  static final class Download implements DownloadListener, AutoCloseable {
    private final PrintWriter err;
    private ProgressBar bar;

    Download(PrintWriter err) {
      this.err = err;
    }

    @Override
    public void start(long totalBytes) {
      err.flush();
      bar = new ProgressBarBuilder().setTaskName("download").setInitialMax(totalBytes)
          .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(UPDATE_MILLIS)
          .setConsumer(new ConsoleProgressBarConsumer(System.err))
          .setUnit(" MB", 1 << 20).showSpeed(speed()).build();
    }

    @Override
    public void advance(long bytes) {
      if (bar != null) {
        bar.stepBy(bytes);
      }
    }

    @Override
    public void finish() {
      close();
    }

    @Override
    public void close() {
      if (bar != null) {
        bar.close();
        bar = null;
      }
    }
  }

  /** One bar per epoch, its steps as the unit, with the running loss. */
  static class Training implements TrainingRun.Listener, AutoCloseable {
    protected String label;
    protected final PrintWriter err;
    private ProgressBar bar;
    private double sum;

    Training(String label, PrintWriter err) {
      this.label = label;
      this.err = err;
    }

    @Override
    public void stage(String what) {
      endEpochBar();
      err.println(label + ": " + what);
      err.flush();
    }

    @Override
    public void epochStarted(int epoch, int batches) {
      endEpochBar();
      sum = 0;
      bar = bar(label + " epoch " + epoch, batches, null);
    }

    @Override
    public void stepDone(int epoch, int step, double loss) {
      sum += loss;
      bar.step();
      if (step % 10 == 0) {
        bar.setExtraMessage(String.format(" loss %.4f", sum / step));
      }
    }

    @Override
    public void epochDone(EpochResult result) {
      endEpochBar();
      err.printf("%s epoch %d: loss %.4f (%.1f s)%n", label, result.epoch(), result.loss(),
          result.seconds());
      err.flush();
    }

    final void endEpochBar() {
      if (bar != null) {
        bar.close();
        bar = null;
      }
    }

    @Override
    public void close() {
      endEpochBar();
    }
  }

  /**
   * The grid: each run's epoch bar is labelled with its place in the grid, and each run start
   * gives the grid's ETA from the runs finished so far; finished runs get a line on stdout.
   */
  static final class Grid extends Training implements Figure7.Listener {
    private final PrintWriter out;
    private final long start = System.nanoTime();
    private int trained;
    /** Epochs of the whole grid still to train, with its ETA. */
    private ProgressBar grid;

    @Override
    public void gridStarted(int runs, int epochs) {
      if (runs > 0) {
        grid = bar("figure7 grid (" + runs + " runs)", (long) runs * epochs, "epochs");
      }
    }

    @Override
    public void epochDone(EpochResult result) {
      super.epochDone(result);
      if (grid != null) {
        grid.step();
      }
    }

    @Override
    public void close() {
      endEpochBar();
      if (grid != null) {
        grid.close();
        grid = null;
      }
    }

    Grid(PrintWriter err, PrintWriter out) {
      super("figure7", err);
      this.out = out;
    }

    @Override
    public void runStarted(Figure7Config.Run run, int position, int todo) {
      endEpochBar();
      String eta = "";
      if (trained > 0) {
        double perRun = (System.nanoTime() - start) / 1e9 / trained;
        eta = String.format(", grid ETA %s", duration(perRun * (todo - position + 1)));
      }
      label = "[" + position + "/" + todo + "] " + run.name();
      stage("started" + eta);
    }

    @Override
    public void runDone(RunResult result, boolean skipped) {
      endEpochBar();
      if (!skipped) {
        trained++;
      }
      out.println(Report.oneLine(result) + (skipped ? " (finished before, kept)" : ""));
      out.flush();
    }

    @Override
    public void runSetAside(Path file, Path moved, String why) {
      endEpochBar();
      err.println("figure7: " + why + "; moved to " + moved.getFileName()
          + ", training the run again");
      err.flush();
    }

    @Override
    public void runFailed(Figure7Config.Run run, String why) {
      endEpochBar();
      err.println("figure7: " + run.name() + " failed: " + why + "; going on with the others");
      err.flush();
    }

    static String duration(double seconds) {
      long s = Math.round(seconds);
      return String.format("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }
  }
}
