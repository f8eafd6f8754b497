package org.orthoinit.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The seed's AlexNet as a {@link Network}: its {@code features} and {@code classifier}
 * Sequentials, indexed exactly as PyTorch indexes them, with the flatten of its forward between.
 */
public final class AlexNet {

  /** The network's name in files and figures. */
  public static final String NAME = "alexnet";
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
  /** The flatten between the two ({@code x.view(x.size(0), -1)} in the seed's forward). */
  public static final String FLATTEN = "flatten";

  private AlexNet() {}

  /** The layers of the seed's {@code AlexNet(classes, num_layers, level, withbn)}. */
  public static Network of(ModelConfig config) {
    List<Layer> layers = new ArrayList<>();
    var f = new Sequential(FEATURES_PREFIX, layers, Network.INPUT_NAME);
    f.conv(Network.IMAGE_CHANNELS, C1, 2, true);
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
    layers.add(new Layer.Flatten(FLATTEN, f.last));

    var c = new Sequential(CLASSIFIER, layers, FLATTEN);
    c.dropout(config.dropout());
    c.linear(FEATURES, HIDDEN);
    c.relu();
    c.dropout(config.dropout());
    c.linear(HIDDEN, HIDDEN);
    c.relu();
    c.linear(HIDDEN, config.classes());
    return new Network(NAME, layers);
  }

  /** The layers of {@code network} whose names start with {@code prefix + "."}, in order. */
  public static List<Layer> part(Network network, String prefix) {
    return network.layers().stream().filter(l -> l.name().startsWith(prefix + ".")).toList();
  }

  /**
   * The configuration whose AlexNet {@code network} is, if it is one: the same layers with the
   * same attributes and parameter names, whatever its parameterless layers are called and
   * whether its dropouts are there (an evaluation-mode export leaves them out; the dropout rate
   * is then the seed's).
   */
  public static Optional<ModelConfig> recognise(Network network) {
    int square192 = 0;
    int square256 = 0;
    for (Layer.Conv c : network.convs()) {
      if (c.square() && c.in() == C2) {
        square192++;
      } else if (c.square() && c.in() == C3) {
        square256++;
      }
    }
    boolean batchNorm = !network.batchNorms().isEmpty();
    float dropout = network.layers().stream().filter(Layer.Dropout.class::isInstance)
        .map(l -> ((Layer.Dropout) l).p()).findFirst().orElse(ModelConfig.DROPOUT_DEFAULT);
    int level = square192 > 1 ? 2 : ModelConfig.LEVEL_DEFAULT;
    int layers = (level == 2 ? square192 : square256) - 1;
    ModelConfig config;
    try {
      config = new ModelConfig(layers, level, batchNorm, dropout, network.classes());
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    Network expected = of(config);
    boolean same = expected.parameters().equals(network.parameters())
        && shape(expected.withoutDropout()).equals(shape(network.withoutDropout()));
    return same ? Optional.of(config) : Optional.empty();
  }

  /** {@code n}'s layers named by position: its shape, whatever the names. */
  private static List<Layer> shape(Network n) {
    List<String> names = n.layers().stream().map(Layer::name).toList();
    return n.renamed(name -> "#" + names.indexOf(name)).layers();
  }

  /** Appends layers with consecutive PyTorch indices, each reading the one before. */
  private static final class Sequential {
    private final String prefix;
    private final List<Layer> layers;
    private int index;
    private String last;

    Sequential(String prefix, List<Layer> layers, String input) {
      this.prefix = prefix;
      this.layers = layers;
      this.last = input;
    }

    private void add(Layer layer) {
      layers.add(layer);
      last = layer.name();
      index++;
    }

    private String next() {
      return prefix + "." + index;
    }

    void conv(int in, int out, int stride, boolean bias) {
      add(Layer.Conv.of(next(), last, in, out, KERNEL, stride, 1, bias));
    }

    void pool() {
      add(Layer.MaxPool.of(next(), last, 2));
    }

    void relu() {
      add(new Layer.Relu(next(), last));
    }

    void batchNorm(int channels) {
      add(Layer.BatchNorm.of(next(), last, channels));
    }

    void dropout(float p) {
      add(new Layer.Dropout(next(), last, p));
    }

    void linear(int in, int out) {
      add(new Layer.Linear(next(), last, in, out, true));
    }
  }
}
