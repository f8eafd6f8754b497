package org.orthoinit.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.orthoinit.init.Initializer;
import org.orthoinit.init.Initializers;
import org.orthoinit.util.AtomicFiles;

/** Shared look and writing of figures: PNG, SVG and PDF, each written atomically. */
public final class Figures {

  /**
   * The batch-norm baseline's colour, green triangles; each init's look (the seed's: Xavier blue
   * squares, orthogonal (SVD) red circles) comes with it from the registry.
   */
  public static final Color BATCH_NORM = new Color(40, 150, 60);
  private static final Color OTHER = new Color(90, 90, 90);
  /** The batch-norm baseline's curve id (as experiment's Figure7Config names it). */
  private static final String BATCH_NORM_CURVE = "xavier+bn";
  public static final int WIDTH = 800;
  public static final int HEIGHT = 560;
  /** PNG resolution. */
  public static final int DPI = 150;

  private Figures() {}

  static {
    System.setProperty("java.awt.headless", "true");
  }

  /** A white chart with grid lines and a legend at the top right (a chart may move it). */
  public static XYChart chart(String title, String x, String y) {
    XYChart chart = new XYChart(WIDTH, HEIGHT);
    chart.setTitle(title);
    chart.setXAxisTitle(x);
    chart.setYAxisTitle(y);
    XYStyler s = chart.getStyler();
    s.setChartBackgroundColor(Color.WHITE);
    s.setPlotBackgroundColor(Color.WHITE);
    s.setLegendPosition(Styler.LegendPosition.InsideNE);
    s.setLegendBorderColor(Color.LIGHT_GRAY);
    s.setPlotGridLinesColor(new Color(225, 225, 225));
    s.setAntiAlias(true);
    return chart;
  }

  /** Labels at most {@code most} of the integer ticks 1..count on the x axis, evenly spaced. */
  public static void sparseIntegerTicks(XYChart chart, int count, int most) {
    long every = Math.max(1, (count + most - 1) / most);
    chart.getStyler().setxAxisTickLabelsFormattingFunction(x -> {
      long i = Math.round(x);
      return (i - 1) % every == 0 ? Long.toString(i) : "";
    });
  }

  /** The look of a curve: an init's id, or xavier+bn for the batch-norm baseline. */
  private static Initializer.Look look(String curve) {
    if (curve.equals(BATCH_NORM_CURVE)) {
      return new Initializer.Look("xavier + batch norm", BATCH_NORM.getRGB() & 0xFFFFFF,
          Initializer.Marker.TRIANGLE_UP);
    }
    try {
      return Initializers.byId(curve).look();
    } catch (IllegalArgumentException e) {
      return new Initializer.Look(curve, OTHER.getRGB() & 0xFFFFFF, Initializer.Marker.OVAL);
    }
  }

  /** The colour of a curve. */
  public static Color colour(String curve) {
    return new Color(look(curve).rgb());
  }

  /** The marker of a curve. */
  public static Marker marker(String curve) {
    return switch (look(curve).marker()) {
      case SQUARE -> SeriesMarkers.SQUARE;
      case CIRCLE -> SeriesMarkers.CIRCLE;
      case DIAMOND -> SeriesMarkers.DIAMOND;
      case TRIANGLE_UP -> SeriesMarkers.TRIANGLE_UP;
      case TRIANGLE_DOWN -> SeriesMarkers.TRIANGLE_DOWN;
      case CROSS -> SeriesMarkers.CROSS;
      case PLUS -> SeriesMarkers.PLUS;
      case OVAL -> SeriesMarkers.OVAL;
      case RECTANGLE -> SeriesMarkers.RECTANGLE;
    };
  }

  /** The legend label of a curve, as the seed's ("orthogonal" for the SVD init). */
  public static String label(String curve) {
    return look(curve).label();
  }

  static BasicStroke line(float width) {
    return new BasicStroke(width, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
  }

  /**
   * Writes {@code base}.png, .svg and .pdf; returns the files written.
   *
   * @param base path without extension
   */
  public static List<Path> save(XYChart chart, Path base) throws IOException {
    Path dir = base.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    String name = base.getFileName().toString();
    List<Path> written = new ArrayList<>();
    written.add(atomically(dir, name + ".png", tmp -> BitmapEncoder.saveBitmapWithDPI(chart,
        tmp.toString(), BitmapEncoder.BitmapFormat.PNG, DPI)));
    written.add(atomically(dir, name + ".svg", tmp -> VectorGraphicsEncoder.saveVectorGraphic(
        chart, tmp.toString(), VectorGraphicsEncoder.VectorGraphicsFormat.SVG)));
    written.add(atomically(dir, name + ".pdf", tmp -> VectorGraphicsEncoder.saveVectorGraphic(
        chart, tmp.toString(), VectorGraphicsEncoder.VectorGraphicsFormat.PDF)));
    return written;
  }

  private interface Writer {
    void write(Path file) throws IOException;
  }

  /**
   * XChart picks the format by the file's extension and adds it when missing: the temporary file
   * keeps the extension, so nothing is added.
   */
  private static Path atomically(Path dir, String file, Writer writer) throws IOException {
    Path target = dir.resolve(file);
    AtomicFiles.writeByPath(target, file.substring(file.lastIndexOf('.')), writer::write);
    return target;
  }
}
