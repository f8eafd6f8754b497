package org.orthoinit.model;

import java.util.ArrayList;
import java.util.List;

/**
 * A VGG-style plain network (Simonyan and Zisserman 2015) as a {@link Network}: stages of 3 x 3
 * convolutions with ReLU (and batch norm), each stage halving the resolution, then a linear
 * classifier on the flattened features. Named as torchvision's VGG names its modules
 * ({@code features.N}, {@code classifier.N}).
 *
 * @param widths each stage's channels, 1 to 5 stages
 * @param depth convolutions per stage, >= 1
 * @param batchNorm a BatchNorm2d after each convolution, before its ReLU (torchvision's order)
 * @param downsample how a stage halves the resolution
 * @param classes output classes
 */
public record Vgg(List<Integer> widths, int depth, boolean batchNorm, Downsample downsample,
    int classes) {

  public static final String NAME = "vgg";
  /** Up to 5 halvings of a 32 x 32 image. */
  public static final int MAX_STAGES = 5;

  /** How a stage halves the resolution. */
  public enum Downsample {
    /** A 2 x 2 max pool after the stage, as VGG. */
    MAX_POOL,
    /**
     * The stage's first convolution at stride 2, padded 0 before and 1 after: TensorFlow's SAME
     * at stride 2, as networks ported from TensorFlow have it.
     */
    STRIDE
  }

  public Vgg {
    widths = List.copyOf(widths);
    if (widths.isEmpty() || widths.size() > MAX_STAGES) {
      throw new IllegalArgumentException("a VGG needs 1 to " + MAX_STAGES + " stages, got "
          + widths.size());
    }
    for (int w : widths) {
      if (w < 1) {
        throw new IllegalArgumentException("stage widths must be >= 1, got " + widths);
      }
    }
    if (depth < 1) {
      throw new IllegalArgumentException("depth must be >= 1, got " + depth);
    }
    if (classes < 2) {
      throw new IllegalArgumentException("classes must be >= 2, got " + classes);
    }
  }

  /** The network's layers. */
  public Network network() {
    List<Layer> layers = new ArrayList<>();
    String last = Network.INPUT_NAME;
    int in = Network.IMAGE_CHANNELS;
    int size = Network.IMAGE_SIZE;
    for (int width : widths) {
      for (int i = 0; i < depth; i++) {
        String name = "features." + layers.size();
        boolean strided = downsample == Downsample.STRIDE && i == 0;
        Window w = strided ? new Window(3, 3, 2, 2, 0, 0, 1, 1, 1, 1) : Window.square(3, 1, 1);
        layers.add(new Layer.Conv(name, last, in, width, w, 1, !batchNorm));
        last = name;
        if (batchNorm) {
          last = "features." + layers.size();
          layers.add(Layer.BatchNorm.of(last, name, width));
        }
        String relu = "features." + layers.size();
        layers.add(new Layer.Relu(relu, last));
        last = relu;
        in = width;
      }
      if (downsample == Downsample.MAX_POOL) {
        String pool = "features." + layers.size();
        layers.add(Layer.MaxPool.of(pool, last, 2));
        last = pool;
      }
      size /= 2;
    }
    layers.add(new Layer.Flatten("flatten", last));
    layers.add(new Layer.Linear("classifier.0", "flatten", in * size * size, classes, true));
    return new Network(NAME, layers);
  }
}
