package org.orthoinit.cli;

import org.orthoinit.init.SvdInitializer;
import picocli.CommandLine.Option;

/** {@code --seed}, {@code --init-batch}, {@code --threads}: for commands that build a model. */
final class RunOptions {

  @Option(names = "--seed", defaultValue = "0", paramLabel = "N",
      description = "Seeds weights, shuffles, dropout and the init batch "
          + "(default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--init-batch", defaultValue = "" + SvdInitializer.BATCH_DEFAULT,
      paramLabel = "N",
      description = "Training images for the SVD or LSUV initializer (default: ${DEFAULT-VALUE}).")
  int initBatch;

  @Option(names = "--threads", defaultValue = "0", paramLabel = "N",
      description = "TensorFlow threads; 0 = all cores (default).")
  int threads;

  /** Checks --init-batch and --threads. */
  RunOptions checked() {
    Flags.range("--init-batch", initBatch, 1, Flags.MAX_IMAGES);
    Flags.threads(threads);
    return this;
  }
}
