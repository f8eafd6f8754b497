package org.orthoinit.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Up-front checks, so a long run does not fail at its end. */
final class Checks {

  private Checks() {}

  /** Creates {@code dir} if needed and proves it writable by writing and deleting a file. */
  static void writableFolder(Path dir, String flag) throws IOException {
    try {
      Files.createDirectories(dir);
      Path probe = Files.createTempFile(dir, ".write-check", ".tmp");
      Files.delete(probe);
    } catch (IOException e) {
      throw new IOException(flag + ": cannot write to " + dir + ": " + Errors.describe(e), e);
    }
  }
}
