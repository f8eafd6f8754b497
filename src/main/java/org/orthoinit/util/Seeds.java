package org.orthoinit.util;

/**
 * Every random stream of a run, derived by name from the run's one seed. The derivations are
 * those the streams have always used, so runs made before this class give the same numbers (at
 * seed 0 LSUV's k-th matrix and epoch k's shuffle start java.util.Random from the same value, as
 * they always did; the two uses are unrelated).
 *
 * @param run the run's seed ({@code --seed}; repeat r of a figure7 grid: base seed + r)
 */
public record Seeds(long run) {

  /** The init batch's shuffle salt: the stream differs from the weights' at the same seed. */
  private static final long INIT_BATCH = 0x5EED_1A17L;
  /** The probe batch's: it differs from the init batch of the same seed. */
  private static final long PROBE = 0x9E37_79B9L;
  /** Spreads consecutive keys (epochs, layers) apart. */
  private static final long SPREAD = 1_000_003L;
  /** The golden-ratio constant of SplitMix64, for LSUV's Gaussian matrices. */
  private static final long GOLDEN = 0x9E37_79B9_7F4A_7C15L;

  /** The initial weights: one stream drawn in parameter order. */
  public long weights() {
    return run;
  }

  /** The order of the training samples in {@code epoch} (from 1). */
  public long shuffle(int epoch) {
    return run * SPREAD + epoch;
  }

  /**
   * The dropout masks of the {@code layer}-th dropout of a pass (from 1); a mask also depends
   * on the step, so a resumed run draws what an uninterrupted one would.
   */
  public long dropout(int layer) {
    return run * SPREAD + layer;
  }

  /** Which training images the data-dependent initializers get. */
  public long initBatch() {
    return run ^ INIT_BATCH;
  }

  /** Which training images the orthogonality probe measures, after every epoch. */
  public long probe() {
    return run ^ PROBE ^ INIT_BATCH;
  }

  /** The Gaussian matrix of LSUV's orthonormal start of the {@code kernel}-th kernel (from 0). */
  public long orthonormal(int kernel) {
    return run * GOLDEN + kernel;
  }
}
