package org.orthoinit.experiment;

import com.fasterxml.jackson.annotation.JsonInclude;
import org.orthoinit.init.Initializer;
import org.orthoinit.init.Initializers;
import org.orthoinit.init.Lsuv;
import org.orthoinit.init.SvdInitializer;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.train.TrainConfig;

/**
 * Everything that decides one training run. Written into its result, so a result says how it was
 * made.
 *
 * @param trainLimit use only the first this many training images; 0 = all
 * @param initBatch images given to the SVD or LSUV initializer
 * @param threads TensorFlow intra-op threads; 0 = all cores
 * @param lsuv LSUV's tolerance and iterations; null unless the init is LSUV
 */
public record RunSpec(ModelConfig model, TrainConfig train, Initializer init, int trainLimit,
    int initBatch, SvdInitializer.Decomposition decomposition, int threads,
    @JsonInclude(JsonInclude.Include.NON_NULL) Lsuv.Settings lsuv) {

  public RunSpec {
    if (trainLimit < 0) {
      throw new IllegalArgumentException("train limit must be >= 0, got " + trainLimit);
    }
    if (initBatch < 1) {
      throw new IllegalArgumentException("init batch must be >= 1, got " + initBatch);
    }
    if (threads < 0) {
      throw new IllegalArgumentException("threads must be >= 0, got " + threads);
    }
    if ((init == Initializers.LSUV) != (lsuv != null)) {
      throw new IllegalArgumentException("LSUV settings go with the LSUV init only");
    }
  }
}
