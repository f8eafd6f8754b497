package org.orthoinit.experiment;

/** How a run's weights start. */
public enum InitMethod {
  /** xavier_uniform_ with gain sqrt(2), zero biases: the seed's {@code weights_init}. */
  XAVIER,
  /** Xavier, then the paper's SVD initializer: the seed's {@code novel_initialization}. */
  SVD,
  /**
   * Orthonormal kernels, then layer-sequential unit variance (Mishkin and Matas, ICLR 2016): a
   * data-dependent baseline.
   */
  LSUV;

  /** The lower-case name used in flags, file names and JSON. */
  public String id() {
    return name().toLowerCase();
  }

  /** Parses a flag value, case-insensitively. */
  public static InitMethod parse(String s) {
    for (InitMethod m : values()) {
      if (m.id().equalsIgnoreCase(s.trim())) {
        return m;
      }
    }
    throw new IllegalArgumentException("unknown init '" + s
        + "', expected one of xavier, svd, lsuv");
  }
}
