package org.orthoinit.init;

import org.orthoinit.model.ModelSession;

/**
 * The SVD init in the registry: Xavier (unless weights are given), then the square
 * convolutions rewritten from the init batch.
 */
final class SvdMethod implements Initializer {
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

  @Override
  public Class<SvdReport> reportType() {
    return SvdReport.class;
  }

  @Override
  public SvdReport initialize(ModelSession session, Context context) throws InitException {
    if (!context.given()) {
      Xavier.initialize(session, context.seed());
    }
    return new SvdInitializer(session, context.decomposition())
        .initialize(context.images(), context.n());
  }
}
