package org.orthoinit.init;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.orthoinit.model.AlexNet;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.Network;
import org.orthoinit.model.Parameter;

/**
 * Our inits against PyTorch's own on the same shapes: {@code src/test/resources/torch/inits.json},
 * made by {@code src/test/python/init_fixtures.py} from the seed's AlexNet(10, num_layers=1)
 * with torch 1.13. Different random streams, so sample statistics are compared, with tolerances
 * of about four standard errors.
 */
class TorchInitsTest {

  private static final Network SEED = AlexNet.of(ModelConfig.of(1));

  private static JsonNode torch() throws Exception {
    try (InputStream in = TorchInitsTest.class.getResourceAsStream("/torch/inits.json")) {
      return new ObjectMapper().readTree(in);
    }
  }

  private static Parameter ours(JsonNode p) {
    String name = p.get("name").asText();
    Parameter ours = SEED.parameters().stream().filter(q -> q.name().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no parameter " + name));
    long[] torch = StreamSupport.stream(p.get("shape").spliterator(), false)
        .mapToLong(JsonNode::asLong).toArray();
    // PyTorch's OIHW [out, in, kh, kw] is our HWIO; its [out, in] our [in, out]
    long[] expected = torch.length == 4 ? new long[] {torch[2], torch[3], torch[1], torch[0]}
        : new long[] {torch[1], torch[0]};
    assertArrayEquals(expected, ours.shape(), name);
    return ours;
  }

  private static double rms(float[] v) {
    double s = 0;
    for (float f : v) {
      s += (double) f * f;
    }
    return Math.sqrt(s / v.length);
  }

  @Test
  void pytorchDefaultMatchesWhatAFreshPytorchModuleHolds() throws Exception {
    Map<String, float[]> v = ((DataFree) Initializers.byId("pytorch-default")).start(SEED, 0);
    for (JsonNode p : torch().get("params")) {
      Parameter w = ours(p);
      JsonNode t = p.get("pytorch-default");
      float[] values = v.get(w.name());
      double tolerance = 4 * 0.45 * Math.sqrt(2.0 / values.length); // a uniform's RMS
      assertEquals(1, rms(values) / t.get("std").asDouble(), tolerance, w.name());
      if (values.length > 1000) { // both maxima within 1% of the common bound
        assertEquals(1, DataFreeInitializersTest.maxAbs(values) / t.get("max").asDouble(), 0.01,
            w.name());
      }
      String bias = w.name().replace(".weight", ".bias");
      if (t.has("bias_max")) {
        double bound = t.get("max").asDouble() * 1.01;
        assertTrue(DataFreeInitializersTest.maxAbs(v.get(bias)) <= bound, bias);
        assertTrue(t.get("bias_max").asDouble() <= bound, bias);
      }
    }
  }

  @Test
  void kaimingHasPytorchsStd() throws Exception {
    Map<String, float[]> v = ((DataFree) Initializers.byId("kaiming")).start(SEED, 0);
    for (JsonNode p : torch().get("params")) {
      Parameter w = ours(p);
      float[] values = v.get(w.name());
      double tolerance = 4 / Math.sqrt(values.length); // two Gaussian RMS, 4 standard errors
      assertEquals(1, rms(values) / p.get("kaiming").get("std").asDouble(), tolerance, w.name());
    }
  }

  @Test
  void orthogonalHasPytorchsScaleAndItsOrthogonality() throws Exception {
    Map<String, float[]> v = ((DataFree) Initializers.byId("orthogonal")).start(SEED, 0);
    for (JsonNode p : torch().get("params")) {
      Parameter w = ours(p);
      JsonNode t = p.get("orthogonal");
      // ||W||_F^2 = gain^2 min(out, fan_in) is fixed: the std agrees to float32 rounding
      assertEquals(1, rms(v.get(w.name())) / t.get("std").asDouble(), 1e-5, w.name());
      assertTrue(t.get("gram_error").asDouble() < 1e-5, "PyTorch's own " + w.name());
    }
  }
}
