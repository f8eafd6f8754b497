package org.orthoinit.experiment;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import org.orthoinit.init.Initializer;
import org.orthoinit.init.Initializers;
import org.orthoinit.init.Lsuv;
import org.orthoinit.init.SvdReport;

/**
 * The record of one run, as written to JSON.
 *
 * @param trainImages images the run trained on (all batch files found, then --train-limit)
 * @param status "ok", or "diverged" when a loss became NaN or infinite (its epoch's loss is null)
 * @param epochs per-epoch mean training loss and wall time
 * @param testAccuracy top-1 accuracy on the test set after training; null when not evaluated
 * @param initSeconds wall time of the initialization
 * @param report what the init reported (the SVD init's, LSUV's), with its init's id as {@code
 *     method}; null for the inits that report nothing
 * @param orthogonality the final features' gram ratio and gap on a fixed probe batch of
 *     training images, after the init (epoch 0) and after every epoch; null in results written
 *     before it was recorded
 */
public record RunResult(String name, RunSpec spec, String data, int trainImages, String status,
    List<Epoch> epochs, Double testAccuracy, Double initSeconds,
    @JsonInclude(JsonInclude.Include.NON_NULL) @Initializers.ReportJson Initializer.Report report,
    List<Orthogonality> orthogonality, Environment environment, String started,
    String finished) {

  public static final String OK = "ok";
  public static final String DIVERGED = "diverged";

  /** The probe batch's final features after {@code epoch} epochs (0 = at init). */
  public record Orthogonality(int epoch, double gramRatio, double gap) {}

  /** One epoch; {@code loss} is null if the epoch diverged. */
  public record Epoch(int epoch, Double loss, double seconds) {}

  /**
   * Reads run files of every version: those written before the one report field held the SVD
   * init's report as {@code init} and LSUV's as {@code lsuv}.
   */
  @JsonCreator
  static RunResult read(@JsonProperty("name") String name, @JsonProperty("spec") RunSpec spec,
      @JsonProperty("data") String data, @JsonProperty("trainImages") int trainImages,
      @JsonProperty("status") String status, @JsonProperty("epochs") List<Epoch> epochs,
      @JsonProperty("testAccuracy") Double testAccuracy,
      @JsonProperty("initSeconds") Double initSeconds,
      @JsonProperty("report") @Initializers.ReportJson Initializer.Report report,
      @JsonProperty("init") SvdReport svd, @JsonProperty("lsuv") Lsuv.Report lsuv,
      @JsonProperty("orthogonality") List<Orthogonality> orthogonality,
      @JsonProperty("environment") Environment environment,
      @JsonProperty("started") String started, @JsonProperty("finished") String finished) {
    Initializer.Report r = report != null ? report : svd != null ? svd : lsuv;
    return new RunResult(name, spec, data, trainImages, status, epochs, testAccuracy,
        initSeconds, r, orthogonality, environment, started, finished);
  }

  /** The report if it is of this type (the SVD init's, LSUV's), else null. */
  public <R extends Initializer.Report> R report(Class<R> type) {
    return type.isInstance(report) ? type.cast(report) : null;
  }

  public boolean diverged() {
    return DIVERGED.equals(status);
  }
}
