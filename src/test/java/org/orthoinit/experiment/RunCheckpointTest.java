package org.orthoinit.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orthoinit.data.Cifar10Data;
import org.orthoinit.init.Initializers;
import org.orthoinit.model.Compute;

/**
 * Checkpoints that must not be continued: corrupt values, variables that do not fit the model, a
 * run started from other weights. Each is refused with one line naming the file.
 */
class RunCheckpointTest {

  @TempDir
  static Path tmp;

  private static Cifar10Data train;
  private static RunSpec spec;
  /** The checkpoint a 2-epoch Xavier run leaves after its first epoch. */
  private static Path written;

  @BeforeAll
  static void run() throws Exception {
    train = org.orthoinit.TestImages.randomData(30, 4);
    Figure7Config c = new Figure7Config("test", List.of(0), List.of(Initializers.XAVIER), 1, 2, 30,
        10, 0.001f, 30, 30, 5);
    spec = Figure7.spec(c, c.runs().get(0), 1);
    written = tmp.resolve("run.ckpt");
    TrainingRun.execute("L0_xavier_r0", spec, Compute.CPU, "fake", train, null, null,
        new TrainingRun.Checkpoints(written, 1), TrainingRun.Saving.NONE,
        TrainingRun.Listener.NONE);
    assertEquals(1, RunCheckpoint.header(written).epoch());
  }

  private static Path copy(String name) throws Exception {
    Path p = tmp.resolve(name);
    Files.copy(written, p);
    return p;
  }

  private static RunResult resume(Path checkpoint, Map<String, float[]> weights)
      throws Exception {
    return TrainingRun.execute("L0_xavier_r0", spec, Compute.CPU, "fake", train, null, weights,
        new TrainingRun.Checkpoints(checkpoint, 1), TrainingRun.Saving.NONE,
        TrainingRun.Listener.NONE);
  }

  @Test
  void aFlippedByteInTheValuesIsCaughtByTheirSha256() throws Exception {
    Path p = copy("flipped.ckpt");
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long at = ch.size() - 1000;
      ByteBuffer b = ByteBuffer.allocate(1);
      ch.read(b, at);
      b.put(0, (byte) (b.get(0) ^ 0x10)).rewind();
      ch.write(b, at);
    }
    ExperimentException e = assertThrows(ExperimentException.class, () -> resume(p, null));
    assertTrue(e.getMessage().startsWith(p + ": its values' SHA-256 is "), e.getMessage());
    assertTrue(e.getMessage().endsWith("; the file is corrupt"), e.getMessage());
  }

  @Test
  void variablesThatDoNotFitTheModelAreRefused() throws Exception {
    RunCheckpoint.State s = RunCheckpoint.read(written);
    Map<String, float[]> fewer = new LinkedHashMap<>(s.variables());
    String dropped = fewer.keySet().iterator().next();
    fewer.remove(dropped);
    Path p = tmp.resolve("fewer.ckpt");
    RunCheckpoint.write(p, s.header(), fewer);
    ExperimentException e = assertThrows(ExperimentException.class, () -> resume(p, null));
    assertEquals(p + ": its variables do not fit the model (" + fewer.size() + " variables, the "
        + "model has " + s.variables().size() + "); the file is corrupt", e.getMessage());

    Map<String, float[]> shorter = new LinkedHashMap<>(s.variables());
    shorter.put(dropped, new float[3]);
    Path q = tmp.resolve("shorter.ckpt");
    RunCheckpoint.write(q, s.header(), shorter);
    e = assertThrows(ExperimentException.class, () -> resume(q, null));
    assertTrue(e.getMessage().startsWith(q + ": its variables do not fit the model (" + dropped
        + ": 3 values for shape "), e.getMessage());
  }

  @Test
  void aRunStartedFromOtherWeightsIsNotContinuedFromXaviersCheckpoint() throws Exception {
    Path p = copy("xavier.ckpt");
    Map<String, float[]> weights = RunCheckpoint.read(written).variables();
    TrainingRun.ForeignCheckpoint e = assertThrows(TrainingRun.ForeignCheckpoint.class,
        () -> resume(p, weights));
    assertTrue(e.getMessage().startsWith(p + ": a checkpoint of a run started from other "
        + "weights: xavier in the checkpoint, weights sha256:"), e.getMessage());
    // the same start continues it
    assertEquals(2, resume(p, null).epochs().size());
  }
}
