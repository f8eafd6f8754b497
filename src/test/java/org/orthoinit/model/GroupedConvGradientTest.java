package org.orthoinit.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.orthoinit.TestImages;
import org.orthoinit.TestNetworks;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Gradients;
import org.tensorflow.types.TFloat32;

/**
 * The gradients TensorFlow computes through a depthwise and a grouped, dilated,
 * asymmetrically padded convolution (the builder's own constructions, not TensorFlow's grouped
 * Conv2D) are the loss's derivatives: checked against central differences.
 */
class GroupedConvGradientTest {

  @Test
  void depthwiseAndGroupedConvolutionsTrain() {
    // no ReLU or batch norm: the loss is linear in each single parameter, so a central
    // difference is its derivative up to rounding, whatever the step
    Network network = new Network("grouped", List.of(
        new Layer.Conv("dw", Network.INPUT_NAME, 3, 6, Window.square(3, 2, 1), 3, true),
        new Layer.Conv("g", "dw", 6, 4, new Window(3, 3, 1, 1, 1, 0, 2, 1, 2, 2), 2, true),
        new Layer.AvgPool("pool", "g", Window.square(2, 2, 0), true, false),
        new Layer.Flatten("flat", "pool"),
        new Layer.Linear("fc", "flat", 4 * 8 * 7, 3, true)));
    int n = 2;
    float[] x = TestImages.uniform(n, 5);
    Map<String, float[]> weights = TestNetworks.randomWeights(network, 2);
    try (ModelSession s = ModelSession.open(network, 0, 1, Compute.CPU)) {
      s.assign(weights);
      Ops tf = s.model().tf().withSubScope("fd");
      Random random = new Random(3);
      float[] c = new float[n * 3];
      for (int i = 0; i < c.length; i++) {
        c[i] = (float) random.nextGaussian();
      }
      Operand<TFloat32> loss = tf.reduceSum(tf.math.mul(s.eval().logits(),
          tf.reshape(tf.constant(c), tf.constant(new int[] {n, 3}))),
          tf.constant(new int[] {0, 1}));
      List<Parameter> params = network.parameters();
      List<Operand<TFloat32>> wrt = new ArrayList<>();
      params.forEach(p -> wrt.add(s.variables().get(p.name())));
      Gradients grads = tf.gradients(loss, wrt);

      Map<String, float[]> analytic = new HashMap<>();
      try (TFloat32 images = ModelSession.imagesTensor(x, n)) {
        var runner = s.session().runner().feed(s.model().images(), images);
        for (int i = 0; i < params.size(); i++) {
          runner.fetch(grads.<TFloat32>dy(i));
        }
        try (Result r = runner.run()) {
          for (int i = 0; i < params.size(); i++) {
            analytic.put(params.get(i).name(), ModelSession.toArray((TFloat32) r.get(i)));
          }
        }
        float step = 0.5f;
        for (Parameter p : params) {
          float[] g = analytic.get(p.name());
          double scale = 0;
          for (float v : g) {
            scale = Math.max(scale, Math.abs(v));
          }
          assertTrue(scale > 0, p.name() + ": zero gradient");
          double worst = 0;
          for (int k = 0; k < 12; k++) {
            int at = random.nextInt(g.length);
            float[] w = weights.get(p.name()).clone();
            w[at] += step;
            s.assign(Map.of(p.name(), w));
            double up = value(s, loss, images);
            w[at] -= 2 * step;
            s.assign(Map.of(p.name(), w));
            double down = value(s, loss, images);
            s.assign(Map.of(p.name(), weights.get(p.name())));
            double numeric = (up - down) / (2 * step);
            worst = Math.max(worst, Math.abs(numeric - g[at]) / scale);
          }
          System.out.printf("finite differences %s: worst error %.2e of max |gradient|%n",
              p.name(), worst);
          assertTrue(worst < 1e-3, p.name() + ": " + worst);
        }
      }
    }
  }

  private static double value(ModelSession s, Operand<TFloat32> loss, TFloat32 images) {
    try (Result r = s.session().runner().feed(s.model().images(), images).fetch(loss).run()) {
      return ((TFloat32) r.get(0)).getFloat();
    }
  }
}
