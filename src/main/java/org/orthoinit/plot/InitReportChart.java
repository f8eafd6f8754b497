package org.orthoinit.plot;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.orthoinit.experiment.InitReport;
import org.orthoinit.init.Probe;

/** The orthogonality gap of every block, one line per init. */
public final class InitReportChart {

  /** Enough labels to read a block's number off the axis without crowding it. */
  private static final int MAX_TICK_LABELS = 20;

  private InitReportChart() {}

  public static XYChart chart(InitReport report) {
    var m = report.model();
    XYChart chart = Figures.chart(String.format("Orthogonality gap per block: %d extra layers, "
            + "level %d%s, %d images", m.numLayers(), m.level(), m.batchNorm() ? ", batch norm" : "",
        report.batch()), "block (convolution, in order)", "orthogonality gap V");
    for (InitReport.Curve c : report.curves()) {
      List<Probe.BlockGap> gaps = c.gaps();
      double[] x = new double[gaps.size()];
      double[] y = new double[gaps.size()];
      for (int i = 0; i < x.length; i++) {
        x[i] = i + 1;
        y[i] = gaps.get(i).gap();
      }
      XYSeries s = chart.addSeries(Figures.label(c.init()), x, y);
      s.setLineColor(Figures.colour(c.init()));
      s.setMarkerColor(Figures.colour(c.init()));
      s.setMarker(Figures.marker(c.init()));
    }
    chart.getStyler().setYAxisMin(0.0);
    // every corner of the plot has a curve in it at 75 layers
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    Figures.sparseIntegerTicks(chart, report.curves().get(0).gaps().size(), MAX_TICK_LABELS);
    return chart;
  }

  public static List<Path> save(InitReport report, Path base) throws IOException {
    return Figures.save(chart(report), base);
  }
}
