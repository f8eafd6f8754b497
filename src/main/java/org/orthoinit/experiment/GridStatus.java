package org.orthoinit.experiment;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a figure7 grid stands, from its results folder alone: which runs are done or diverged,
 * which are being trained (a process holds their lock and wrote their checkpoint) and how far,
 * which wait in a running process, which stopped with a checkpoint a rerun continues, which are
 * missing. What {@code status} prints, for a grid spread
 * over a cluster's shards.
 *
 * @param counts runs per state, in the order of {@link State}
 */
public record GridStatus(Path folder, Figure7Config config, Map<State, Integer> counts,
    List<Entry> runs) {

  /** A run's state. */
  public enum State {
    /** Its result is written. */
    DONE,
    /** Its loss or a weight went non-finite; its result is written. */
    DIVERGED,
    /**
     * A running process holds it and wrote its checkpoint (on this host: that process is alive):
     * it is being trained.
     */
    RUNNING,
    /**
     * A running process holds it and has not written its checkpoint: waiting its turn, or
     * initializing, or training without checkpoints (--checkpoint-every 0); with the checkpoint
     * of an earlier process, it continues from that when its turn comes.
     */
    QUEUED,
    /** No process holds it; its checkpoint lets a rerun continue it. */
    STOPPED,
    /**
     * Nothing of it yet, or a result or checkpoint of other settings, which a rerun sets aside.
     */
    MISSING;

    public String id() {
      return name().toLowerCase();
    }
  }

  /**
   * One run.
   *
   * @param epoch the last complete epoch: of the result, or of the checkpoint (0 = initialized);
   *     null when not known
   * @param host where the checkpoint was written, and {@code pid} by which process
   * @param updated when the checkpoint was written
   * @param loss the last epoch's mean loss, when known
   */
  public record Entry(String run, State state,
      @JsonInclude(JsonInclude.Include.NON_NULL) Integer epoch, int epochs,
      @JsonInclude(JsonInclude.Include.NON_NULL) Double loss,
      @JsonInclude(JsonInclude.Include.NON_NULL) String host,
      @JsonInclude(JsonInclude.Include.NON_NULL) Long pid,
      @JsonInclude(JsonInclude.Include.NON_NULL) String updated) {}

  /** Reads the folder: settings, run files, checkpoints and the lock; writes nothing. */
  public static GridStatus of(Path out) throws ExperimentException, IOException {
    Figure7Config config = Figure7.settings(out);
    List<Figure7Config.Run> grid = config.runs();
    boolean[] held = GridLock.held(out, grid.size());
    List<Entry> entries = new ArrayList<>();
    Map<State, Integer> counts = new LinkedHashMap<>();
    for (State s : State.values()) {
      counts.put(s, 0);
    }
    for (int i = 0; i < grid.size(); i++) {
      Figure7Config.Run run = grid.get(i);
      Entry e = entry(out, config, run, held[i]);
      counts.merge(e.state(), 1, Integer::sum);
      entries.add(e);
    }
    return new GridStatus(out, config, counts, entries);
  }

  private static Entry entry(Path out, Figure7Config config, Figure7Config.Run run,
      boolean held) {
    int epochs = config.epochs();
    RunResult done = Figure7.finished(out, config, run);
    if (done != null) {
      List<RunResult.Epoch> e = done.epochs();
      Double loss = e.isEmpty() ? null : e.get(e.size() - 1).loss();
      return new Entry(run.name(), done.diverged() ? State.DIVERGED : State.DONE, e.size(),
          epochs, loss, null, null, done.finished());
    }
    Path ckpt = Figure7.checkpoint(out, run);
    RunCheckpoint.Header h = null;
    if (Files.exists(ckpt)) {
      try {
        h = RunCheckpoint.header(ckpt);
      } catch (ExperimentException unreadable) {
        h = null; // a rerun sets it aside
      }
    }
    if (h != null && !h.spec().equals(Figure7.spec(config, run, h.spec().threads(),
        Figure7.decomposition(out)))) {
      h = null; // of other settings: a rerun sets it aside and starts the run again
    }
    State state = held ? h != null && written(h) ? State.RUNNING : State.QUEUED
        : h != null ? State.STOPPED : State.MISSING;
    if (h == null) {
      return new Entry(run.name(), state, null, epochs, null, null, null, null);
    }
    List<RunResult.Epoch> e = h.epochs();
    return new Entry(run.name(), state, h.epoch(), epochs,
        e.isEmpty() ? null : e.get(e.size() - 1).loss(), h.host(), h.pid(), h.written());
  }

  /**
   * Whether the process holding the run wrote this checkpoint: on this host, whether the writer is
   * alive (a checkpoint left by a killed process waits for its turn); elsewhere, assumed.
   */
  private static boolean written(RunCheckpoint.Header h) {
    if (!RunCheckpoint.host().equals(h.host())) {
      return true;
    }
    return ProcessHandle.of(h.pid()).map(ProcessHandle::isAlive).orElse(false);
  }
}
