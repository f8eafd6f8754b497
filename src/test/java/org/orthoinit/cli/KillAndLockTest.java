package org.orthoinit.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orthoinit.TestImages;
import org.orthoinit.experiment.Figure7;
import org.orthoinit.experiment.Figure7Config;
import org.orthoinit.experiment.GridLock;
import org.orthoinit.experiment.ResultStore;
import org.orthoinit.experiment.RunResult;

/**
 * figure7 as a separate process, killed with SIGKILL at several moments and rerun each time; and
 * two processes on one folder.
 */
class KillAndLockTest {

  @TempDir
  Path tmp;

  private static final List<String> GRID = List.of("--preset", "smoke", "--layers", "0",
      "--repeats", "2", "--inits", "xavier,svd", "--train-limit", "60", "--test-limit", "20",
      "--threads", "1");

  /** A figure7 process and the file its stdout and stderr go to. */
  private record Started(Process process, Path log) {
    String output() throws IOException {
      return Files.readString(log);
    }
  }

  /**
   * Starts figure7 in a new JVM; every result write pauses 300 ms between its synced temp file and
   * the rename, so that a kill can land inside a write.
   */
  private Started start(Path data, Path out, List<String> more) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin",
        "java").toString(), "-Xmx2g", "-Dorthoinit.test.writePauseMs=300", "-cp",
        System.getProperty("java.class.path"), "org.orthoinit.cli.Main", "figure7", "--data",
        data.toString(), "--out", out.toString()));
    cmd.addAll(GRID);
    cmd.addAll(more);
    Path log = tmp.resolve("log-" + System.nanoTime() + ".txt");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
    return new Started(pb.start(), log);
  }

  /** Polls every millisecond until {@code condition} holds or the process ends. */
  private static boolean waitFor(Process p, BooleanSupplier condition, long timeoutMs)
      throws InterruptedException {
    long end = System.currentTimeMillis() + timeoutMs;
    while (System.currentTimeMillis() < end && p.isAlive()) {
      if (condition.getAsBoolean()) {
        return true;
      }
      Thread.sleep(1);
    }
    return false;
  }

  private static Map<String, byte[]> runFiles(Path out) throws IOException {
    Map<String, byte[]> m = new TreeMap<>();
    Path runs = out.resolve(Figure7.RUNS);
    if (Files.isDirectory(runs)) {
      try (var s = Files.list(runs)) {
        for (Path p : s.toList()) {
          if (p.getFileName().toString().endsWith(".json")
              && !p.getFileName().toString().startsWith(".")) {
            m.put(p.getFileName().toString(), Files.readAllBytes(p));
          }
        }
      }
    }
    return m;
  }

  private static boolean tempFileIn(Path out) {
    try (var s = Files.list(out.resolve(Figure7.RUNS))) {
      return s.anyMatch(p -> p.getFileName().toString().endsWith(".tmp"));
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Starts the grid and SIGKILLs it at each moment in turn, checking after each kill that every
   * run file finished before is unchanged and every run file there reads whole. Returns the
   * first moment a kill missed (the process ended, or was past a write when killed), or null.
   */
  private String killAtEveryMoment(Path data, Path out, List<String> moments,
      Map<String, byte[]> kept) throws Exception {
    for (String moment : moments) {
      Process p = start(data, out, List.of()).process();
      int before = runFiles(out).size();
      boolean reached = switch (moment) {
        case "startup" -> waitFor(p, () -> false, 1500) || p.isAlive();
        case "a result write" -> waitFor(p, () -> tempFileIn(out), 120_000);
        default -> waitFor(p, () -> {
          try {
            return runFiles(out).size() > before;
          } catch (IOException e) {
            return false;
          }
        }, 120_000);
      };
      boolean landed = reached && p.isAlive();
      if (landed) {
        p.destroyForcibly(); // SIGKILL
      }
      assertTrue(p.waitFor(60, TimeUnit.SECONDS));
      if (moment.equals("a result write")) {
        landed &= tempFileIn(out); // killed inside the write: its temp file is left
      }
      // whatever was finished before stays byte for byte
      Map<String, byte[]> now = runFiles(out);
      for (var e : kept.entrySet()) {
        assertArrayEquals(e.getValue(), now.get(e.getKey()), moment + ": " + e.getKey());
      }
      for (var e : now.entrySet()) {
        ResultStore.readRun(out.resolve(Figure7.RUNS).resolve(e.getKey())); // whole, or throws
        kept.putIfAbsent(e.getKey(), e.getValue());
      }
      if (!landed) {
        return moment;
      }
    }
    return null;
  }

  @Test
  void killedAtAnyMomentARerunFinishesTheGridWithoutLosingOrRedoingFinishedRuns()
      throws Exception {
    Path data = TestImages.writeDataset(tmp.resolve("cifar"), 60, 20);
    List<String> moments = List.of("startup", "first run written", "a result write",
        "a result write", "second run written");
    // every kill must land where it is aimed; a grid where one misses (the process got past
    // the moment first) is started again in a fresh folder, at most three times
    Path out = null;
    Map<String, byte[]> kept = new TreeMap<>();
    String missed = null;
    for (int attempt = 1; attempt <= 3; attempt++) {
      out = tmp.resolve("f7-" + attempt);
      kept.clear();
      missed = killAtEveryMoment(data, out, moments, kept);
      if (missed == null) {
        break;
      }
      System.err.println("KillAndLockTest: attempt " + attempt + " missed " + missed);
    }
    assertNull(missed, "three grids, and a kill missed its moment in each: " + missed);
    Started last = start(data, out, List.of());
    assertTrue(last.process().waitFor(300, TimeUnit.SECONDS));
    assertEquals(0, last.process().exitValue(), last.output());
    Map<String, byte[]> done = runFiles(out);
    assertEquals(List.of("L0_svd_r0.json", "L0_svd_r1.json", "L0_xavier_r0.json",
        "L0_xavier_r1.json"), List.copyOf(done.keySet()));
    Figure7Config config = Figure7.settings(out);
    for (var e : done.entrySet()) {
      RunResult r = ResultStore.readRun(out.resolve(Figure7.RUNS).resolve(e.getKey()));
      assertEquals(config.epochs(), r.epochs().size());
      assertEquals(Figure7.spec(config, config.runs().stream()
          .filter(run -> e.getKey().equals(run.name() + ".json")).findFirst().orElseThrow(),
          r.spec().threads()), r.spec());
    }
    for (var e : kept.entrySet()) {
      assertArrayEquals(e.getValue(), done.get(e.getKey()), "final: " + e.getKey());
    }
    assertTrue(!tempFileIn(out), "temp files left");
  }

  /** Waits until the process's output shows it training (its progress names a run). */
  private static boolean training(Started s) throws InterruptedException {
    return waitFor(s.process(), () -> {
      try {
        return s.output().contains("] L0_");
      } catch (IOException e) {
        return false;
      }
    }, 120_000);
  }

  @Test
  void aSecondProcessOnTheSameRunsIsRefusedAnotherShardIsNot() throws Exception {
    Path data = TestImages.writeDataset(tmp.resolve("cifar"), 60, 20);
    Path out = tmp.resolve("f7");
    // 500 epochs of 2 steps: the first process trains far longer than this test looks
    List<String> shard0 = List.of("--shard", "0/2", "--epochs", "500");
    List<Started> all = new ArrayList<>();
    try {
      Started a = start(data, out, shard0);
      all.add(a);
      assertTrue(training(a), a.output());
      // the same shard, and the whole grid, overlap the first process's runs 0 and 2
      for (List<String> same : List.of(shard0, List.of("--epochs", "500"))) {
        Started b = start(data, out, same);
        all.add(b);
        assertTrue(b.process().waitFor(60, TimeUnit.SECONDS));
        assertEquals(1, b.process().exitValue(), b.output());
        assertTrue(b.output().contains(out + ": another figure7 is running into this folder"),
            b.output());
      }
      // other settings while the first process trains its first run (no run file yet)
      byte[] settings = Files.readAllBytes(out.resolve(Figure7.SETTINGS_FILE));
      Started other = start(data, out, List.of("--shard", "1/2", "--epochs", "7"));
      all.add(other);
      assertTrue(other.process().waitFor(60, TimeUnit.SECONDS));
      assertEquals(1, other.process().exitValue(), other.output());
      assertTrue(other.output().contains("another figure7 is running into this folder with other "
          + "settings (config.epochs 7 here, 500 in the folder)"), other.output());
      assertArrayEquals(settings, Files.readAllBytes(out.resolve(Figure7.SETTINGS_FILE)));
      assertTrue(a.process().isAlive(), "the first process kept going");
      Started c = start(data, out, List.of("--shard", "1/2", "--epochs", "500"));
      all.add(c);
      assertTrue(training(c), c.output()); // runs 1 and 3: no overlap, no refusal
      a.process().destroyForcibly(); // SIGKILL: the OS drops its locks
      a.process().waitFor(30, TimeUnit.SECONDS);
      Started d = start(data, out, shard0);
      all.add(d);
      assertTrue(training(d), d.output()); // its runs are free again
    } finally {
      for (Started s : all) {
        s.process().destroyForcibly();
        s.process().waitFor(30, TimeUnit.SECONDS);
      }
    }
  }
}
