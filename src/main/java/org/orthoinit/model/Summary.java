package org.orthoinit.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A layer table of a network: what PyTorch's print(model) and a parameter count show. */
public final class Summary {

  /**
   * One row.
   *
   * @param outputShape per image, PyTorch's CHW order ("256x4x4"), or the feature count
   */
  public record Row(String name, String type, String outputShape, long parameters) {}

  private Summary() {}

  /** The rows as aligned text, with a total line: what {@code summary} prints. */
  public static String table(Network network) {
    StringBuilder s = new StringBuilder();
    String format = "%-16s %-36s %-12s %,14d%n";
    s.append(String.format("%-16s %-36s %-12s %14s%n", "layer", "type", "output", "parameters"));
    for (Row r : rows(network)) {
      s.append(String.format(format, r.name(), r.type(), r.outputShape(), r.parameters()));
    }
    s.append(String.format(format, "total", "", "", totalParameters(network)));
    return s.toString();
  }

  /**
   * Floating-point operations of one image's forward pass: 2 per multiply-add of every convolution
   * and linear layer (the element-wise ops are a rounding error next to them). A training step
   * costs about three times this per image: the forward pass and the two backward products.
   */
  public static long forwardFlops(Network network) {
    long flops = 0;
    Map<String, Dims> shapes = network.outputs();
    for (Layer layer : network.layers()) {
      if (layer instanceof Layer.Conv c) {
        flops += 2L * shapes.get(c.name()).size() * c.fanIn();
      } else if (layer instanceof Layer.Linear l) {
        flops += 2L * l.in() * l.out();
      }
    }
    return flops;
  }

  /** Rows for every layer, in order. */
  public static List<Row> rows(Network network) {
    List<Row> rows = new ArrayList<>();
    Map<String, Dims> shapes = network.outputs();
    for (Layer layer : network.layers()) {
      rows.add(new Row(layer.name(), type(layer, network), shapes.get(layer.name()).toString(),
          parameters(layer)));
    }
    return rows;
  }

  /** What PyTorch would print for the module. */
  private static String type(Layer layer, Network network) {
    if (layer instanceof Layer.Conv c) {
      return "Conv2d(" + c.in() + ", " + c.out() + ", " + c.window()
          + (c.groups() > 1 ? ", groups=" + c.groups() : "") + (c.bias() ? "" : ", bias=False")
          + ")";
    } else if (layer instanceof Layer.MaxPool p) {
      Window w = p.window();
      boolean plain = w.isSquare() && w.kernelH() == w.strideH() && !w.padded() && !p.ceilMode();
      return "MaxPool2d(" + (plain ? Integer.toString(w.kernelH()) : w.toString()
          + (p.ceilMode() ? ", ceil_mode=True" : "")) + ")";
    } else if (layer instanceof Layer.AvgPool p) {
      return "AvgPool2d(" + p.window() + (p.ceilMode() ? ", ceil_mode=True" : "")
          + (p.countIncludePad() ? "" : ", count_include_pad=False") + ")";
    } else if (layer instanceof Layer.GlobalAvgPool) {
      return "AdaptiveAvgPool2d(1)";
    } else if (layer instanceof Layer.BatchNorm b) {
      return (network.dims(b.input()).flat() ? "BatchNorm1d(" : "BatchNorm2d(") + b.channels()
          + ")";
    } else if (layer instanceof Layer.Dropout d) {
      return "Dropout(" + d.p() + ")";
    } else if (layer instanceof Layer.Linear l) {
      return "Linear(" + l.in() + ", " + l.out() + (l.bias() ? "" : ", bias=False") + ")";
    } else if (layer instanceof Layer.Relu) {
      return "ReLU";
    } else if (layer instanceof Layer.LeakyRelu r) {
      return "LeakyReLU(" + r.alpha() + ")";
    } else if (layer instanceof Layer.Sigmoid) {
      return "Sigmoid";
    } else if (layer instanceof Layer.Clip c) {
      return "Hardtanh(" + c.min() + ", " + c.max() + ")";
    } else if (layer instanceof Layer.Add a) {
      return "Add(" + String.join(", ", a.inputs()) + ")";
    } else if (layer instanceof Layer.Arithmetic a) {
      return (a.constantFirst() ? "constant " + a.op() + " x" : "x " + a.op() + " constant")
          + " (" + a.shape() + ")";
    } else if (layer instanceof Layer.Concat c) {
      return "Concat(" + String.join(", ", c.inputs()) + ")";
    }
    return "Flatten";
  }

  private static long parameters(Layer layer) {
    if (layer instanceof Layer.Conv c) {
      return (long) c.out() * c.fanIn() + (c.bias() ? c.out() : 0);
    } else if (layer instanceof Layer.BatchNorm b) {
      return 2L * b.channels();
    } else if (layer instanceof Layer.Linear l) {
      return (long) l.in() * l.out() + (l.bias() ? l.out() : 0);
    }
    return 0;
  }

  /** Trainable parameters in all. */
  public static long totalParameters(Network network) {
    return network.parameters().stream().mapToLong(Parameter::size).sum();
  }
}
