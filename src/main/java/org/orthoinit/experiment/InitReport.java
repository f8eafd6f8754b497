package org.orthoinit.experiment;

import java.util.ArrayList;
import java.util.List;
import org.orthoinit.data.Cifar10Data;
import org.orthoinit.init.InitException;
import org.orthoinit.init.Probe;
import org.orthoinit.init.SvdInitializer;
import org.orthoinit.init.Xavier;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.ModelSession;

/**
 * How orthogonal each block's representation is on one batch, per initialization: the data behind
 * the {@code init-report} command.
 *
 * @param curves one per init, in the order asked
 */
public record InitReport(ModelConfig model, long seed, int batch, List<Curve> curves,
    Environment environment) {

  /**
   * One init's measurements.
   *
   * @param gaps per block (conv name, gap), in layer order
   * @param seconds wall time of the initialization
   */
  public record Curve(String init, double gramRatio, double finalGap, List<Probe.BlockGap> gaps,
      double seconds) {}

  /** Initializes a fresh model per init and measures it on a seeded batch of {@code train}. */
  public static InitReport run(ModelConfig model, List<InitMethod> inits, long seed, int batch,
      Cifar10Data train, int threads, SvdInitializer.Decomposition decomposition)
      throws InitException {
    int n = Math.min(batch, train.size());
    float[] images = TrainingRun.initBatch(train, n, seed);
    List<Curve> curves = new ArrayList<>();
    for (InitMethod init : inits) {
      try (ModelSession session = ModelSession.open(model, seed, threads)) {
        long t0 = System.nanoTime();
        Xavier.initialize(session, seed);
        if (init == InitMethod.SVD) {
          new SvdInitializer(session, decomposition).initialize(images, n);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        Probe.Measurement m = new Probe(session, "probe").measure(images, n);
        curves.add(new Curve(init.id(), m.gramRatio(), m.gap(), m.blocks(), seconds));
      }
    }
    return new InitReport(model, seed, n, curves, Environment.current(threads));
  }
}
