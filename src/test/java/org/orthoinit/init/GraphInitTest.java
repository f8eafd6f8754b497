package org.orthoinit.init;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.orthoinit.TestImages;
import org.orthoinit.TestNetworks;
import org.orthoinit.model.Compute;
import org.orthoinit.model.Layer;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.Network;
import org.orthoinit.model.NetworkGraph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.types.TFloat32;

/** The initializers on a graph that is not the seed's AlexNet. */
class GraphInitTest {

  private static final int N = 64;

  /**
   * The SVD init rewrites exactly the convolutions with in == out channels and one group (in the
   * zoo: the strided, asymmetrically padded c1 and the 1 x 1 a, which reads c1 through a branch),
   * leaves the depthwise and grouped ones as Xavier set them, and divides each rewritten kernel
   * so that its output on the init batch, in the network as finally set, has Frobenius norm 1.
   */
  @Test
  void svdRewritesTheSquareUngroupedConvolutionsInTopologicalOrder() throws Exception {
    Network zoo = TestNetworks.zoo();
    float[] images = TestImages.uniform(N, 9);
    try (ModelSession s = ModelSession.open(zoo, 0, 0, Compute.CPU)) {
      SvdReport r = (SvdReport) Initializers.SVD.initialize(s,
          new Initializer.Context(4, images, N, false));
      assertEquals(List.of("c1", "a"),
          r.outputNorms().stream().map(SvdReport.LayerResult::layer).toList());
      Map<String, float[]> xavier = Xavier.values(zoo, 4);
      Map<String, float[]> now = s.readAll();
      for (Layer.Conv c : zoo.convs()) {
        boolean rewritten = c.name().equals("c1") || c.name().equals("a");
        boolean same = Arrays.equals(xavier.get(c.weight()), now.get(c.weight()));
        assertEquals(!rewritten, same, c.name() + " rewritten: " + rewritten);
      }
      // the final network's outputs of the rewritten layers on the batch
      var walk = s.model().walk(s.model().tf().withSubScope("check"), s.model().images(),
          NetworkGraph.Mode.INIT, NetworkGraph::convolve);
      for (String layer : List.of("c1", "a")) {
        Operand<TFloat32> y = walk.outputs().get(layer);
        var tf = s.model().tf();
        Operand<TFloat32> norm = tf.math.sqrt(tf.reduceSum(tf.math.square(y),
            tf.constant(new int[] {0, 1, 2, 3})));
        try (TFloat32 x = ModelSession.imagesTensor(images, N);
            Result res = s.session().runner().feed(s.model().images(), x).fetch(norm).run()) {
          float f = ((TFloat32) res.get(0)).getFloat();
          assertEquals(1.0, f, 1e-4, layer + "'s output norm");
        }
      }
    }
  }

  /**
   * A unit that is zero on the whole batch leaves the patch matrix of the next square
   * convolution short of its output count, so a kept singular value is exactly zero and the
   * rule's S^-1/2 is not defined: the init names that layer and assigns nothing. Here c0 maps
   * each image to 4 values of which the first is always 0 (its weights and bias are zero), and
   * c1, 4 -> 4 over those 1 x 1 maps, sees a zero column.
   */
  @ParameterizedTest
  @ValueSource(strings = {"GRAM_EIGH", "SUBSPACE", "SVD"})
  void aDeadUnitBeforeASquareConvolutionIsNamedAndNothingIsAssigned(String decomposition)
      throws Exception {
    Network dead = new Network("dead", List.of(
        Layer.Conv.of("c0", Network.INPUT_NAME, 3, 4, 32, 1, 0, true),
        new Layer.Relu("r0", "c0"),
        Layer.Conv.of("c1", "r0", 4, 4, 3, 1, 1, false),
        new Layer.Flatten("flat", "c1"),
        new Layer.Linear("fc", "flat", 4, 10, true)));
    Map<String, float[]> weights = Xavier.values(dead, 1);
    float[] c0 = weights.get("c0.weight"); // HWIO: output channel 0 is every 4th value
    for (int i = 0; i < c0.length; i += 4) {
      c0[i] = 0f;
    }
    float[] bias = new float[4];
    java.util.Arrays.fill(bias, 1, 4, 0.5f);
    weights.put("c0.bias", bias);
    try (ModelSession s = ModelSession.open(dead, 0, 0, Compute.CPU)) {
      s.assign(weights);
      var init = new SvdInitializer(s, SvdInitializer.Decomposition.valueOf(decomposition));
      InitException e = assertThrows(InitException.class,
          () -> init.initialize(TestImages.uniform(8, 3), 8));
      assertTrue(e.getMessage().startsWith("c1: its new kernel is not finite: a kept singular "
          + "value of its patch matrix is zero"), e.getMessage());
      assertArrayEquals(weights.get("c1.weight"), s.read(List.of("c1.weight")).get("c1.weight"));
    }
  }

  /**
   * Each convolution depends only on its ancestors, so any topological order of the same graph
   * gives the same kernels: the zoo with its two branches listed the other way round.
   */
  @Test
  void anyTopologicalOrderGivesTheSameKernels() throws Exception {
    Network zoo = TestNetworks.zoo();
    List<Layer> swapped = new ArrayList<>(zoo.layers());
    int a = swapped.indexOf(zoo.layer("a"));
    int b = swapped.indexOf(zoo.layer("b"));
    Collections.swap(swapped, a, b); // b reads ap as a does; add reads both
    Network other = new Network(zoo.name(), swapped);
    float[] images = TestImages.uniform(N, 12);
    Map<String, float[]> first = svd(zoo, images);
    Map<String, float[]> second = svd(other, images);
    for (String name : List.of("c1.weight", "a.weight")) {
      assertArrayEquals(first.get(name), second.get(name), 1e-6f, name);
    }
  }

  private static Map<String, float[]> svd(Network network, float[] images) throws Exception {
    try (ModelSession s = ModelSession.open(network, 0, 0, Compute.CPU)) {
      Initializers.SVD.initialize(s, new Initializer.Context(4, images, N, false));
      return s.readAll();
    }
  }

  /** Every registered initializer sets every variable of the zoo to finite values. */
  @Test
  void everyInitializerAppliesToAnyNetwork() throws Exception {
    Network zoo = TestNetworks.zoo();
    float[] images = TestImages.uniform(N, 10);
    for (Initializer init : Initializers.all()) {
      try (ModelSession s = ModelSession.open(zoo, 0, 0, Compute.CPU)) {
        init.initialize(s, new Initializer.Context(1, images, N, false));
        Map<String, float[]> values = s.readAll();
        // the zoo's parameters and running statistics, as its definition names them
        assertEquals(java.util.Set.of("c0.weight", "c0.bias", "c1.weight", "bn1.weight",
            "bn1.bias", "bn1.running_mean", "bn1.running_var", "dw.weight", "dw.bias",
            "g.weight", "g.bias", "a.weight", "a.bias", "fc1.weight", "fc1.bias", "fc2.weight",
            "fc2.bias"), values.keySet(), init.id());
        for (var e : values.entrySet()) {
          for (float v : e.getValue()) {
            assertTrue(Float.isFinite(v), init.id() + ": " + e.getKey());
          }
        }
        float[] logits = s.predict(Arrays.copyOf(images, 4 * TestImages.PIXELS), 4).logits();
        for (float v : logits) {
          assertTrue(Float.isFinite(v), init.id() + " logits");
        }
        assertFalse(Arrays.equals(new float[logits.length], logits), init.id());
      }
    }
  }
}
