package org.orthoinit.model;

/**
 * What a run trains: the seed's AlexNet of a configuration (from flags, or read from a file that
 * holds one), or any other network read from a file. A run's spec holds it (its file records it as
 * {@code model} or {@code network}), runs are named after it, and a checkpoint is continued only
 * by a run of the same source.
 */
public sealed interface ModelSource permits ModelSource.Seed, ModelSource.File {

  /** Extra layers of the seed's AlexNet; 0 for a network read from a file. */
  int extraLayers();

  /** Whether the seed's AlexNet has a batch norm in each extra block; false for a file. */
  boolean batchNorm();

  /** The seed's AlexNet of {@code config}. */
  record Seed(ModelConfig config) implements ModelSource {
    public Seed {
      if (config == null) {
        throw new IllegalArgumentException("no model configuration");
      }
    }

    /** The network of {@code config}. */
    public Network network() {
      return AlexNet.of(config);
    }

    @Override
    public int extraLayers() {
      return config.numLayers();
    }

    @Override
    public boolean batchNorm() {
      return config.batchNorm();
    }
  }

  /** A network read from a file; its graph is the file's. */
  record File(ModelFile file) implements ModelSource {
    public File {
      if (file == null) {
        throw new IllegalArgumentException("no model file");
      }
    }

    @Override
    public int extraLayers() {
      return 0;
    }

    @Override
    public boolean batchNorm() {
      return false;
    }
  }
}
