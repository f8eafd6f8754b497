package org.orthoinit.experiment;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Reads and writes result JSON; every write is atomic (a temp file, then a rename). Reading
 * ignores fields it does not know, so results written by later versions still read.
 */
public final class ResultStore {

  /** Shared, configured once: pretty output, records supported natively by Jackson. */
  public static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private ResultStore() {}

  /** Writes {@code value} as JSON to {@code file} atomically: readers see the old or the new file. */
  public static void write(Path file, Object value) throws IOException {
    writeBytes(file, JSON.writeValueAsBytes(value));
  }

  /**
   * Writes {@code bytes} to {@code file} through a temp file in the same folder, synced to disk,
   * then renamed. The temp file gets the folder's usual permissions (not createTempFile's 0600).
   */
  public static void writeBytes(Path file, byte[] bytes) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = dir.resolve("." + file.getFileName() + "." + Long.toHexString(
        java.util.concurrent.ThreadLocalRandom.current().nextLong()) + ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE)) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Reads a run result. */
  public static RunResult readRun(Path file) throws IOException {
    return JSON.readValue(file.toFile(), RunResult.class);
  }
}
