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
    Describe describe = new Describe(network);
    return network.layers().stream().mapToLong(l -> l.accept(describe).flops()).sum();
  }

  /** Rows for every layer, in order. */
  public static List<Row> rows(Network network) {
    List<Row> rows = new ArrayList<>();
    Map<String, Dims> shapes = network.outputs();
    Describe describe = new Describe(network);
    for (Layer layer : network.layers()) {
      Description d = layer.accept(describe);
      rows.add(new Row(layer.name(), d.type(), shapes.get(layer.name()).toString(),
          d.parameters()));
    }
    return rows;
  }

  /**
   * A layer as the summary shows it.
   *
   * @param type what PyTorch would print for the module
   * @param parameters its trainable values
   * @param flops its forward pass's floating-point operations per image, 2 per multiply-add
   */
  private record Description(String type, long parameters, long flops) {
    static Description of(String type) {
      return new Description(type, 0, 0);
    }
  }

  private record Describe(Network network) implements Layer.Visitor<Description> {
    @Override
    public Description conv(Layer.Conv c) {
      return new Description("Conv2d(" + c.in() + ", " + c.out() + ", " + c.window()
          + (c.groups() > 1 ? ", groups=" + c.groups() : "") + (c.bias() ? "" : ", bias=False")
          + ")", (long) c.out() * c.fanIn() + (c.bias() ? c.out() : 0),
          2L * network.dims(c.name()).size() * c.fanIn());
    }

    @Override
    public Description maxPool(Layer.MaxPool p) {
      Window w = p.window();
      boolean plain = w.isSquare() && w.kernelH() == w.strideH() && !w.padded() && !p.ceilMode();
      return Description.of("MaxPool2d(" + (plain ? Integer.toString(w.kernelH())
          : w.toString() + (p.ceilMode() ? ", ceil_mode=True" : "")) + ")");
    }

    @Override
    public Description avgPool(Layer.AvgPool p) {
      return Description.of("AvgPool2d(" + p.window() + (p.ceilMode() ? ", ceil_mode=True" : "")
          + (p.countIncludePad() ? "" : ", count_include_pad=False") + ")");
    }

    @Override
    public Description globalAvgPool(Layer.GlobalAvgPool p) {
      return Description.of("AdaptiveAvgPool2d(1)");
    }

    @Override
    public Description relu(Layer.Relu r) {
      return Description.of("ReLU");
    }

    @Override
    public Description leakyRelu(Layer.LeakyRelu r) {
      return Description.of("LeakyReLU(" + r.alpha() + ")");
    }

    @Override
    public Description sigmoid(Layer.Sigmoid g) {
      return Description.of("Sigmoid");
    }

    @Override
    public Description hardSigmoid(Layer.HardSigmoid g) {
      return Description.of("Hardsigmoid(" + g.alpha() + ", " + g.beta() + ")");
    }

    @Override
    public Description hardSwish(Layer.HardSwish g) {
      return Description.of("Hardswish");
    }

    @Override
    public Description erf(Layer.Erf e) {
      return Description.of("erf");
    }

    @Override
    public Description clip(Layer.Clip c) {
      return Description.of("Hardtanh(" + c.min() + ", " + c.max() + ")");
    }

    @Override
    public Description batchNorm(Layer.BatchNorm b) {
      return new Description((network.dims(b.input()).flat() ? "BatchNorm1d(" : "BatchNorm2d(")
          + b.channels() + ")", 2L * b.channels(), 0);
    }

    @Override
    public Description layerNorm(Layer.LayerNorm n) {
      return new Description("LayerNorm((" + n.channels() + ",), eps=" + n.epsilon()
          + (n.affine() ? "" : ", elementwise_affine=False") + ")",
          n.affine() ? 2L * n.channels() : 0, 0);
    }

    @Override
    public Description scale(Layer.Scale c) {
      return new Description("LayerScale(" + c.channels() + ")", c.channels(), 0);
    }

    @Override
    public Description dropout(Layer.Dropout d) {
      return Description.of("Dropout(" + d.p() + ")");
    }

    @Override
    public Description arithmetic(Layer.Arithmetic a) {
      return Description.of((a.constantFirst() ? "constant " + a.op() + " x"
          : "x " + a.op() + " constant") + " (" + a.shape() + ")");
    }

    @Override
    public Description add(Layer.Add a) {
      return Description.of("Add(" + String.join(", ", a.inputs()) + ")");
    }

    @Override
    public Description elementwise(Layer.Elementwise e) {
      return Description.of(e.op().onnx() + "(" + e.left() + ", " + e.right() + ")");
    }

    @Override
    public Description concat(Layer.Concat c) {
      return Description.of("Concat(" + String.join(", ", c.inputs()) + ")");
    }

    @Override
    public Description channelShuffle(Layer.ChannelShuffle c) {
      return Description.of("ChannelShuffle(" + c.groups() + ")");
    }

    @Override
    public Description channelSlice(Layer.ChannelSlice c) {
      return Description.of("narrow(1, " + c.from() + ", " + (c.to() - c.from()) + ")");
    }

    @Override
    public Description flatten(Layer.Flatten f) {
      return Description.of("Flatten");
    }

    @Override
    public Description linear(Layer.Linear l) {
      Dims x = network.dims(l.input());
      long positions = x.flat() ? 1 : (long) x.height() * x.width();
      return new Description("Linear(" + l.in() + ", " + l.out() + (l.bias() ? "" : ", bias=False")
          + ")", (long) l.in() * l.out() + (l.bias() ? l.out() : 0),
          2L * positions * l.in() * l.out());
    }
  }

  /** Trainable parameters in all. */
  public static long totalParameters(Network network) {
    return network.parameters().stream().mapToLong(Parameter::size).sum();
  }
}
