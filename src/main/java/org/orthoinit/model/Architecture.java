package org.orthoinit.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The seed's AlexNet as two ordered lists of layers, indexed exactly as PyTorch indexes the
 * {@code features} and {@code classifier} Sequentials. Everything that needs the architecture
 * (graph, initializers, summary, ONNX import) walks these lists.
 */
public record Architecture(ModelConfig config, List<Layer> features, List<Layer> classifier) {

  /** CIFAR-10 images: 32 x 32 RGB. */
  public static final int IMAGE_SIZE = 32;
  public static final int IMAGE_CHANNELS = 3;
  /** Float values of one image, [32, 32, 3] NHWC. */
  public static final int IMAGE_FLOATS = IMAGE_SIZE * IMAGE_SIZE * IMAGE_CHANNELS;
  /** The seed's filter counts. */
  public static final int C1 = 64;
  public static final int C2 = 192;
  public static final int C3 = 256;
  public static final int KERNEL = 3;
  /** Spatial size at the end of features: 32 / 2 (stride) / 2 / 2 / 2 (three pools). */
  public static final int FINAL_SPATIAL = 2;
  /** Flattened features: 256 x 2 x 2. */
  public static final int FEATURES = C3 * FINAL_SPATIAL * FINAL_SPATIAL;
  public static final int HIDDEN = 4096;
  /** The two Sequentials' names, the first part of every layer's name. */
  public static final String FEATURES_PREFIX = "features";
  public static final String CLASSIFIER = "classifier";

  public Architecture {
    features = List.copyOf(features);
    classifier = List.copyOf(classifier);
  }

  /** The layers of the seed's {@code AlexNet(classes, num_layers, level, withbn)}. */
  public static Architecture of(ModelConfig config) {
    var f = new Builder(FEATURES_PREFIX);
    f.conv(IMAGE_CHANNELS, C1, 2, true);
    f.pool();
    f.relu();
    f.conv(C1, C2, 1, true);
    f.pool();
    f.relu();
    f.conv(C2, C2, 1, true);
    f.relu();
    if (config.level() == 2) {
      for (int i = 0; i < config.numLayers(); i++) {
        f.conv(C2, C2, 1, false);
        f.relu();
        if (config.batchNorm()) {
          f.batchNorm(C2);
        }
      }
    }
    f.conv(C2, C3, 1, true); // no ReLU after it, as in the seed
    f.conv(C3, C3, 1, true);
    f.relu();
    if (config.level() == 3) {
      for (int i = 0; i < config.numLayers(); i++) {
        f.conv(C3, C3, 1, true);
        f.relu();
        if (config.batchNorm()) {
          f.batchNorm(C3);
        }
      }
    }
    f.pool();
    f.relu();

    var c = new Builder(CLASSIFIER);
    c.dropout();
    c.linear(FEATURES, HIDDEN);
    c.relu();
    c.dropout();
    c.linear(HIDDEN, HIDDEN);
    c.relu();
    c.linear(HIDDEN, config.classes());
    return new Architecture(config, f.layers, c.layers);
  }

  /**
   * A representation's shape for one image, as PyTorch gives it: channels x height x width; the
   * classifier's vectors are {@code n x 1 x 1}.
   */
  public record Dims(int channels, int height, int width) {
    public long size() {
      return (long) channels * height * width;
    }

    @Override
    public String toString() {
      return height == 1 && width == 1 ? Integer.toString(channels)
          : channels + "x" + height + "x" + width;
    }
  }

  /** The images entering the network: 3 x 32 x 32. */
  public static final Dims INPUT = new Dims(IMAGE_CHANNELS, IMAGE_SIZE, IMAGE_SIZE);

  /**
   * Every layer's output shape, by name in layer order (features, then classifier), inferred once
   * from the layers' attributes: a convolution gives (size + 2 padding - kernel) / stride + 1, a
   * max pool halves (rounding down), flattening gives channels x height x width.
   */
  public Map<String, Dims> outputs() {
    Map<String, Dims> out = new LinkedHashMap<>();
    Dims d = INPUT;
    for (Layer layer : features) {
      if (layer instanceof Layer.Conv c) {
        int h = (d.height() + 2 * c.padding() - c.kernel()) / c.stride() + 1;
        int w = (d.width() + 2 * c.padding() - c.kernel()) / c.stride() + 1;
        d = new Dims(c.out(), h, w);
      } else if (layer instanceof Layer.MaxPool) {
        d = new Dims(d.channels(), d.height() / 2, d.width() / 2);
      }
      out.put(layer.name(), d);
    }
    d = new Dims(Math.toIntExact(d.size()), 1, 1);
    for (Layer layer : classifier) {
      if (layer instanceof Layer.Linear l) {
        d = new Dims(l.out(), 1, 1);
      }
      out.put(layer.name(), d);
    }
    return out;
  }

  /** The shape entering each layer, by name in layer order. */
  public Map<String, Dims> inputs() {
    Map<String, Dims> in = new LinkedHashMap<>();
    Dims previous = INPUT;
    boolean flat = false;
    for (Map.Entry<String, Dims> e : outputs().entrySet()) {
      if (!flat && e.getKey().startsWith(CLASSIFIER + ".")) {
        previous = new Dims(Math.toIntExact(previous.size()), 1, 1); // the flatten between
        flat = true;
      }
      in.put(e.getKey(), previous);
      previous = e.getValue();
    }
    return in;
  }

  /** All convolutions of the features, in order. */
  public List<Layer.Conv> convs() {
    return features.stream()
        .filter(Layer.Conv.class::isInstance)
        .map(Layer.Conv.class::cast)
        .toList();
  }

  /** Names and shapes (TensorFlow layout) of every trainable parameter, in PyTorch's order. */
  public List<Parameter> parameters() {
    var out = new ArrayList<Parameter>();
    for (Layer layer : features) {
      if (layer instanceof Layer.Conv c) {
        out.add(new Parameter(c.weight(), Parameter.Kind.CONV_KERNEL,
            new long[] {c.kernel(), c.kernel(), c.in(), c.out()}));
        if (c.bias()) {
          out.add(Parameter.bias(c.biasName(), c.out()));
        }
      } else if (layer instanceof Layer.BatchNorm b) {
        out.add(new Parameter(b.weight(), Parameter.Kind.BN_GAMMA, new long[] {b.channels()}));
        out.add(new Parameter(b.biasName(), Parameter.Kind.BN_BETA, new long[] {b.channels()}));
      }
    }
    for (Layer layer : classifier) {
      if (layer instanceof Layer.Linear l) {
        out.add(new Parameter(l.weight(), Parameter.Kind.LINEAR_WEIGHT,
            new long[] {l.in(), l.out()}));
        out.add(Parameter.bias(l.biasName(), l.out()));
      }
    }
    return out;
  }

  /** Running statistics of the batch norms (not trained; updated while training). */
  public List<Layer.BatchNorm> batchNorms() {
    return features.stream()
        .filter(Layer.BatchNorm.class::isInstance)
        .map(Layer.BatchNorm.class::cast)
        .toList();
  }

  /** Appends layers with consecutive PyTorch indices. */
  private static final class Builder {
    private final String prefix;
    private final List<Layer> layers = new ArrayList<>();

    Builder(String prefix) {
      this.prefix = prefix;
    }

    private String next() {
      return prefix + "." + layers.size();
    }

    void conv(int in, int out, int stride, boolean bias) {
      layers.add(new Layer.Conv(next(), in, out, KERNEL, stride, 1, bias));
    }

    void pool() {
      layers.add(new Layer.MaxPool(next()));
    }

    void relu() {
      layers.add(new Layer.Relu(next()));
    }

    void batchNorm(int channels) {
      layers.add(new Layer.BatchNorm(next(), channels));
    }

    void dropout() {
      layers.add(new Layer.Dropout(next()));
    }

    void linear(int in, int out) {
      layers.add(new Layer.Linear(next(), in, out));
    }
  }
}
