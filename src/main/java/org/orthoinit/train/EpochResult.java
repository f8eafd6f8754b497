package org.orthoinit.train;

/**
 * One epoch of training.
 *
 * @param epoch 1-based
 * @param loss mean cross-entropy over every sample of the epoch (the last partial batch weighted
 *     by its true size); NaN if the epoch diverged
 * @param seconds wall time of the epoch
 */
public record EpochResult(int epoch, double loss, double seconds) {}
