package org.orthoinit.init;

import java.util.ArrayList;
import java.util.List;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.NetworkGraph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TFloat64;

/**
 * Measures a model's representations on a batch as it stands: the orthogonality gap of every
 * block's output and the gram ratio of the final features (training-mode pass, as the seed's
 * printouts: batch norms use batch statistics; no dropout acts before the classifier).
 */
public final class Probe {

  /** A block's gap. */
  public record BlockGap(String layer, double gap) {}

  /** The measurements of one batch. */
  public record Measurement(double gramRatio, double gap, List<BlockGap> blocks) {}

  private final ModelSession session;
  private final Placeholder<TFloat32> images;
  private final List<String> names = new ArrayList<>();
  private final List<Operand<TFloat64>> gaps = new ArrayList<>();
  private final Orthogonality.Nodes features;

  /** Adds the probe's ops to the session's graph under {@code scopeName}. */
  public Probe(ModelSession session, String scopeName) {
    this.session = session;
    NetworkGraph model = session.model();
    Ops tf = model.tf().withSubScope(scopeName);
    images = NetworkGraph.imagesPlaceholder(tf);
    NetworkGraph.Pass f = model.walk(tf, images, NetworkGraph.Mode.INIT, NetworkGraph::convolve);
    for (NetworkGraph.Block b : f.blocks()) {
      names.add(b.conv().name());
      gaps.add(Orthogonality.build(tf, b.output()).gap());
    }
    features = Orthogonality.build(tf, f.features());
  }

  /** Measures {@code n} images (NHWC in [0, 1]). */
  public Measurement measure(float[] imagesNhwc, int n) {
    Session.Runner runner = session.session().runner();
    gaps.forEach(runner::fetch);
    runner.fetch(features.gramRatio()).fetch(features.gap());
    try (TFloat32 x = ModelSession.imagesTensor(imagesNhwc, n);
        Result r = runner.feed(images, x).run()) {
      List<BlockGap> blocks = new ArrayList<>();
      for (int i = 0; i < names.size(); i++) {
        blocks.add(new BlockGap(names.get(i), ((TFloat64) r.get(i)).getDouble()));
      }
      return new Measurement(((TFloat64) r.get(names.size())).getDouble(),
          ((TFloat64) r.get(names.size() + 1)).getDouble(), blocks);
    }
  }
}
