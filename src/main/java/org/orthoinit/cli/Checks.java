package org.orthoinit.cli;

import java.io.IOException;
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
