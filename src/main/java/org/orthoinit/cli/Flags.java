package org.orthoinit.cli;

import java.util.List;
import org.orthoinit.model.ModelConfig;

/**
 * Range checks of numeric flags, each failing with a usage message that names the flag (exit
 * code 2), before any work starts.
 */
final class Flags {

  /** More threads than this is a typo, not a machine. */
  static final int MAX_THREADS = 1024;
  /** Larger batches than this would not fit in memory at any depth. */
  static final int MAX_BATCH = 100_000;
  /** More images than CIFAR-10 has (60,000) for an init batch is a typo. */
  static final int MAX_IMAGES = 60_000;
  /** Repeats per curve: beyond this a grid would not finish in a lifetime. */
  static final int MAX_REPEATS = 1_000;
  /** Epochs or benchmark steps. */
  static final int MAX_STEPS = 1_000_000;

  private Flags() {}

  static int atLeast(String flag, int value, int least) {
    if (value < least) {
      throw new IllegalArgumentException(flag + " must be >= " + least + ", got " + value);
    }
    return value;
  }

  static int range(String flag, int value, int least, int most) {
    if (value < least || value > most) {
      throw new IllegalArgumentException(flag + " must be in " + least + ".." + most + ", got "
          + value);
    }
    return value;
  }

  /** A float in (0, infinity). */
  static float positive(String flag, float value) {
    if (!(value > 0) || !Float.isFinite(value)) {
      throw new IllegalArgumentException(flag + " must be a positive finite number, got "
          + value);
    }
    return value;
  }

  static int threads(int value) {
    return range("--threads", value, 0, MAX_THREADS);
  }

  static int batchSize(int value) {
    return range("--batch-size", value, 1, MAX_BATCH);
  }

  static int level(String flag, int value) {
    if (value != 2 && value != 3) {
      throw new IllegalArgumentException(flag + " must be 2 or 3, got " + value);
    }
    return value;
  }

  static List<Integer> depths(String flag, List<Integer> layers) {
    for (int l : layers) {
      range(flag, l, 0, ModelConfig.MAX_LAYERS);
    }
    return layers;
  }
}
