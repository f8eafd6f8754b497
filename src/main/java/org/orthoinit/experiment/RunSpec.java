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
 * @param model the seed's AlexNet configuration; null for a network read from a file
 * @param lsuv LSUV's tolerance and iterations; null unless the init is LSUV
 * @param network the network's file, for a run of an imported graph (then {@code model} is
 *     null); null otherwise
 * @param initPool where the init batch is drawn from (null in files of earlier versions: the
 *     run's own images)
 */
public record RunSpec(@JsonInclude(JsonInclude.Include.NON_NULL) ModelConfig model,
    TrainConfig train, Initializer init, int trainLimit, int initBatch,
    SvdInitializer.Decomposition decomposition, int threads,
    @JsonInclude(JsonInclude.Include.NON_NULL) Lsuv.Settings lsuv,
    @JsonInclude(JsonInclude.Include.NON_NULL) ModelFile network,
    @JsonInclude(value = JsonInclude.Include.CUSTOM, valueFilter = InitPool.Default.class)
    InitPool initPool) {

  /** A run of the seed's AlexNet. */
  public RunSpec(ModelConfig model, TrainConfig train, Initializer init, int trainLimit,
      int initBatch, SvdInitializer.Decomposition decomposition, int threads,
      Lsuv.Settings lsuv) {
    this(model, train, init, trainLimit, initBatch, decomposition, threads, lsuv, null,
        InitPool.RUN);
  }

  public RunSpec {
    if (initPool == null) {
      initPool = InitPool.RUN;
    }
    if ((model == null) == (network == null)) {
      throw new IllegalArgumentException("a run is of the seed's AlexNet or of a network file,"
          + " one of the two");
    }
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
