package org.orthoinit.cli;

import java.io.PrintWriter;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.orthoinit.data.DownloadListener;
import org.orthoinit.experiment.TrainingRun;
import org.orthoinit.train.EpochResult;

/** Progress bars on stderr for the listeners of the packages below, which never print. */
final class Progress {

  /** How often a bar redraws. */
  private static final int UPDATE_MILLIS = 500;

  private Progress() {}

  static ProgressBar bar(String task, long max, String unit) {
    ProgressBarBuilder b = new ProgressBarBuilder()
        .setTaskName(task)
        .setInitialMax(max)
        .setStyle(ProgressBarStyle.ASCII)
        .setUpdateIntervalMillis(UPDATE_MILLIS)
        .setConsumer(new ConsoleProgressBarConsumer(System.err))
        .showSpeed();
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
          .setUnit(" MB", 1 << 20).showSpeed().build();
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
    private final String label;
    private final PrintWriter err;
    private ProgressBar bar;
    private double sum;

    Training(String label, PrintWriter err) {
      this.label = label;
      this.err = err;
    }

    @Override
    public void stage(String what) {
      close();
      err.println(label + ": " + what);
      err.flush();
    }

    @Override
    public void epochStarted(int epoch, int batches) {
      close();
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
      close();
      err.printf("%s epoch %d: loss %.4f (%.1f s)%n", label, result.epoch(), result.loss(),
          result.seconds());
      err.flush();
    }

    @Override
    public void close() {
      if (bar != null) {
        bar.close();
        bar = null;
      }
    }
  }
}
