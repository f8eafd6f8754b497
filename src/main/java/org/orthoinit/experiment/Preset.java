package org.orthoinit.experiment;

import java.util.List;
import org.orthoinit.init.Initializers;
import org.orthoinit.init.SvdInitializer;
import org.orthoinit.train.TrainConfig;

/** Named starting points for {@code figure7}; every value can be overridden by a flag. */
public enum Preset {
  /** The paper: depths 15 and 75, 4 repeats, 20 epochs over 50,000 images. Needs a GPU. */
  PAPER(Figure7Config.PAPER),
  /**
   * About an hour on 2 CPU cores: the 75-layer contrast, one repeat per init, 3,000 training
   * images for 30 epochs = 3,000 SGD steps per run, the point by which the seed's 75-layer curves
   * have clearly parted. A 75-layer step takes ~0.7 s on such a machine.
   */
  CPU(new Figure7Config("cpu", List.of(75), List.of(Initializers.XAVIER, Initializers.SVD), 1,
      30, 3000, 2000, TrainConfig.LEARNING_RATE_DEFAULT, TrainConfig.BATCH_SIZE_DEFAULT,
      SvdInitializer.BATCH_DEFAULT, 0)),
  /**
   * The paper's 75-layer contrast with an interval: two repeats per init, the first 1,500 training
   * images for 10 epochs = 500 SGD steps per run, accuracy on 1,000 test images. About half an
   * hour on 2 AVX-512 cores, longer on older ones (README: what it shows and when).
   */
  QUICK(new Figure7Config("quick", List.of(75), List.of(Initializers.XAVIER, Initializers.SVD), 2,
      10, 1500, 1000, TrainConfig.LEARNING_RATE_DEFAULT, TrainConfig.BATCH_SIZE_DEFAULT,
      SvdInitializer.BATCH_DEFAULT, 0)),
  /** A few minutes: a shallow model, two repeats, a first look at the pipeline and the figures. */
  SMOKE(new Figure7Config("smoke", List.of(5), List.of(Initializers.XAVIER, Initializers.SVD), 2, 4,
      1500, 500, TrainConfig.LEARNING_RATE_DEFAULT, TrainConfig.BATCH_SIZE_DEFAULT,
      SvdInitializer.BATCH_DEFAULT, 0));

  private final Figure7Config config;

  Preset(Figure7Config config) {
    this.config = config;
  }

  public Figure7Config config() {
    return config;
  }

  public String id() {
    return name().toLowerCase();
  }
}
