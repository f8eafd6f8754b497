package org.orthoinit.experiment;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps two processes from training the same runs into one results folder: one byte of the lock
 * file per grid position, locked (an OS record lock) for every run this process may train. Shards
 * of one grid lock disjoint bytes and so work side by side; a second process over the same runs
 * is refused. The OS drops the locks when a process dies, even by SIGKILL: nothing stale is left.
 */
public final class GridLock implements AutoCloseable {

  public static final String FILE = ".figure7.lock";

  private final FileChannel channel;
  private final List<FileLock> locks;

  private GridLock(FileChannel channel, List<FileLock> locks) {
    this.channel = channel;
    this.locks = locks;
  }

  /**
   * Locks the given grid positions of the folder {@code out}.
   *
   * @throws ExperimentException if another process (or another grid in this one) holds any
   */
  public static GridLock acquire(Path out, List<Integer> positions)
      throws IOException, ExperimentException {
    FileChannel channel = FileChannel.open(out.resolve(FILE), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE);
    List<FileLock> locks = new ArrayList<>();
    try {
      for (int p : positions) {
        FileLock lock;
        try {
          lock = channel.tryLock(p, 1, false);
        } catch (OverlappingFileLockException e) {
          lock = null; // held by this JVM
        }
        if (lock == null) {
          throw new ExperimentException(out + ": another figure7 is running into this folder "
              + "and holds some of these runs; wait for it to finish, or give each process its "
              + "own --shard K/N");
        }
        locks.add(lock);
      }
      return new GridLock(channel, locks);
    } catch (IOException | ExperimentException | RuntimeException e) {
      for (FileLock l : locks) {
        l.release();
      }
      channel.close();
      throw e;
    }
  }

  @Override
  public void close() throws IOException {
    try {
      for (FileLock l : locks) {
        l.release();
      }
    } finally {
      channel.close();
    }
  }
}
