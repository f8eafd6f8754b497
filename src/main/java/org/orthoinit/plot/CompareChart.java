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

/** Per depth: our curves (solid, with their band) and PyTorch's (dashed), one figure. */
public final class CompareChart {

  private static final int BAND_ALPHA = 45;
  private static final BasicStroke DASHED = new BasicStroke(2f, BasicStroke.CAP_BUTT,
      BasicStroke.JOIN_ROUND, 10f, new float[] {7f, 5f}, 0f);

  private CompareChart() {}

  public static XYChart chart(Comparison c, int layers) {
    XYChart chart = Figures.chart(layers + " extra layers: orthoinit (solid) and PyTorch (dashed)",
        "epochs (band: 95% t-interval of our mean over repeats)", "training loss");
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
    Color colour = Figures.colour(curve.init());
    double[] x = curve.epochs().stream().mapToDouble(GridSummary.Point::epoch).toArray();
    double[] y = curve.epochs().stream().mapToDouble(GridSummary.Point::mean).toArray();
    if (!dashed) {
      List<Double> bx = new ArrayList<>();
      List<Double> by = new ArrayList<>();
      curve.epochs().stream().filter(p -> p.upper() != null).forEach(p -> {
        bx.add((double) p.epoch());
        by.add(p.upper());
      });
      for (int i = curve.epochs().size() - 1; i >= 0; i--) {
        GridSummary.Point p = curve.epochs().get(i);
        if (p.lower() != null) {
          bx.add((double) p.epoch());
          by.add(p.lower());
        }
      }
      if (bx.size() > 2) {
        XYSeries band = chart.addSeries(label + " band", bx, by);
        band.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.PolygonArea);
        band.setFillColor(new Color(colour.getRed(), colour.getGreen(), colour.getBlue(),
            BAND_ALPHA));
        band.setLineColor(new Color(0, 0, 0, 0));
        band.setMarker(SeriesMarkers.NONE);
        band.setShowInLegend(false);
      }
    }
    XYSeries s = chart.addSeries(label, x, y);
    s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
    s.setLineColor(colour);
    s.setMarkerColor(colour);
    s.setMarker(dashed ? SeriesMarkers.NONE : Figures.marker(curve.init()));
    s.setLineStyle(dashed ? DASHED : Figures.line(2f));
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
