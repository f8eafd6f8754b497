package org.orthoinit.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.orthoinit.TestImages;
import org.orthoinit.TestTensors;

/**
 * ShuffleNet's channel shuffle and a slice of channels, through the network graph: six channels
 * made from the image's three (channel c is image channel c mod 3 times c + 1, so that every
 * channel is told apart), then the layer; its values and the gradient of sum_k (k + 1) y_k
 * against the permutations and sums worked out by hand below.
 */
class ChannelOpsTest {

  private static final int N = 2;
  private static final int PIXELS = Network.IMAGE_SIZE * Network.IMAGE_SIZE;

  /** Six channels: image channel c mod 3, times c + 1. */
  private static List<Layer> six() {
    float[] scale = {1, 2, 3, 4, 5, 6};
    return List.of(new Layer.Concat("both", List.of(Network.INPUT_NAME, Network.INPUT_NAME), 1),
        new Layer.Arithmetic("scaled", "both", Layer.Arithmetic.Op.MUL, new Dims(6, 1, 1), scale,
            false));
  }

  /**
   * Output channel k of the layer is channel {@code source[k]} of the six: for a shuffle of 6
   * channels in 3 groups of 2, output j * 3 + i is input i * 2 + j: 0, 2, 4, 1, 3, 5; in 2 groups
   * of 3, output j * 2 + i is input i * 3 + j: 0, 3, 1, 4, 2, 5.
   */
  @Test
  void aShuffleReordersChannelsAsPytorchsChannelShuffle() {
    check(new Layer.ChannelShuffle("shuffle", "scaled", 3), new int[] {0, 2, 4, 1, 3, 5});
    check(new Layer.ChannelShuffle("shuffle", "scaled", 2), new int[] {0, 3, 1, 4, 2, 5});
    check(new Layer.ChannelShuffle("shuffle", "scaled", 1), new int[] {0, 1, 2, 3, 4, 5});
  }

  @Test
  void aSliceTakesConsecutiveChannels() {
    check(new Layer.ChannelSlice("part", "scaled", 2, 5), new int[] {2, 3, 4});
    check(new Layer.ChannelSlice("part", "scaled", 0, 1), new int[] {0});
    check(new Layer.ChannelSlice("part", "scaled", 3, 6), new int[] {3, 4, 5});
  }

  @Test
  void shapesThatDoNotFitAreRefusedByName() {
    IllegalArgumentException groups = assertThrows(IllegalArgumentException.class,
        () -> network(new Layer.ChannelShuffle("shuffle", "scaled", 4)));
    assertTrue(groups.getMessage().contains("layer shuffle: shuffles 6 channels in 4 groups"),
        groups.getMessage());
    IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
        () -> network(new Layer.ChannelSlice("part", "scaled", 4, 7)));
    assertEquals("layer part: takes channels [4, 7) of 6", range.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> network(new Layer.ChannelSlice("part", "scaled", 3, 3)));
  }

  private static Network network(Layer last) {
    List<Layer> layers = new ArrayList<>(six());
    layers.add(last);
    return Network.ofAnyShape("channels", new Dims(3, 32, 32), layers);
  }

  private static void check(Layer layer, int[] source) {
    Network network = network(layer);
    float[] x = TestImages.uniform(N, 7);
    int out = source.length;
    float[] weights = new float[N * PIXELS * out];
    for (int i = 0; i < weights.length; i++) {
      weights[i] = i % out + 1;
    }
    try (ModelSession s = ModelSession.open(network, 0, 1, Compute.CPU)) {
      float[][] run = TestTensors.outputAndImageGradient(s, x, N, weights);
      float[] values = run[0];
      float[] slopes = run[1];
      assertEquals(N * PIXELS * out, values.length, layer + ": output size");
      for (int p = 0; p < N * PIXELS; p++) {
        for (int k = 0; k < out; k++) {
          int c = source[k];
          assertEquals(x[p * 3 + c % 3] * (c + 1), values[p * out + k], 1e-6,
              layer + ": pixel " + p + ", channel " + k);
        }
        for (int m = 0; m < 3; m++) {
          double expected = 0;
          for (int k = 0; k < out; k++) {
            if (source[k] % 3 == m) {
              expected += (k + 1) * (source[k] + 1);
            }
          }
          assertEquals(expected, slopes[p * 3 + m], 1e-4,
              layer + ": gradient at pixel " + p + ", image channel " + m);
        }
      }
    }
  }
}
