package org.orthoinit.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orthoinit.data.Cifar10Data;
import org.orthoinit.experiment.GridStatus.State;
import org.orthoinit.init.Initializers;
import org.orthoinit.model.Compute;

/**
 * {@code status} from the folder alone: a grid of four runs, one finished, one diverged, one
 * stopped after its first epoch (the process died), one never started; then the same folder
 * while a process holds the last two.
 */
class GridStatusTest {

  @TempDir
  static Path tmp;

  private static Path out;

  /** 0 extra layers, 30 images, 2 epochs, 2 repeats: L0_xavier_r0, L0_svd_r0, then r1. */
  private static final Figure7Config GRID = new Figure7Config("test", List.of(0),
      List.of(Initializers.XAVIER, Initializers.SVD), 2, 2, 30, 10, 0.001f, 30, 30, 5);

  /** Dies at the start of the third run's second epoch, as a killed process would stop. */
  private static final class Crash implements Figure7.Listener {
    private int run;

    @Override
    public void runStarted(Figure7Config.Run r, int position, int todo) {
      run = position;
    }

    @Override
    public void epochStarted(int epoch, int batches) {
      if (run == 3 && epoch == 2) {
        throw new IllegalStateException("killed");
      }
    }
  }

  @BeforeAll
  static void grid() throws Exception {
    Cifar10Data all = org.orthoinit.TestImages.randomData(40, 9);
    out = tmp.resolve("f7");
    IllegalStateException killed = assertThrows(IllegalStateException.class,
        () -> Figure7.run(GRID, Shard.ALL, out, "fake", all.first(30), all.first(10), 0,
            Compute.CPU, 1, new Crash()));
    assertEquals("killed", killed.getMessage());
    // the second run's loss went non-finite in its second epoch, as a diverged run records it
    Path svd = out.resolve("runs/L0_svd_r0.json");
    ObjectNode json = (ObjectNode) ResultStore.JSON.readTree(svd.toFile());
    json.put("status", "diverged");
    ((ObjectNode) json.withArray("epochs").get(1)).putNull("loss");
    ResultStore.JSON.writeValue(svd.toFile(), json);
  }

  private static Map<String, GridStatus.Entry> byName(GridStatus s) {
    return s.runs().stream().collect(java.util.stream.Collectors.toMap(GridStatus.Entry::run,
        e -> e));
  }

  @Test
  void aFolderNoProcessHoldsShowsDoneDivergedStoppedAndMissingRuns() throws Exception {
    GridStatus s = GridStatus.of(out);
    assertEquals(List.of("L0_xavier_r0", "L0_svd_r0", "L0_xavier_r1", "L0_svd_r1"),
        s.runs().stream().map(GridStatus.Entry::run).toList());
    Map<String, GridStatus.Entry> e = byName(s);
    GridStatus.Entry done = e.get("L0_xavier_r0");
    assertEquals(State.DONE, done.state());
    assertEquals(2, done.epoch());
    double lastLoss = ResultStore.readRun(out.resolve("runs/L0_xavier_r0.json")).epochs().get(1)
        .loss();
    assertEquals(lastLoss, done.loss());
    assertTrue(lastLoss > 2.0 && lastLoss < 2.6, "10 classes, untrained: about ln 10");

    assertEquals(State.DIVERGED, e.get("L0_svd_r0").state());
    assertNull(e.get("L0_svd_r0").loss());

    GridStatus.Entry stopped = e.get("L0_xavier_r1");
    assertEquals(State.STOPPED, stopped.state());
    assertEquals(1, stopped.epoch(), "the checkpoint after epoch 1");
    assertEquals(RunCheckpoint.host(), stopped.host());
    assertEquals(ProcessHandle.current().pid(), stopped.pid());

    GridStatus.Entry missing = e.get("L0_svd_r1");
    assertEquals(State.MISSING, missing.state());
    assertNull(missing.epoch());

    assertEquals(Map.of(State.DONE, 1, State.DIVERGED, 1, State.RUNNING, 0, State.QUEUED, 0,
        State.STOPPED, 1, State.MISSING, 1), s.counts());
    assertTrue(Files.exists(out.resolve("runs/L0_xavier_r1.ckpt")), "status writes nothing");
  }

  @Test
  void runsAProcessHoldsAreRunningWithTheirCheckpointAndQueuedWithout() throws Exception {
    // a shard holding positions 2 and 3, as a live figure7 --shard would
    try (GridLock lock = GridLock.acquire(out, List.of(2, 3), alone -> { })) {
      Map<String, GridStatus.Entry> e = byName(GridStatus.of(out));
      assertEquals(State.RUNNING, e.get("L0_xavier_r1").state());
      assertEquals(1, e.get("L0_xavier_r1").epoch());
      assertEquals(State.QUEUED, e.get("L0_svd_r1").state());
      assertEquals(State.DONE, e.get("L0_xavier_r0").state());
    }
    assertEquals(State.STOPPED, byName(GridStatus.of(out)).get("L0_xavier_r1").state(),
        "the lock is gone with its process");
  }

  @Test
  void aFolderThatIsNoGridIsAnError() {
    ExperimentException e = assertThrows(ExperimentException.class,
        () -> GridStatus.of(tmp.resolve("nothing")));
    assertTrue(e.getMessage().contains("figure7.json"), e.getMessage());
  }
}
