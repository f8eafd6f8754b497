package org.orthoinit.experiment;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Our Figure 7 curves beside PyTorch's, epoch by epoch: both means, their difference, and whether
 * PyTorch's mean lies inside our 95% interval.
 *
 * @param theirs PyTorch's curves summarized like ours (mean and t-interval per epoch)
 */
public record Comparison(List<Row> rows, List<GridSummary.Curve> ours,
    List<GridSummary.Curve> theirs) {

  /**
   * One epoch of one (depth, init); a side without data there is null.
   *
   * @param inside whether their mean is within our interval; null without an interval
   */
  public record Row(int layers, String init, int epoch, Double ours, Double ourLower,
      Double ourUpper, Double theirs, Double difference, Boolean inside) {}

  /**
   * Compares {@code ours} with PyTorch's curves: depth -> init ("xavier", "svd") ->
   * losses[repeat][epoch].
   */
  public static Comparison of(GridSummary ours, Map<Integer, Map<String, double[][]>> theirs) {
    List<GridSummary.Curve> theirCurves = new ArrayList<>();
    for (var depth : theirs.entrySet()) {
      for (var init : depth.getValue().entrySet()) {
        double[][] runs = init.getValue();
        int epochs = runs[0].length;
        List<GridSummary.Point> points = new ArrayList<>();
        for (int e = 0; e < epochs; e++) {
          double[] column = new double[runs.length];
          for (int r = 0; r < runs.length; r++) {
            column[r] = runs[r][e];
          }
          Stats.Interval i = Stats.interval(column, Stats.LEVEL);
          boolean band = runs.length > 1;
          points.add(new GridSummary.Point(e + 1, i.n(), i.mean(), band ? i.lower() : null,
              band ? i.upper() : null));
        }
        theirCurves.add(new GridSummary.Curve(depth.getKey(), init.getKey(), runs.length, 0,
            points, null, List.of()));
      }
    }
    List<Row> rows = new ArrayList<>();
    for (GridSummary.Curve c : ours.curves()) {
      GridSummary.Curve t = theirCurves.stream()
          .filter(x -> x.layers() == c.layers() && x.init().equals(c.init()))
          .findFirst().orElse(null);
      int epochs = Math.max(c.epochs().size(), t == null ? 0 : t.epochs().size());
      for (int e = 0; e < epochs; e++) {
        GridSummary.Point o = e < c.epochs().size() ? c.epochs().get(e) : null;
        GridSummary.Point p = t != null && e < t.epochs().size() ? t.epochs().get(e) : null;
        Double diff = o != null && p != null ? o.mean() - p.mean() : null;
        Boolean inside = o != null && p != null && o.lower() != null
            ? p.mean() >= o.lower() && p.mean() <= o.upper() : null;
        rows.add(new Row(c.layers(), c.init(), e + 1, o == null ? null : o.mean(),
            o == null ? null : o.lower(), o == null ? null : o.upper(),
            p == null ? null : p.mean(), diff, inside));
      }
    }
    return new Comparison(rows, ours.curves(), theirCurves);
  }
}
