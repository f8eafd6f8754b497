package org.orthoinit.interop;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file so that readers see either the old content or the complete new one, never a
 * half-written file: a run killed while saving must not leave a truncated array or model that
 * a later run would trust.
 */
final class AtomicFiles {

  /** Produces the content of the file. */
  @FunctionalInterface
  interface Body {
    void writeTo(FileChannel channel) throws IOException;
  }

  /** Inspects the written temporary file before it replaces the target. */
  @FunctionalInterface
  interface Check {
    void verify(Path written) throws InteropException;
  }

  /** A {@link Check} refused the written file; the target was left as it was. */
  static final class Refused extends IOException {
    private static final long serialVersionUID = 1L;

    Refused(InteropException fault) {
      super(fault.getMessage(), fault);
    }

    InteropException fault() {
      return (InteropException) getCause();
    }
  }

  private AtomicFiles() {
  }

  /**
   * Writes {@code body} to a temporary file in the target's folder, flushes it to disk and
   * renames it over the target. The temporary file is in the same folder because a rename is
   * only atomic within one file system. On any failure the temporary file is removed and the
   * target is left as it was.
   */
  static void write(Path target, Body body) throws IOException {
    write(target, body, written -> { });
  }

  /** As {@link #write(Path, Body)}, with {@code check} run on the synced file before the rename. */
  static void write(Path target, Body body, Check check) throws IOException {
    Path absolute = target.toAbsolutePath();
    Path dir = absolute.getParent();
    if (dir == null) {
      throw new IOException("has no parent folder");
    }
    Files.createDirectories(dir);
    Path tmp = createTemp(dir, absolute.getFileName().toString());
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        body.writeTo(ch);
        // Without this a crash just after the rename could leave an empty file behind.
        ch.force(true);
      }
      try {
        check.verify(tmp);
      } catch (InteropException e) {
        throw new Refused(e);
      }
      try {
        Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("the file system of " + dir + " cannot rename atomically", e);
      }
    } catch (IOException | RuntimeException | Error e) {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup); // the original failure is the one to report
      }
      throw e;
    }
  }

  /** Wraps a channel as a stream for writers that produce a stream (protobuf). */
  static OutputStream stream(FileChannel ch) {
    return Channels.newOutputStream(ch);
  }

  /**
   * Creates an empty, hidden temporary file. Files.createTempFile is not used because it
   * creates the file with owner-only permissions, which the rename would carry over to the
   * result; CREATE_NEW gives the ordinary permissions of a new file (umask).
   */
  private static Path createTemp(Path dir, String name) throws IOException {
    for (int attempt = 0; ; attempt++) {
      String suffix = Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
      Path tmp = dir.resolve("." + name + "." + suffix + ".tmp");
      try {
        Files.newByteChannel(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
        return tmp;
      } catch (FileAlreadyExistsException e) {
        if (attempt >= 10) {
          throw e;
        }
      }
    }
  }
}
