package org.orthoinit.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --data}: where CIFAR-10 is. */
final class DataOptions {

  /** Where {@code download} puts the data set and other commands look for it by default. */
  static Path defaultCache() {
    String env = System.getenv("ORTHOINIT_DATA");
    if (env != null && !env.isBlank()) {
      return Path.of(env);
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg)
        : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("orthoinit").resolve("cifar10");
  }

  @Option(names = "--data", paramLabel = "DIR",
      description = "CIFAR-10 in the binary format: a folder with data_batch_N.bin and "
          + "test_batch.bin, or one holding cifar-10-batches-bin/ (default: $${ORTHOINIT_DATA} or "
          + "~/.cache/orthoinit/cifar10, where 'download' puts it).")
  Path data;

  Path dir() {
    return data != null ? data : defaultCache();
  }
}
