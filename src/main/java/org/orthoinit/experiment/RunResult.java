package org.orthoinit.experiment;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import org.orthoinit.init.Lsuv;
import org.orthoinit.init.SvdInitializer;

/**
 * The record of one run, as written to JSON.
 *
 * @param trainImages images the run trained on (all batch files found, then --train-limit)
 * @param status "ok", or "diverged" when a loss became NaN or infinite (its epoch's loss is null)
 * @param epochs per-epoch mean training loss and wall time
 * @param testAccuracy top-1 accuracy on the test set after training; null when not evaluated
 * @param init the SVD initializer's report; null for the other inits
 * @param initSeconds wall time of the initialization (Xavier and, if asked, the SVD or LSUV init)
 * @param lsuv LSUV's report; null for the other inits
 * @param orthogonality the final features' gram ratio and gap on a fixed probe batch of
 *     training images, after the init (epoch 0) and after every epoch; null in results written
 *     before it was recorded
 */
public record RunResult(String name, RunSpec spec, String data, int trainImages, String status,
    List<Epoch> epochs,
    Double testAccuracy, Double initSeconds, SvdInitializer.Report init,
    @JsonInclude(JsonInclude.Include.NON_NULL) Lsuv.Report lsuv,
    List<Orthogonality> orthogonality, Environment environment, String started,
    String finished) {

  public static final String OK = "ok";
  public static final String DIVERGED = "diverged";

  /** The probe batch's final features after {@code epoch} epochs (0 = at init). */
  public record Orthogonality(int epoch, double gramRatio, double gap) {}

  /** One epoch; {@code loss} is null if the epoch diverged. */
  public record Epoch(int epoch, Double loss, double seconds) {}

  public boolean diverged() {
    return DIVERGED.equals(status);
  }
}
