package org.orthoinit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orthoinit.TestImages;
import org.orthoinit.experiment.ExperimentException;
import org.orthoinit.experiment.ResultStore;
import org.orthoinit.experiment.RunCheckpoint;
import org.orthoinit.experiment.RunResult;
import org.orthoinit.init.SvdReport;

/**
 * Runs killed with SIGKILL in the middle of an epoch and in the middle of writing their
 * checkpoint, then rerun: they continue from the last checkpoint and end with the losses,
 * probes and accuracy of an uninterrupted run, bit for bit; nothing temporary is left.
 */
class ResumeTest {

  @TempDir
  Path tmp;

  private Path data;

  /** 10 steps an epoch; one extra layer, so the SVD init has work; one thread, one sum order. */
  private static final List<String> MODEL = List.of("--layers", "1", "--epochs", "3",
      "--train-limit", "300", "--threads", "1", "--device", "cpu");

  @BeforeEach
  void data() throws IOException {
    data = TestImages.writeDataset(tmp.resolve("cifar"), 300, 20);
  }

  private List<String> grid(Path out) {
    List<String> a = new ArrayList<>(List.of("figure7", "--preset", "smoke", "--inits", "svd",
        "--repeats", "1", "--test-limit", "20", "--data", data.toString(), "--out",
        out.toString()));
    a.addAll(MODEL);
    return a;
  }

  private List<String> train(Path out, String... more) {
    List<String> a = new ArrayList<>(List.of("train", "--init", "svd", "--data", data.toString(),
        "--out", out.toString()));
    a.addAll(MODEL);
    a.addAll(List.of(more));
    return a;
  }

  /**
   * The CLI in a new JVM, printing into {@code log}; with {@code pause}, each atomic write waits
   * 300 ms before its rename. Every run of these tests is a process of its own: TensorFlow sizes
   * its CPU thread pool once per process, by the first session, so a run inside the test JVM
   * would not sum in one thread as the others do.
   */
  private Process start(List<String> args, boolean pause, Path log) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin",
        "java").toString(), "-Xmx2g"));
    if (pause) {
      cmd.add("-Dorthoinit.test.writePauseMs=300");
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "org.orthoinit.cli.Main"));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
    return pb.start();
  }

  private Process start(List<String> args, boolean pause) throws IOException {
    return start(args, pause, tmp.resolve("log-" + System.nanoTime() + ".txt"));
  }

  /** A finished process: its exit code and what it printed. */
  private record Ran(int code, String output) {}

  /** The CLI in a new JVM, to its end. */
  private Ran complete(List<String> args) throws IOException, InterruptedException {
    Path log = tmp.resolve("log-" + System.nanoTime() + ".txt");
    Process p = start(args, false, log);
    assertTrue(p.waitFor(600, TimeUnit.SECONDS), "still running: " + args);
    return new Ran(p.exitValue(), Files.readString(log));
  }

  /** Polls until {@code condition} holds; false if the process ended or time ran out first. */
  private static boolean waitFor(Process p, BooleanSupplier condition) throws InterruptedException {
    long end = System.currentTimeMillis() + 300_000;
    while (System.currentTimeMillis() < end && p.isAlive()) {
      if (condition.getAsBoolean()) {
        return true;
      }
      Thread.sleep(2);
    }
    return false;
  }

  private static int epochOf(Path checkpoint) {
    try {
      return Files.exists(checkpoint) ? RunCheckpoint.header(checkpoint).epoch() : -1;
    } catch (ExperimentException e) {
      return -1;
    }
  }

  private static boolean temporaryIn(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.anyMatch(p -> p.getFileName().toString().endsWith(".tmp"));
    } catch (IOException e) {
      return false;
    }
  }

  private static void kill(Process p) throws InterruptedException {
    p.destroyForcibly(); // SIGKILL
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
  }

  private static void assertSameRun(RunResult expected, RunResult actual) {
    assertEquals(expected.epochs().stream().map(RunResult.Epoch::loss).toList(),
        actual.epochs().stream().map(RunResult.Epoch::loss).toList(), "losses");
    assertEquals(expected.orthogonality(), actual.orthogonality(), "probes");
    assertEquals(expected.testAccuracy(), actual.testAccuracy(), "accuracy");
    assertEquals(expected.report(SvdReport.class).outputNorms(),
        actual.report(SvdReport.class).outputNorms(), "the SVD init");
  }

  @Test
  void figure7KilledInAnEpochAndInACheckpointWriteEndsAsAnUninterruptedRun() throws Exception {
    Path a = tmp.resolve("uninterrupted");
    Ran ref = complete(grid(a));
    assertEquals(0, ref.code(), ref.output());
    RunResult expected = ResultStore.readRun(a.resolve("runs/L1_svd_r0.json"));

    Path b = tmp.resolve("killed");
    Path runs = b.resolve("runs");
    Path checkpoint = runs.resolve("L1_svd_r0.ckpt");
    // in the middle of epoch 2: the checkpoint of epoch 1 is there
    Process first = start(grid(b), false);
    assertTrue(waitFor(first, () -> epochOf(checkpoint) >= 1), "no checkpoint of epoch 1");
    Thread.sleep(300);
    kill(first);
    assertFalse(Files.exists(runs.resolve("L1_svd_r0.json")), "the run had not finished");
    int stoppedAt = epochOf(checkpoint);
    assertTrue(stoppedAt == 1 || stoppedAt == 2, "checkpoint of epoch " + stoppedAt);

    // in the middle of replacing that checkpoint: its temporary file is there
    Process second = start(grid(b), true);
    assertTrue(waitFor(second, () -> temporaryIn(runs)), "no checkpoint write seen");
    kill(second);
    assertTrue(epochOf(checkpoint) >= stoppedAt, "the previous checkpoint is whole");

    Ran last = complete(grid(b));
    assertEquals(0, last.code(), last.output());
    assertTrue(last.output().contains("resuming after epoch"), last.output());
    assertSameRun(expected, ResultStore.readRun(runs.resolve("L1_svd_r0.json")));
    assertFalse(Files.exists(checkpoint), "a finished run's checkpoint is removed");
    assertFalse(temporaryIn(runs), "a temporary file was left");
  }

  @Test
  void trainKilledInAnEpochResumesAndRefusesACheckpointOfOtherSettings() throws Exception {
    Path a = tmp.resolve("a.json");
    Ran ref = complete(train(a));
    assertEquals(0, ref.code(), ref.output());
    RunResult expected = ResultStore.readRun(a);

    Path b = tmp.resolve("b.json");
    Path checkpoint = tmp.resolve("b.ckpt");
    Process p = start(train(b), false);
    assertTrue(waitFor(p, () -> epochOf(checkpoint) >= 1), "no checkpoint of epoch 1");
    Thread.sleep(300);
    kill(p);

    Cli again = Cli.run(train(b).toArray(String[]::new));
    assertEquals(2, again.code(), again.err());
    assertEquals("train: " + checkpoint + " holds this run, stopped: --resume continues it; "
        + "delete the file to start again", again.err().strip());
    Cli other = Cli.run(train(b, "--lr", "0.002", "--resume").toArray(String[]::new));
    assertEquals(1, other.code(), other.err());
    assertTrue(other.lastErrLine().startsWith("train: " + checkpoint + ": a checkpoint of other "
        + "settings"), other.lastErrLine());

    Ran resumed = complete(train(b, "--resume"));
    assertEquals(0, resumed.code(), resumed.output());
    assertSameRun(expected, ResultStore.readRun(b));
    assertFalse(Files.exists(checkpoint));
    assertFalse(temporaryIn(tmp));
  }
}
