package org.orthoinit.experiment;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import org.orthoinit.init.Initializer;
import org.orthoinit.init.Initializers;
import org.orthoinit.init.Lsuv;
import org.orthoinit.init.SvdInitializer;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.ModelFile;
import org.orthoinit.model.ModelSource;
import org.orthoinit.train.TrainConfig;

/**
 * Everything that decides one training run. Written into its result, so a result says how it was
 * made.
 *
 * @param source the network: the seed's AlexNet (the file's {@code model}) or a network read from
 *     a file (the file's {@code network})
 * @param init the init, with its settings (the SVD init's decomposition, LSUV's tolerance and
 *     iterations); run files hold those settings as {@code decomposition} and {@code lsuv}
 * @param trainLimit use only the first this many training images; 0 = all
 * @param initBatch images given to the SVD or LSUV initializer
 * @param threads TensorFlow intra-op threads; 0 = all cores
 * @param initPool where the init batch is drawn from (null in files of earlier versions: the
 *     run's own images)
 */
@JsonPropertyOrder({"model", "train", "init", "trainLimit", "initBatch", "decomposition",
    "threads", "lsuv", "network", "initPool"})
public record RunSpec(@JsonIgnore ModelSource source, TrainConfig train, Initializer init,
    int trainLimit, int initBatch, int threads,
    @JsonInclude(value = JsonInclude.Include.CUSTOM, valueFilter = InitPool.Default.class)
    InitPool initPool) {

  /** A run of the seed's AlexNet, its init batch from its own images. */
  public RunSpec(ModelConfig model, TrainConfig train, Initializer init, int trainLimit,
      int initBatch, int threads) {
    this(new ModelSource.Seed(model), train, init, trainLimit, initBatch, threads, InitPool.RUN);
  }

  public RunSpec {
    if (initPool == null) {
      initPool = InitPool.RUN;
    }
    if (source == null) {
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
  }

  /** The same run on {@code threads} threads. */
  public RunSpec withThreads(int threads) {
    return new RunSpec(source, train, init, trainLimit, initBatch, threads, initPool);
  }

  /** The seed's AlexNet's configuration, as run files hold it; null for a network file. */
  @JsonProperty("model")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  private ModelConfig modelField() {
    return source instanceof ModelSource.Seed seed ? seed.config() : null;
  }

  /** The network file's record, as run files hold it; null for the seed's AlexNet. */
  @JsonProperty("network")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  private ModelFile networkField() {
    return source instanceof ModelSource.File file ? file.file() : null;
  }

  /**
   * Reads a run file's spec: the init's settings from their own fields (each its default where
   * absent). Files of earlier versions hold a decomposition for every run; only the SVD init's
   * counts.
   */
  @JsonCreator
  static RunSpec read(@JsonProperty("model") ModelConfig model,
      @JsonProperty("train") TrainConfig train, @JsonProperty("init") Initializer init,
      @JsonProperty("trainLimit") int trainLimit, @JsonProperty("initBatch") int initBatch,
      @JsonProperty("decomposition") SvdInitializer.Decomposition decomposition,
      @JsonProperty("threads") int threads, @JsonProperty("lsuv") Lsuv.Settings lsuv,
      @JsonProperty("network") ModelFile network, @JsonProperty("initPool") InitPool initPool) {
    if (init == null) {
      throw new IllegalArgumentException("no init");
    }
    if ((model == null) == (network == null)) {
      throw new IllegalArgumentException("a run is of the seed's AlexNet (model) or of a "
          + "network file (network), one of the two");
    }
    return new RunSpec(model != null ? new ModelSource.Seed(model) : new ModelSource.File(network),
        train, Initializers.configured(init, decomposition, lsuv), trainLimit, initBatch,
        threads, initPool);
  }

  /** The SVD init's decomposition, written to run files; null for other inits. */
  @JsonProperty("decomposition")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public SvdInitializer.Decomposition decomposition() {
    return Initializers.decomposition(init);
  }

  /** LSUV's settings, written to run files; null for other inits. */
  @JsonProperty("lsuv")
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public Lsuv.Settings lsuv() {
    return Initializers.lsuv(init);
  }
}
