package org.orthoinit.experiment;

import org.orthoinit.init.Initializer;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.ModelSource;

/**
 * The names of runs and reports, which are also their file names: {@code L<layers>_<init>...}.
 * Runs of different models never share a name; other settings may (a folder or --out then keeps
 * them apart).
 */
public final class RunNames {

  private RunNames() {}

  /**
   * A train run: {@code L15_svd_s0}; {@code L15_xavier_level2_bn_s0} for the level-2 and
   * batch-norm models; {@code resnet18_svd_s0} for a network read from a file.
   */
  public static String train(ModelSource model, Initializer init, long seed) {
    if (model instanceof ModelSource.File file) {
      return file.file().name() + "_" + init.id() + "_s" + seed;
    }
    ModelConfig config = ((ModelSource.Seed) model).config();
    return "L" + config.numLayers() + "_" + init.id()
        + (config.level() != ModelConfig.LEVEL_DEFAULT ? "_level" + config.level() : "")
        + (config.batchNorm() ? "_bn" : "") + "_s" + seed;
  }

  /** A figure7 grid run of a network read from a file: {@code resnet18_svd_r0}. */
  public static String grid(String network, Initializer init, int repeat) {
    return network + "_" + init.id() + "_r" + repeat;
  }

  /** A figure7 grid run: {@code L75_svd_r0}, {@code L75_xavier_bn_r0} (the batch-norm curve). */
  public static String grid(int layers, Initializer init, boolean batchNorm, int repeat) {
    return "L" + layers + "_" + init.id() + (batchNorm ? "_bn" : "") + "_r" + repeat;
  }

  /** An init-report: {@code init_L75_level3_s0}, {@code init_L75_level3_bn_s0}. */
  public static String initReport(ModelConfig model, long seed) {
    return "init_L" + model.numLayers() + "_level" + model.level()
        + (model.batchNorm() ? "_bn" : "") + "_s" + seed;
  }
}
