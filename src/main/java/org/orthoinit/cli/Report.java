package org.orthoinit.cli;

import java.util.List;
import org.orthoinit.experiment.RunResult;
import org.orthoinit.init.Lsuv;
import org.orthoinit.init.SvdReport;

/** The one-line summaries commands print on stdout. */
final class Report {

  private Report() {}

  static String oneLine(RunResult r) {
    List<RunResult.Epoch> e = r.epochs();
    StringBuilder s = new StringBuilder(r.name()).append(": ").append(r.status());
    if (!e.isEmpty()) {
      s.append(String.format(", loss %s -> %s over %d epochs", fmt(e.get(0).loss()),
          fmt(e.get(e.size() - 1).loss()), e.size()));
    }
    SvdReport svd = r.report(SvdReport.class);
    if (svd != null) {
      s.append(String.format(", gram ratio %.3f -> %.3f", svd.gramRatioBefore(),
          svd.gramRatioAfter()));
    }
    Lsuv.Report lsuv = r.report(Lsuv.Report.class);
    if (lsuv != null) {
      List<String> off = lsuv.unconverged();
      s.append(off.isEmpty() ? ", LSUV: every layer at unit variance"
          : ", LSUV: not converged at " + String.join(" ", off));
    }
    if (r.testAccuracy() != null) {
      s.append(String.format(", test accuracy %.2f%%", 100 * r.testAccuracy()));
    }
    double seconds = e.stream().mapToDouble(RunResult.Epoch::seconds).sum();
    return s.append(String.format(", %.0f s", seconds)).toString();
  }

  private static String fmt(Double d) {
    return d == null ? "NaN" : String.format("%.4f", d);
  }
}
