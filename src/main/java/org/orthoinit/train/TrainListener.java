package org.orthoinit.train;

/** Progress of a training run; the train package never prints. */
public interface TrainListener {

  TrainListener NONE = new TrainListener() {};

  /** An epoch of {@code batches} steps begins. */
  default void epochStarted(int epoch, int batches) {}

  /** A step of an epoch finished with this batch loss. */
  default void stepDone(int epoch, int step, double loss) {}

  default void epochDone(EpochResult result) {}
}
