package org.orthoinit.model;

/**
 * The architecture options of the seed's AlexNet: how many extra convolutions, where they go, and
 * whether batch norm follows them.
 *
 * @param numLayers extra 3x3 convolutions (the paper's depth axis), >= 0
 * @param level 2: extra layers of 192 channels without bias after features.6; 3: extra layers of
 *     256 channels with bias after the 256->256 convolution (the seed's default and Figure 7)
 * @param batchNorm a BatchNorm2d after each extra block's ReLU (the seed's {@code withbn})
 * @param dropout dropout probability of the two classifier dropouts while training, in [0, 1)
 * @param classes output classes
 */
public record ModelConfig(int numLayers, int level, boolean batchNorm, float dropout, int classes) {

  public static final int LEVEL_DEFAULT = 3;
  public static final float DROPOUT_DEFAULT = 0.5f;
  public static final int CLASSES_DEFAULT = 10;
  /** Above this the graph would not fit any sensible machine; it also catches typos. */
  public static final int MAX_LAYERS = 1000;

  public ModelConfig {
    if (numLayers < 0 || numLayers > MAX_LAYERS) {
      throw new IllegalArgumentException(
          "layers must be in 0.." + MAX_LAYERS + ", got " + numLayers);
    }
    if (level != 2 && level != 3) {
      throw new IllegalArgumentException("level must be 2 or 3, got " + level);
    }
    if (!(dropout >= 0f && dropout < 1f)) {
      throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
    }
    if (classes < 2) {
      throw new IllegalArgumentException("classes must be >= 2, got " + classes);
    }
  }

  /** The seed's model at this depth: level 3, no batch norm, dropout 0.5, 10 classes. */
  public static ModelConfig of(int numLayers) {
    return new ModelConfig(numLayers, LEVEL_DEFAULT, false, DROPOUT_DEFAULT, CLASSES_DEFAULT);
  }

  public ModelConfig withDropout(float rate) {
    return new ModelConfig(numLayers, level, batchNorm, rate, classes);
  }
}
