package org.orthoinit.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.orthoinit.experiment.Comparison;
import org.orthoinit.experiment.GridSummary;
import org.orthoinit.experiment.Stats;

/** Per depth: our curves (solid, with their band) and PyTorch's (dashed), one figure. */
public final class CompareChart {

  private static final BasicStroke DASHED = new BasicStroke(2f, BasicStroke.CAP_BUTT,
      BasicStroke.JOIN_ROUND, 10f, new float[] {7f, 5f}, 0f);

  /** PyTorch's bands are fainter than ours, so both stay readable where they overlap. */
  private static final int DASHED_BAND_ALPHA = 25;

  private CompareChart() {}

  public static XYChart chart(Comparison c, int layers) {
    XYChart chart = Figures.chart(layers + " extra layers: orthoinit (solid) and PyTorch (dashed)",
        "epochs (bands: " + Stats.Band.valueOf(c.band().toUpperCase()).label() + ")",
        "training loss");
    for (GridSummary.Curve ours : c.ours()) {
      if (ours.layers() == layers && !ours.epochs().isEmpty()) {
        add(chart, ours, "orthoinit " + Figures.label(ours.init()), false);
      }
    }
    for (GridSummary.Curve theirs : c.theirs()) {
      if (theirs.layers() == layers) {
        add(chart, theirs, "PyTorch " + Figures.label(theirs.init()), true);
      }
    }
    return chart;
  }

  private static void add(XYChart chart, GridSummary.Curve curve, String label, boolean dashed) {
    if (!dashed) {
      Figure7Chart.addCurve(chart, curve.init(), label, curve.epochs());
      return;
    }
    Color colour = Figures.colour(curve.init());
    double[] x = curve.epochs().stream().mapToDouble(GridSummary.Point::epoch).toArray();
    double[] y = curve.epochs().stream().mapToDouble(GridSummary.Point::mean).toArray();
    Figure7Chart.addBand(chart, label, colour, curve.epochs(), DASHED_BAND_ALPHA);
    XYSeries s = chart.addSeries(label, x, y);
    s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
    s.setLineColor(colour);
    s.setMarker(SeriesMarkers.NONE);
    s.setLineStyle(DASHED);
  }

  /** compare_DEPTH.{png,svg,pdf} for every depth both sides have. */
  public static List<Path> saveAll(Comparison c, Path dir) throws IOException {
    List<Path> out = new ArrayList<>();
    for (int layers : c.ours().stream().map(GridSummary.Curve::layers).distinct().toList()) {
      if (c.theirs().stream().anyMatch(t -> t.layers() == layers)) {
        out.addAll(Figures.save(chart(c, layers), dir.resolve("compare_" + layers)));
      }
    }
    return out;
  }
}
