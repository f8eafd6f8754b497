package org.orthoinit.cli;

import org.orthoinit.init.Initializer;
import org.orthoinit.init.Initializers;
import org.orthoinit.init.Lsuv;
import picocli.CommandLine.Option;

/** LSUV's knobs, for the commands that can run it. */
final class LsuvOptions {

  @Option(names = "--lsuv-tolerance", defaultValue = "0.1", paramLabel = "T",
      description = "LSUV: stop scaling a layer when |Var - 1| < T (default: ${DEFAULT-VALUE}, "
          + "the paper's).")
  double tolerance;

  @Option(names = "--lsuv-iterations", defaultValue = "10", paramLabel = "N",
      description = "LSUV: at most N rescalings per layer (default: ${DEFAULT-VALUE}, the "
          + "paper's).")
  int iterations;

  /** The settings, checked with the flags' names; null unless {@code init} is LSUV. */
  Lsuv.Settings settings(Initializer init) {
    Lsuv.Settings s = settings(); // checked even when unused: a bad value is a typo either way
    return Initializers.same(init, Initializers.LSUV) ? s : null;
  }

  /** An init that measures the batch needs enough of it (LSUV a variance per layer: two). */
  void check(Initializer init, int initBatch) {
    settings();
    if (initBatch < init.minimumBatch()) {
      throw new IllegalArgumentException("--init-batch must be >= " + init.minimumBatch()
          + " for " + init.id() + ", got " + initBatch);
    }
  }

  Lsuv.Settings settings() {
    if (!(tolerance > 0 && tolerance < 1)) {
      throw new IllegalArgumentException("--lsuv-tolerance must be in (0, 1), got " + tolerance);
    }
    if (iterations < 1) {
      throw new IllegalArgumentException("--lsuv-iterations must be >= 1, got " + iterations);
    }
    return new Lsuv.Settings(tolerance, iterations);
  }
}
