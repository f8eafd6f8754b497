package org.orthoinit.plot;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.orthoinit.experiment.Figure7Config;
import org.orthoinit.experiment.GridSummary;
import org.orthoinit.experiment.Stats;

/**
 * One figure per depth, as the seed's seaborn plots: mean training loss per epoch, a shaded 95%
 * band over the repeats (seaborn's bootstrap, or a t-interval), Xavier blue squares, orthogonal red circles, and the baselines
 * when asked for: Xavier + batch norm green triangles, LSUV purple diamonds.
 */
public final class Figure7Chart {

  /** Alpha of the shaded bands. */
  private static final int BAND_ALPHA = 50;

  private static final int MAX_TICK_LABELS = 20;

  private Figure7Chart() {}

  /** The figure of one depth. */
  public static XYChart chart(GridSummary summary, int layers) {
    Figure7Config c = summary.config();
    String scaled = c.scaledDown(summary.trainImages());
    String title = String.format("%s%s: preset %s%s", c.axis(layers),
        c.level() == 3 ? "" : " (level " + c.level() + ")", c.preset(),
        scaled.isEmpty() ? "" : ", scaled down");
    XYChart chart = Figures.chart(title, "epochs", "training loss");
    int maxRepeats = 0;
    for (GridSummary.Curve curve : summary.curves()) {
      if (curve.layers() != layers || curve.epochs().isEmpty()) {
        continue;
      }
      maxRepeats = Math.max(maxRepeats, curve.repeats());
      String label = String.format("%s (%d run%s%s)", Figures.label(curve.init()),
          curve.repeats(), curve.repeats() == 1 ? "" : "s",
          curve.diverged() > 0 ? ", " + curve.diverged() + " diverged" : "");
      addCurve(chart, curve.init(), label, curve.epochs());
    }
    chart.setXAxisTitle(maxRepeats > 1 ? "epochs (band: " + band(summary).label() + ")"
        : "epochs (one repeat per curve: no interval)");
    Figures.sparseIntegerTicks(chart, c.epochs(), MAX_TICK_LABELS);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    return chart;
  }

  /**
   * The companion figure of one depth: the orthogonality gap V of the final features on the
   * probe batch, from the init (epoch 0) through training, one band per init.
   */
  public static XYChart gapChart(GridSummary summary, int layers) {
    XYChart chart = Figures.chart(String.format("Orthogonality of the features: %s (preset %s)",
        summary.config().axis(layers), summary.config().preset()),
        "epochs (0 = at init; band: " + band(summary).label() + ")", "orthogonality gap V");
    for (GridSummary.Curve curve : summary.curves()) {
      if (curve.layers() == layers && curve.gaps() != null && !curve.gaps().isEmpty()) {
        addCurve(chart, curve.init(), Figures.label(curve.init()), curve.gaps());
      }
    }
    chart.getStyler().setYAxisMin(0.0);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
    return chart;
  }

  /** The summary's kind of band; summaries written before it was recorded used t. */
  static Stats.Band band(GridSummary summary) {
    return summary.band() == null ? Stats.Band.T
        : Stats.Band.valueOf(summary.band().toUpperCase());
  }

  /** A mean line with markers and, where there is one, its shaded band. */
  static void addCurve(XYChart chart, String init, String label, List<GridSummary.Point> points) {
    Color colour = Figures.colour(init);
    double[] x = points.stream().mapToDouble(GridSummary.Point::epoch).toArray();
    double[] y = points.stream().mapToDouble(GridSummary.Point::mean).toArray();
    addBand(chart, label, colour, points, BAND_ALPHA);
    XYSeries line = chart.addSeries(label, x, y);
    line.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
    line.setLineColor(colour);
    line.setMarkerColor(colour);
    line.setMarker(Figures.marker(init));
    line.setLineStyle(Figures.line(2f));
  }

  /** The shaded band of {@code points} where they have one, as a polygon without a legend. */
  static void addBand(XYChart chart, String label, Color colour, List<GridSummary.Point> points,
      int alpha) {
    List<Double> bx = new ArrayList<>();
    List<Double> by = new ArrayList<>();
    for (GridSummary.Point p : points) {
      if (p.upper() != null) {
        bx.add((double) p.epoch());
        by.add(p.upper());
      }
    }
    for (int i = points.size() - 1; i >= 0; i--) {
      if (points.get(i).lower() != null) {
        bx.add((double) points.get(i).epoch());
        by.add(points.get(i).lower());
      }
    }
    if (bx.size() > 2) {
      XYSeries band = chart.addSeries(label + " band", bx, by);
      band.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.PolygonArea);
      band.setFillColor(new Color(colour.getRed(), colour.getGreen(), colour.getBlue(), alpha));
      band.setLineColor(new Color(0, 0, 0, 0));
      band.setMarker(SeriesMarkers.NONE);
      band.setShowInLegend(false);
    }
  }

  /**
   * Writes convolutional_DEPTH.{png,svg,pdf} for every depth into {@code dir}, and
   * orthogonality_DEPTH.* where the runs recorded it (DEPTH is the network's name in a grid of a
   * network read from a file).
   */
  public static List<Path> saveAll(GridSummary summary, Path dir) throws IOException {
    List<Path> written = new ArrayList<>();
    for (int layers : summary.config().layers()) {
      boolean any = summary.curves().stream()
          .anyMatch(c -> c.layers() == layers && !c.epochs().isEmpty());
      if (any) {
        written.addAll(Figures.save(chart(summary, layers),
            dir.resolve("convolutional_" + summary.config().stem(layers))));
      }
      boolean gaps = summary.curves().stream().anyMatch(c -> c.layers() == layers
          && c.gaps() != null && !c.gaps().isEmpty());
      if (gaps) {
        written.addAll(Figures.save(gapChart(summary, layers),
            dir.resolve("orthogonality_" + summary.config().stem(layers))));
      }
    }
    return written;
  }
}
