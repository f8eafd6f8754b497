package org.orthoinit.util;

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
 * half-written file: a run killed while saving must not leave a truncated result, array, model or
 * checkpoint that a later run would trust. The one implementation of this in the project.
 *
 * <p>The content goes to a hidden temporary file in the target's folder ({@code .NAME.HEX.tmp}; a
 * rename is atomic only within one file system), is synced to disk, optionally checked, and is
 * renamed over the target. On any failure the temporary file is removed and the target is left as
 * it was.
 */
public final class AtomicFiles {

  /**
   * Internal, for the kill tests only: milliseconds each write waits between its synced temporary
   * file and the rename, so that a test can kill the process in the middle of a write. Unset: 0.
   */
  private static final long WRITE_PAUSE_MS = Long.getLong("orthoinit.test.writePauseMs", 0);

  /** Produces the content of the file through a channel. */
  @FunctionalInterface
  public interface Body {
    void writeTo(FileChannel channel) throws IOException;
  }

  /** Produces the content of the file at a path (for writers that only take a file name). */
  @FunctionalInterface
  public interface PathBody {
    void writeTo(Path file) throws IOException;
  }

  /** Inspects the written temporary file before it replaces the target. */
  @FunctionalInterface
  public interface Check {
    void verify(Path written) throws Exception;
  }

  /** A {@link Check} refused the written file; the target was left as it was. */
  public static final class Refused extends IOException {
    private static final long serialVersionUID = 1L;

    Refused(Exception fault) {
      super(fault.getMessage(), fault);
    }

    /** What the check threw. */
    public Exception fault() {
      return (Exception) getCause();
    }
  }

  private AtomicFiles() {}

  /** Writes {@code body} to {@code target} atomically. */
  public static void write(Path target, Body body) throws IOException {
    write(target, body, written -> { });
  }

  /** Writes {@code bytes} to {@code target} atomically. */
  public static void write(Path target, byte[] bytes) throws IOException {
    write(target, ch -> {
      java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes);
      while (b.hasRemaining()) {
        ch.write(b);
      }
    });
  }

  /** As {@link #write(Path, Body)}, with {@code check} run on the synced file before the rename. */
  public static void write(Path target, Body body, Check check) throws IOException {
    replace(target, tmp -> {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        body.writeTo(ch);
        // without this a crash just after the rename could leave an empty file behind
        ch.force(true);
      }
    }, check);
  }

  /**
   * As {@link #write(Path, Body)} for a writer that writes a file by name: it writes the
   * temporary file, which is then synced and renamed.
   *
   * @param extension appended to the temporary name, for writers that choose the format by it
   */
  public static void writeByPath(Path target, String extension, PathBody body) throws IOException {
    replace(target, extension, tmp -> {
      body.writeTo(tmp);
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.force(true);
      }
    }, written -> { });
  }

  /** Wraps a channel as a stream for writers that produce a stream (protobuf, Jackson). */
  public static OutputStream stream(FileChannel ch) {
    return Channels.newOutputStream(ch);
  }

  /** Whether {@code name} is a temporary file of a write of {@code target}'s file name. */
  public static boolean isTemporaryOf(String name, String target) {
    return name.startsWith("." + target + ".") && name.endsWith(".tmp");
  }

  private static void replace(Path target, PathBody fill, Check check) throws IOException {
    replace(target, "", fill, check);
  }

  private static void replace(Path target, String extension, PathBody fill, Check check)
      throws IOException {
    Path absolute = target.toAbsolutePath();
    Path dir = absolute.getParent();
    if (dir == null) {
      throw new IOException("has no parent folder");
    }
    Files.createDirectories(dir);
    Path tmp = createTemp(dir, absolute.getFileName().toString(), extension);
    try {
      fill.writeTo(tmp);
      try {
        check.verify(tmp);
      } catch (IOException e) {
        throw e;
      } catch (Exception e) {
        throw new Refused(e);
      }
      pause();
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

  private static void pause() {
    if (WRITE_PAUSE_MS > 0) {
      try {
        Thread.sleep(WRITE_PAUSE_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Creates an empty, hidden temporary file. Files.createTempFile is not used because it creates
   * the file with owner-only permissions, which the rename would carry over to the result;
   * CREATE_NEW gives the ordinary permissions of a new file (umask).
   */
  private static Path createTemp(Path dir, String name, String extension) throws IOException {
    for (int attempt = 0; ; attempt++) {
      String suffix = Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
      Path tmp = dir.resolve("." + name + "." + suffix + ".tmp" + extension);
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
