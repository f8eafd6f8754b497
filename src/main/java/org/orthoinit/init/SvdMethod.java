package org.orthoinit.init;

import org.orthoinit.model.ModelSession;
import org.orthoinit.model.Network;

/**
 * The SVD init in the registry: Xavier (unless weights are given), then the square
 * convolutions rewritten from the init batch by {@code decomposition}.
 */
record SvdMethod(SvdInitializer.Decomposition decomposition) implements Initializer {
  @Override
  public String id() {
    return "svd";
  }

  @Override
  public String description() {
    return "Xavier, then every square convolution set from the SVD of its input's patches "
        + "(Daneshmand et al. 2021): the seed's novel_initialization";
  }

  @Override
  public Look look() {
    return new Look("orthogonal (SVD init)", 0xD22828, Marker.CIRCLE);
  }

  @Override
  public boolean usesData() {
    return true;
  }

  @Override
  public boolean keepsWeights() {
    return true;
  }

  /** The batch must give every rewritten layer as many patch rows as it has outputs. */
  @Override
  public void checkBatch(Network network, int n) throws InitException {
    SvdPreflight.checkBatch(network, n);
  }

  @Override
  public Class<SvdReport> reportType() {
    return SvdReport.class;
  }

  @Override
  public SvdReport initialize(ModelSession session, Context context) throws InitException {
    if (!context.given()) {
      Xavier.initialize(session, context.seed());
    }
    return new SvdInitializer(session, decomposition)
        .initialize(context.images(), context.n());
  }
}
