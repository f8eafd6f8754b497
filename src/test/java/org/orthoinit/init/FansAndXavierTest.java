package org.orthoinit.init;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.orthoinit.model.AlexNet;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.Network;
import org.orthoinit.model.Parameter;

class FansAndXavierTest {

  @Test
  void convFansCountTheReceptiveFieldOnceAsPyTorch() {
    // PyTorch: fan_in = Cin * k * k, fan_out = Cout * k * k for an OIHW [Cout, Cin, k, k] weight
    assertEquals(new Fans(27, 576), Fans.of(new long[] {3, 3, 3, 64}));
    assertEquals(new Fans(2304, 2304), Fans.of(new long[] {3, 3, 256, 256}));
    assertEquals(new Fans(1728, 2304), Fans.of(new long[] {3, 3, 192, 256}));
  }

  @Test
  void linearFansAreInAndOut() {
    assertEquals(new Fans(1024, 4096), Fans.of(new long[] {1024, 4096}));
    assertEquals(new Fans(4096, 10), Fans.of(new long[] {4096, 10}));
  }

  @Test
  void otherRanksAreRefused() {
    var e = assertThrows(IllegalArgumentException.class, () -> Fans.of(new long[] {5}));
    assertTrue(e.getMessage().contains("rank 1"), e.getMessage());
  }

  @Test
  void boundIsGainTimesSqrtSixOverFanSum() {
    assertEquals(Math.sqrt(2) * Math.sqrt(6.0 / (2304 + 2304)),
        Xavier.bound(new Fans(2304, 2304), Xavier.RELU_GAIN), 1e-15);
    assertEquals(0.0510310363, Xavier.bound(new Fans(2304, 2304), Xavier.RELU_GAIN), 1e-9);
  }

  @Test
  void everyKernelFillsItsInterval() {
    Network a = AlexNet.of(ModelConfig.of(1));
    Map<String, float[]> values = Xavier.values(a, 7);
    for (Parameter p : a.parameters()) {
      float[] v = values.get(p.name());
      assertEquals(p.size(), v.length, p.name());
      if (p.kind() == Parameter.Kind.BIAS) {
        for (float f : v) {
          assertEquals(0f, f, p.name());
        }
        continue;
      }
      double bound = Xavier.bound(Fans.of(p), Xavier.RELU_GAIN);
      double max = 0;
      double sum = 0;
      double sq = 0;
      for (float f : v) {
        max = Math.max(max, Math.abs(f));
        sum += f;
        sq += (double) f * f;
      }
      // the empirical bound: inside the interval, and reaching its edge (>= 1700 draws each)
      assertTrue(max <= (float) bound, p.name() + " max " + max + " > " + bound);
      assertTrue(max > 0.99 * bound, p.name() + " max " + max + " << " + bound);
      double mean = sum / v.length;
      double var = sq / v.length - mean * mean;
      // uniform(-a, a): variance a^2 / 3
      assertEquals(bound * bound / 3, var, 0.1 * bound * bound / 3, p.name());
    }
  }

  @Test
  void sameSeedSameValuesOtherSeedOtherValues() {
    Network a = AlexNet.of(ModelConfig.of(0));
    float[] x = Xavier.values(a, 1).get("features.9.weight");
    assertEquals(x[100], Xavier.values(a, 1).get("features.9.weight")[100]);
    assertTrue(x[100] != Xavier.values(a, 2).get("features.9.weight")[100]);
  }
}
