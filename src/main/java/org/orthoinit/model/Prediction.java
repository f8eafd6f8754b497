package org.orthoinit.model;

/**
 * The model's outputs for a batch, row-major.
 *
 * @param logits [n, classes]
 * @param features [n, 1024], the input of the classifier in PyTorch's flatten order
 */
public record Prediction(int n, int classes, float[] logits, float[] features) {

  /** The class with the largest logit for each image. */
  public int[] argmax() {
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      int best = 0;
      for (int c = 1; c < classes; c++) {
        if (logits[i * classes + c] > logits[i * classes + best]) {
          best = c;
        }
      }
      out[i] = best;
    }
    return out;
  }
}
