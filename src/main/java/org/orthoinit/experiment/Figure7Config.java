package org.orthoinit.experiment;

import java.util.ArrayList;
import java.util.List;

/**
 * The Figure 7 grid and how each of its runs trains. Everything here decides the results, so a
 * results folder keeps it ({@code figure7.json}) and refuses other settings.
 *
 * @param preset the preset these settings started from (flags may have changed them)
 * @param layers extra-layer depths, one figure each
 * @param inits initializations, one curve each
 * @param repeats runs per (depth, init), for the mean and its interval
 * @param trainLimit first N training images; 0 = all (the paper: 50,000)
 * @param testLimit first N test images for the accuracy after training; 0 = all
 * @param seed base seed; repeat r of every depth and init uses seed + r, so at a given repeat
 *     Xavier and SVD start from the same Xavier weights and see the same batches
 */
public record Figure7Config(String preset, List<Integer> layers, List<InitMethod> inits,
    int repeats, int epochs, int trainLimit, int testLimit, float learningRate, int batchSize,
    int initBatch, long seed) {

  public Figure7Config {
    layers = List.copyOf(layers);
    inits = List.copyOf(inits);
    if (layers.isEmpty() || layers.stream().anyMatch(l -> l < 0)) {
      throw new IllegalArgumentException("layers must be one or more depths >= 0, got " + layers);
    }
    if (layers.stream().distinct().count() != layers.size()) {
      throw new IllegalArgumentException("layers must not repeat a depth, got " + layers);
    }
    if (inits.isEmpty() || inits.stream().distinct().count() != inits.size()) {
      throw new IllegalArgumentException("inits must be distinct and not empty, got " + inits);
    }
    if (repeats < 1) {
      throw new IllegalArgumentException("repeats must be >= 1, got " + repeats);
    }
    if (epochs < 1) {
      throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
    }
    if (trainLimit < 0 || testLimit < 0) {
      throw new IllegalArgumentException("train and test limits must be >= 0, got " + trainLimit
          + " and " + testLimit);
    }
    if (!(learningRate > 0f) || batchSize < 1 || initBatch < 1) {
      throw new IllegalArgumentException("learning rate, batch size and init batch must be "
          + "positive, got " + learningRate + ", " + batchSize + ", " + initBatch);
    }
  }

  /** One run of the grid. */
  public record Run(int layers, InitMethod init, int repeat) {
    /** File-name stem: {@code L75_svd_r2}. */
    public String name() {
      return "L" + layers + "_" + init.id() + "_r" + repeat;
    }
  }

  /** Every run, in the seed's order: repeat, then depth, then init. */
  public List<Run> runs() {
    List<Run> out = new ArrayList<>();
    for (int r = 0; r < repeats; r++) {
      for (int l : layers) {
        for (InitMethod i : inits) {
          out.add(new Run(l, i, r));
        }
      }
    }
    return out;
  }

  /** The paper's settings, for comparison. */
  public static final Figure7Config PAPER = new Figure7Config("paper", List.of(15, 75),
      List.of(InitMethod.XAVIER, InitMethod.SVD), 4, 20, 0, 0, 0.001f, 30, 256, 0);

  /**
   * How these settings are scaled down from the paper's, in words; empty when they are the
   * paper's (up to the preset's name and the seed).
   */
  public String scaledDown() {
    List<String> s = new ArrayList<>();
    if (!layers.containsAll(PAPER.layers)) {
      s.add("depths " + layers + " instead of " + PAPER.layers);
    }
    if (repeats < PAPER.repeats) {
      s.add(repeats + " repeat" + (repeats == 1 ? "" : "s") + " instead of " + PAPER.repeats);
    }
    if (epochs < PAPER.epochs) {
      s.add(epochs + " epochs instead of " + PAPER.epochs);
    }
    if (trainLimit > 0) {
      s.add(String.format("%,d training images instead of 50,000", trainLimit));
    }
    if (testLimit > 0) {
      s.add(String.format("accuracy on %,d test images", testLimit));
    }
    if (learningRate != PAPER.learningRate || batchSize != PAPER.batchSize) {
      s.add("lr " + learningRate + ", batch " + batchSize + " instead of 0.001, 30");
    }
    return String.join("; ", s);
  }
}
