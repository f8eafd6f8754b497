package org.orthoinit.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.orthoinit.data.Cifar10Data;
import org.orthoinit.init.Xavier;
import org.orthoinit.model.AlexNet;
import org.orthoinit.model.Compute;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.ModelSession;

/**
 * The same seed, data and thread count give the same losses, step for step, bit for bit: the
 * shuffle and the dropout masks are seeded, and TensorFlow's CPU kernels (oneDNN included) sum in
 * a fixed order for a fixed thread count. This holds for the CPU, which these sessions use on any
 * build: a GPU's kernels need not sum in a fixed order.
 */
class DeterminismTest {

  private static List<Double> losses(ModelConfig config, Cifar10Data data, int threads) {
    List<Double> out = new ArrayList<>();
    try (ModelSession s = ModelSession.open(config, 4, threads, Compute.CPU)) {
      Xavier.initialize(s, 4);
      Trainer t = new Trainer(s, new TrainConfig(2, 0.01f, 30, 4));
      t.train(data, new TrainListener() {
        @Override
        public void stepDone(int epoch, int step, double loss) {
          out.add(loss);
        }
      });
    }
    return out;
  }

  @ParameterizedTest(name = "{0} extra layers, batch norm {1}, {2} threads")
  @CsvSource({"3, false, 2", "3, true, 2", "3, false, 1"})
  void twoRunsGiveTheSameLossesBitForBit(int layers, boolean bn, int threads) {
    Cifar10Data data = org.orthoinit.TestImages.randomData(150, 3);
    ModelConfig config = new ModelConfig(layers, 3, bn, 0.5f, 10);
    double[] a = losses(config, data, threads).stream().mapToDouble(Double::doubleValue).toArray();
    double[] b = losses(config, data, threads).stream().mapToDouble(Double::doubleValue).toArray();
    assertEquals(10, a.length); // 2 epochs of 5 steps
    assertArrayEquals(a, b, 0.0);
  }

  @org.junit.jupiter.api.Test
  void theSvdAndLsuvInitsGiveTheSameWeightsTwice() throws Exception {
    float[] x = org.orthoinit.TestImages.uniform(32, 8);
    for (String method : List.of("svd", "lsuv")) {
      List<java.util.Map<String, float[]>> twice = new ArrayList<>();
      for (int k = 0; k < 2; k++) {
        try (ModelSession s = ModelSession.open(ModelConfig.of(2), 4, 2, Compute.CPU)) {
          Xavier.initialize(s, 4);
          if (method.equals("svd")) {
            new org.orthoinit.init.SvdInitializer(s,
                org.orthoinit.init.SvdInitializer.DECOMPOSITION_DEFAULT).initialize(x, 32);
          } else {
            new org.orthoinit.init.Lsuv(s, org.orthoinit.init.Lsuv.PAPER).initialize(x, 32, 4);
          }
          twice.add(s.readAll());
        }
      }
      for (String name : twice.get(0).keySet()) {
        assertArrayEquals(twice.get(0).get(name), twice.get(1).get(name), 0f, method + " " + name);
      }
      // and the init did something: an extra layer's kernel is no longer the seeded Xavier one
      String kernel = "features.13.weight"; // the second extra conv
      float[] xavier = Xavier.values(org.orthoinit.model.AlexNet.of(ModelConfig.of(2)), 4)
          .get(kernel);
      org.junit.jupiter.api.Assertions.assertFalse(
          java.util.Arrays.equals(xavier, twice.get(0).get(kernel)), method + " changed nothing");
    }
  }
}
