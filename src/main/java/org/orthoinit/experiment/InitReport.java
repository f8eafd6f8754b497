package org.orthoinit.experiment;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.orthoinit.data.Cifar10Data;
import org.orthoinit.init.InitException;
import org.orthoinit.init.Initializer;
import org.orthoinit.init.Initializers;
import org.orthoinit.init.Probe;
import org.orthoinit.model.Compute;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.ModelSession;

/**
 * How orthogonal each block's representation is on one batch, per initialization: the data behind
 * the {@code init-report} command.
 *
 * @param curves one per init, in the order asked, then Xavier + batch norm if asked
 */
public record InitReport(ModelConfig model, long seed, int batch, List<Curve> curves,
    Environment environment) {

  /**
   * One init's measurements.
   *
   * @param init the init's id, or {@code xavier+bn}: Xavier on the same model with batch norm
   * @param gaps per block (conv name, gap), in layer order
   * @param seconds wall time of the initialization
   */
  public record Curve(String init, double gramRatio, double finalGap, List<Probe.BlockGap> gaps,
      double seconds) {}

  /** What to compare: the inits, each with its settings, and the batch-norm curve or not. */
  public record Options(List<Initializer> inits, boolean batchNormBaseline) {
    public Options {
      inits = List.copyOf(inits);
    }
  }

  /**
   * Initializes a fresh model per init and measures it on a seeded batch of {@code train}; with
   * the batch-norm baseline, also Xavier on the model with batch norm.
   *
   * @param compute the device, resolved
   * @param progress told each curve's id as it starts
   */
  public static InitReport run(ModelConfig model, Options options, long seed, int batch,
      Cifar10Data train, int threads, Compute compute, Consumer<String> progress)
      throws InitException {
    int n = Math.min(batch, train.size());
    float[] images = TrainingRun.initBatch(train, n, seed);
    List<Curve> curves = new ArrayList<>();
    Environment[] environment = new Environment[1]; // of the first model's session
    for (Initializer init : options.inits()) {
      progress.accept(init.id());
      curves.add(curve(init.id(), model, init, options, seed, images, n, threads, compute,
          environment));
    }
    if (options.batchNormBaseline() && !model.batchNorm()) {
      progress.accept(Figure7Config.BATCH_NORM_CURVE);
      ModelConfig bn = new ModelConfig(model.numLayers(), model.level(), true, model.dropout(),
          model.classes());
      curves.add(curve(Figure7Config.BATCH_NORM_CURVE, bn, Initializers.XAVIER, options, seed,
          images, n, threads, compute, environment));
    }
    return new InitReport(model, seed, n, curves, environment[0]);
  }

  private static Curve curve(String id, ModelConfig model, Initializer init, Options options,
      long seed, float[] images, int n, int threads, Compute compute, Environment[] environment)
      throws InitException {
    try (ModelSession session = ModelSession.open(model, seed, threads, compute)) {
      long t0 = System.nanoTime();
      init.initialize(session, new Initializer.Context(seed, images, n, false));
      double seconds = (System.nanoTime() - t0) / 1e9;
      if (environment[0] == null) {
        environment[0] = Environment.of(session); // traces a pass: after the weights
      }
      Probe.Measurement m = new Probe(session, "probe").measure(images, n);
      return new Curve(id, m.gramRatio(), m.gap(), m.blocks(), seconds);
    }
  }
}
