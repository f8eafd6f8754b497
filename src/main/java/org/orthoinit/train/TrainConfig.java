package org.orthoinit.train;

/**
 * How a model is trained: plain SGD on mini-batches reshuffled every epoch, as the seed.
 *
 * @param epochs passes over the training set, >= 1
 * @param learningRate SGD step size, > 0
 * @param batchSize images per step, >= 1; the last, partial batch of an epoch is trained on too
 * @param seed seeds the shuffles (and, through the model, the dropout masks)
 */
public record TrainConfig(int epochs, float learningRate, int batchSize, long seed) {

  public static final int EPOCHS_DEFAULT = 20;
  public static final float LEARNING_RATE_DEFAULT = 0.001f;
  public static final int BATCH_SIZE_DEFAULT = 30;

  public TrainConfig {
    if (epochs < 1) {
      throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
    }
    if (!(learningRate > 0f) || !Float.isFinite(learningRate)) {
      throw new IllegalArgumentException("learning rate must be > 0, got " + learningRate);
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
    }
  }
}
