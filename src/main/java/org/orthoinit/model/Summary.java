package org.orthoinit.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A layer table of an architecture: what PyTorch's print(model) and a parameter count show. */
public final class Summary {

  /**
   * One row.
   *
   * @param outputShape per image, PyTorch's CHW order ("256x4x4"), or the feature count
   */
  public record Row(String name, String type, String outputShape, long parameters) {}

  private Summary() {}

  /** The rows as aligned text, with a total line: what {@code summary} prints. */
  public static String table(Architecture architecture) {
    StringBuilder s = new StringBuilder();
    String format = "%-16s %-36s %-12s %,14d%n";
    s.append(String.format("%-16s %-36s %-12s %14s%n", "layer", "type", "output", "parameters"));
    for (Row r : rows(architecture)) {
      s.append(String.format(format, r.name(), r.type(), r.outputShape(), r.parameters()));
    }
    s.append(String.format(format, "total", "", "", totalParameters(architecture)));
    return s.toString();
  }

  /**
   * Floating-point operations of one image's forward pass: 2 per multiply-add of every convolution
   * and linear layer (the element-wise ops are a rounding error next to them). A training step
   * costs about three times this per image: the forward pass and the two backward products.
   */
  public static long forwardFlops(Architecture architecture) {
    long flops = 0;
    Map<String, Architecture.Dims> shapes = architecture.outputs();
    for (Layer.Conv c : architecture.convs()) {
      flops += 2L * shapes.get(c.name()).size() * c.in() * c.kernel() * c.kernel();
    }
    for (Layer layer : architecture.classifier()) {
      if (layer instanceof Layer.Linear l) {
        flops += 2L * l.in() * l.out();
      }
    }
    return flops;
  }

  /** Rows for every layer of features and classifier, in order. */
  public static List<Row> rows(Architecture architecture) {
    List<Row> rows = new ArrayList<>();
    Map<String, Architecture.Dims> shapes = architecture.outputs();
    for (Layer layer : architecture.features()) {
      long params = 0;
      String type;
      if (layer instanceof Layer.Conv c) {
        params = (long) c.out() * c.in() * c.kernel() * c.kernel() + (c.bias() ? c.out() : 0);
        type = String.format("Conv2d(%d, %d, k=%d, s=%d, p=%d%s)", c.in(), c.out(), c.kernel(),
            c.stride(), c.padding(), c.bias() ? "" : ", bias=False");
      } else if (layer instanceof Layer.MaxPool) {
        type = "MaxPool2d(2)";
      } else if (layer instanceof Layer.BatchNorm b) {
        params = 2L * b.channels();
        type = "BatchNorm2d(" + b.channels() + ")";
      } else {
        type = "ReLU";
      }
      rows.add(new Row(layer.name(), type, shapes.get(layer.name()).toString(), params));
    }
    for (Layer layer : architecture.classifier()) {
      long params = 0;
      String type;
      if (layer instanceof Layer.Linear l) {
        params = (long) l.in() * l.out() + l.out();
        type = "Linear(" + l.in() + ", " + l.out() + ")";
      } else if (layer instanceof Layer.Dropout) {
        type = "Dropout(" + architecture.config().dropout() + ")";
      } else {
        type = "ReLU";
      }
      rows.add(new Row(layer.name(), type, shapes.get(layer.name()).toString(), params));
    }
    return rows;
  }

  /** Trainable parameters in all. */
  public static long totalParameters(Architecture architecture) {
    return architecture.parameters().stream().mapToLong(Parameter::size).sum();
  }
}
