package org.orthoinit.cli;

import org.orthoinit.model.ModelConfig;
import picocli.CommandLine.Option;

/** Architecture flags shared by the commands that build a model from scratch. */
final class ModelOptions {

  @Option(names = "--layers", paramLabel = "N", defaultValue = "15",
      description = "Extra 3x3 convolutions (default: ${DEFAULT-VALUE}).")
  int layers;

  @Option(names = "--level", paramLabel = "2|3", defaultValue = "3",
      description = "Where the extra layers go: 2 = 192 channels without bias, 3 = 256 channels "
          + "(default: ${DEFAULT-VALUE}, as Figure 7).")
  int level;

  @Option(names = "--batch-norm", description = "BatchNorm2d after each extra block's ReLU.")
  boolean batchNorm;

  @Option(names = "--dropout", paramLabel = "P", defaultValue = "0.5",
      description = "Dropout probability in the classifier while training "
          + "(default: ${DEFAULT-VALUE}).")
  float dropout;

  ModelConfig config() {
    Flags.range("--layers", layers, 0, ModelConfig.MAX_LAYERS);
    Flags.level("--level", level);
    if (!(dropout >= 0f && dropout < 1f)) {
      throw new IllegalArgumentException("--dropout must be in [0, 1), got " + dropout);
    }
    return new ModelConfig(layers, level, batchNorm, dropout, ModelConfig.CLASSES_DEFAULT);
  }
}
