package org.orthoinit.experiment;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Keeps two processes from training the same runs into one results folder, with OS record locks
 * on the bytes of one file: byte 0 guards the settings (held shared by every running figure7,
 * exclusively only to write them), byte 1 + i is grid position i, held by the process that may
 * train it. Shards of one grid hold disjoint bytes and so work side by side; a second process over
 * the same runs, or with other settings, is refused. The OS drops the locks when a process dies,
 * even by SIGKILL: nothing stale is left. One figure7 per folder per JVM.
 */
public final class GridLock implements AutoCloseable {

  /** The lock file in the results folder. */
  public static final String FILE = ".figure7.lock";
  /** The settings byte; run positions follow it. */
  private static final long SETTINGS = 0;

  /** What to do with the settings once their lock is known. */
  @FunctionalInterface
  public interface SettingsStep {
    /**
     * @param alone no other figure7 runs in the folder: the settings may be written
     */
    void settle(boolean alone) throws IOException, ExperimentException;
  }

  private final FileChannel channel;

  private GridLock(FileChannel channel) {
    this.channel = channel;
  }

  /**
   * Settles the settings under their lock, then locks the given grid positions of {@code out}.
   *
   * @throws ExperimentException if another process holds any of the positions, or the settings
   *     step refuses
   */
  public static GridLock acquire(Path out, List<Integer> positions, SettingsStep settings)
      throws IOException, ExperimentException {
    // shared locks need a readable channel, exclusive ones a writable one
    FileChannel channel = FileChannel.open(out.resolve(FILE), StandardOpenOption.CREATE,
        StandardOpenOption.READ, StandardOpenOption.WRITE);
    boolean ok = false;
    try {
      FileLock exclusive = tryLock(channel, SETTINGS, false);
      if (exclusive != null) {
        settings.settle(true);
        exclusive.release();
      }
      // shared from here on; waits out another process's settings write, then checks again, so
      // settings written by a process that started in between are seen
      channel.lock(SETTINGS, 1, true);
      settings.settle(false);
      for (int p : positions) {
        if (tryLock(channel, SETTINGS + 1 + p, false) == null) {
          throw new ExperimentException(out + ": another figure7 is running into this folder "
              + "and holds some of these runs; wait for it to finish, or give each process its "
              + "own --shard K/N");
        }
      }
      ok = true;
      return new GridLock(channel);
    } finally {
      if (!ok) {
        channel.close(); // releases every lock taken above
      }
    }
  }

  /**
   * Which of the grid positions another process holds now, for {@code status}: each is tried and
   * released at once. Without a lock file no process has run in the folder.
   */
  public static boolean[] held(Path out, int positions) throws IOException {
    boolean[] held = new boolean[positions];
    Path file = out.resolve(FILE);
    if (!java.nio.file.Files.exists(file)) {
      return held;
    }
    // read-only and shared: status works on folders it may not write, and takes nothing away
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      for (int p = 0; p < positions; p++) {
        FileLock lock = tryLock(channel, SETTINGS + 1 + p, true);
        held[p] = lock == null;
        if (lock != null) {
          lock.release();
        }
      }
    }
    return held;
  }

  private static FileLock tryLock(FileChannel channel, long position, boolean shared)
      throws IOException {
    try {
      return channel.tryLock(position, 1, shared);
    } catch (OverlappingFileLockException e) {
      return null; // held in this JVM
    }
  }

  /** Releases every lock (closing the channel releases them all). */
  @Override
  public void close() throws IOException {
    channel.close();
  }
}
