package org.orthoinit.init;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * How the SVD init computed one layer's kernel, persisted in run files by its label (the labels
 * of earlier versions read too).
 */
public enum SvdRoute {
  /** The block subspace iteration's first round reached the tolerance. */
  SUBSPACE("subspace"),
  /** The subspace iteration needed its second round. */
  SUBSPACE_SECOND("subspace, second round"),
  /** The float32 steps stalled above the tolerance; float64 steps reached it. */
  SUBSPACE_FLOAT64("subspace, float64 round"),
  /** The subspace iteration did not reach the tolerance: the full float64 decomposition. */
  FALLBACK("float64 eigh (fallback)"),
  /**
   * The batch gave few patch rows (at most the block's width, or half the columns): the
   * float64 decomposition of the rows x rows matrix P P^T instead of G's.
   */
  DUAL("float64 eigh of P P^T (few rows)"),
  /**
   * The block would hold every column: the full decomposition of G formed in float64, with no
   * iteration.
   */
  FULL("float64 eigh (block as wide as G)"),
  /** {@code --decomposition gram_eigh}: the full float32 decomposition of G. */
  GRAM_EIGH("gram_eigh"),
  /** {@code --decomposition svd}: TensorFlow's SVD of P. */
  SVD("svd"),
  /** Run files of versions whose fallback was the float32 full decomposition. */
  FALLBACK_FLOAT32("gram_eigh (fallback)"),
  /** Run files of versions whose block-wide route decomposed G in float32. */
  FULL_FLOAT32("gram_eigh (block as wide as G)");

  private final String label;

  SvdRoute(String label) {
    this.label = label;
  }

  @JsonValue
  public String label() {
    return label;
  }

  /** The route of {@code label}, as run files hold it. */
  @JsonCreator
  public static SvdRoute of(String label) {
    for (SvdRoute r : values()) {
      if (r.label.equals(label)) {
        return r;
      }
    }
    throw new IllegalArgumentException("unknown route '" + label + "'");
  }

  /** The subspace iteration missed the tolerance and the full decomposition was taken. */
  public boolean fallback() {
    return this == FALLBACK || this == FALLBACK_FLOAT32;
  }

  @Override
  public String toString() {
    return label;
  }
}
