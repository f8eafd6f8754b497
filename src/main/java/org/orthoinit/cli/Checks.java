package org.orthoinit.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.file.Files;
import java.nio.file.Path;

/** Up-front checks, so a long run does not fail at its end. */
final class Checks {

  private Checks() {}

  /** Checks the folder of every given output file (nulls are skipped) before any work. */
  static void writableParents(Path... outputs) throws IOException {
    for (Path output : outputs) {
      if (output != null) {
        writableFolder(output.toAbsolutePath().getParent(), output.toString());
      }
    }
  }

  /** What the write check writes (and syncs) before deleting it: a full disk fails here. */
  static final int PROBE_BYTES = 1 << 20;

  /**
   * Creates {@code dir} if needed and proves it writable: writes {@value #PROBE_BYTES} bytes to a
   * file, syncs them to disk and deletes the file. An unwritable folder or a full disk fails here,
   * before any work, instead of when the results are written.
   */
  static void writableFolder(Path dir, String flag) throws IOException {
    try {
      Files.createDirectories(dir);
      Path probe = Files.createTempFile(dir, ".write-check", ".tmp");
      try (FileChannel ch = FileChannel.open(probe, StandardOpenOption.WRITE)) {
        ByteBuffer zeros = ByteBuffer.allocate(PROBE_BYTES);
        while (zeros.hasRemaining()) {
          ch.write(zeros);
        }
        ch.force(true);
      } finally {
        Files.deleteIfExists(probe);
      }
    } catch (IOException e) {
      throw new IOException(flag + ": cannot write to " + dir + ": " + Errors.describe(e), e);
    }
  }

  /** Refuses to start when the folder's disk has less than {@code bytes} free. */
  static void freeSpace(Path dir, long bytes, String flag) throws IOException {
    long free = Files.getFileStore(dir).getUsableSpace();
    if (free < bytes) {
      throw new IOException(String.format("%s: %s has %,d KiB free, fewer than the %,d KiB the "
          + "results will need; free some space or choose another folder", flag, dir,
          free / 1024, (bytes + 1023) / 1024));
    }
  }
}
