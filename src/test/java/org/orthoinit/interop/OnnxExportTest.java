package org.orthoinit.interop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orthoinit.TestImages;
import org.orthoinit.init.Xavier;
import org.orthoinit.model.AlexNet;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.Network;

class OnnxExportTest {

  @TempDir
  Path tmp;

  /** NHWC -> NCHW for ONNX Runtime. */
  private static float[] nchw(float[] nhwc, int n) {
    float[] out = new float[nhwc.length];
    int s = Network.IMAGE_SIZE * Network.IMAGE_SIZE;
    for (int i = 0; i < n; i++) {
      for (int p = 0; p < s; p++) {
        for (int c = 0; c < 3; c++) {
          out[i * 3 * s + c * s + p] = nhwc[i * 3 * s + p * 3 + c];
        }
      }
    }
    return out;
  }

  @Test
  void onnxRuntimeGivesTensorFlowsLogitsAndOurImporterReadsTheSameVariables() throws Exception {
    ModelConfig config = new ModelConfig(2, 3, true, 0.5f, 10);
    Map<String, float[]> weights = Xavier.values(AlexNet.of(config), 6);
    weights.get("features.13.running_mean")[7] = 0.3f;
    weights.get("features.16.running_var")[2] = 1.7f;
    weights.get("features.9.bias")[1] = 0.05f;
    int n = 4;
    float[] x = TestImages.uniform(n, 2);
    float[] expected;
    try (ModelSession s = ModelSession.open(config, 0, 0)) {
      s.assign(weights);
      expected = s.predict(x, n).logits();
    }
    Path file = tmp.resolve("alexnet.onnx");
    OnnxExport.write(file, config, weights);

    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession session = env.createSession(file.toString(), new OrtSession.SessionOptions());
        OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(nchw(x, n)),
            new long[] {n, 3, 32, 32});
        OrtSession.Result r = session.run(Map.of(OnnxExport.INPUT, input))) {
      float[][] logits = (float[][]) r.get(OnnxExport.OUTPUT).orElseThrow().getValue();
      double err = 0;
      double scale = 0;
      for (int i = 0; i < n; i++) {
        for (int c = 0; c < 10; c++) {
          err = Math.max(err, Math.abs(logits[i][c] - expected[i * 10 + c]));
          scale = Math.max(scale, Math.abs(expected[i * 10 + c]));
        }
      }
      assertTrue(err / scale < 1e-4, "relative error " + err / scale);
    }

    ModelFiles.Opened back = ModelFiles.open(file);
    assertEquals(new org.orthoinit.model.ModelSource.Seed(config), back.source());
    assertEquals(weights.keySet(), back.weights().keySet());
    for (String name : weights.keySet()) {
      assertArrayEquals(weights.get(name), back.weights().get(name), name);
    }
  }
}
