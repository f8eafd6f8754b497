package org.orthoinit.init;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * What the SVD init did: the seed's printed gram ratios of the final features, before and after,
 * per rewritten layer its norm and route, and per block the orthogonality gap on the batch.
 *
 * @param decomposition the {@code --decomposition} asked for, in lower case
 * @param outputNorms per rewritten layer, the Frobenius norm of its output with the unscaled
 *     kernel (what the kernel was divided by)
 * @param times with profiling: each rewritten layer's op seconds by stage; null otherwise
 */
public record SvdReport(String decomposition, int batch, double gramRatioBefore,
    double gramRatioAfter, List<LayerResult> outputNorms, List<BlockGap> gaps, double seconds,
    @JsonInclude(JsonInclude.Include.NON_NULL) List<LayerTimes> times)
    implements Initializer.Report {

  /**
   * What the initializer did to one rewritten layer.
   *
   * @param route how the kernel was computed (null in results written before the routes were
   *     recorded)
   * @param residual the subspace routes only: the kept eigenpairs' largest relative residual at
   *     the last check
   * @param offExact with the check on: max |W - W_exact| / max |W_exact| of this layer's kernel
   *     (before the norm scaling) against a float64 full eigendecomposition: of the same float32
   *     G for gram_eigh, of G formed in float64 from P for the subspace routes
   * @param float32EighOffExact with the check on: the same for the float32 full decomposition
   *     (GRAM_EIGH) of the same G
   */
  public record LayerResult(String layer, double outputNorm,
      @JsonInclude(JsonInclude.Include.NON_NULL) SvdRoute route,
      @JsonInclude(JsonInclude.Include.NON_NULL) Double residual,
      @JsonInclude(JsonInclude.Include.NON_NULL) Double offExact,
      @JsonInclude(JsonInclude.Include.NON_NULL) Double float32EighOffExact) {}

  /**
   * Where one rewritten layer's time went: per stage of {@link SvdProfile#STAGES}, the summed run
   * time of its ops in a traced run (ops of a stage may overlap: op seconds, not wall time).
   */
  public record LayerTimes(String layer, Map<String, Double> seconds) {}

  /** A block's orthogonality gap before and after. */
  public record BlockGap(String layer, double before, double after) {}

  /** The layers whose subspace iteration fell back to the full decomposition. */
  public List<String> fallbacks() {
    return outputNorms.stream().filter(l -> l.route() != null && l.route().fallback())
        .map(LayerResult::layer).toList();
  }
}
