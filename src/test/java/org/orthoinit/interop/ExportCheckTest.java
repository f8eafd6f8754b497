package org.orthoinit.interop;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orthoinit.init.Xavier;
import org.orthoinit.model.AlexNet;
import org.orthoinit.model.ModelConfig;

/** Exports load back what they wrote, and an export that does not is not kept. */
class ExportCheckTest {

  @TempDir
  Path tmp;

  @Test
  void weightsMustComeBackBitForBit() {
    Path file = tmp.resolve("m.onnx");
    Map<String, float[]> written = Map.of("a", new float[] {1f, -2.5f, Float.NaN});
    assertDoesNotThrow(() -> Weights.requireSame(file, written,
        Map.of("a", new float[] {1f, -2.5f, Float.NaN}, "b", new float[1])));
    var e = assertThrows(InteropException.class, () -> Weights.requireSame(file, written,
        Map.of("a", new float[] {1f, Math.nextDown(-2.5f), Float.NaN})));
    assertEquals(file + ": written, it reads back a with other values; not kept",
        e.getMessage());
    e = assertThrows(InteropException.class, () -> Weights.requireSame(file, written, Map.of()));
    assertEquals(file + ": written, it reads back without a; not kept", e.getMessage());
    // a fault of the temporary copy is told against the file the user named
    Path copy = tmp.resolve(".m.onnx.1a2b.check");
    assertEquals(file + ": written, it does not read back (truncated); not kept",
        Weights.notKept(file, copy, new InteropException(copy, "truncated")).getMessage());
    assertEquals(0.5, Weights.relativeError(new float[] {1f, 3f}, new float[] {1f, 2f}));
    assertEquals(Double.POSITIVE_INFINITY,
        Weights.relativeError(new float[] {Float.POSITIVE_INFINITY}, new float[] {1f}));
    assertTrue(Double.isNaN(Weights.relativeError(new float[] {Float.NaN}, new float[] {1f})));
  }

  @Test
  void exportsReadBackTheirWeightsAndALossyOnnxIsNotKept() throws Exception {
    ModelConfig config = ModelConfig.of(0);
    Map<String, float[]> weights = Xavier.values(AlexNet.of(config), 3);
    Path onnx = tmp.resolve("ok.onnx");
    OnnxExport.write(onnx, config, weights);
    assertTrue(Files.size(onnx) > 1_000_000);
    Path saved = tmp.resolve("saved");
    SavedModels.export(weights, SavedModels.Metadata.of(config, "xavier", "test"), saved);
    assertTrue(SavedModels.isSavedModel(saved));
    Map<String, float[]> back = ModelFiles.open(saved).weights();
    assertEquals(weights.keySet(), back.keySet());
    assertDoesNotThrow(() -> Weights.requireSame(saved, weights, back));

    // level and batch norm live in the extra layers: with none, the file cannot say them, and
    // the weights alone are checked
    ModelConfig bare = new ModelConfig(0, 2, true, ModelConfig.DROPOUT_DEFAULT,
        ModelConfig.CLASSES_DEFAULT);
    Path bareOnnx = tmp.resolve("bare.onnx");
    Map<String, float[]> bareWeights = Xavier.values(AlexNet.of(bare), 3);
    OnnxExport.write(bareOnnx, bare, bareWeights);
    assertDoesNotThrow(() -> Weights.requireSame(bareOnnx, bareWeights,
        ModelFiles.open(bareOnnx).weights()));

    // a weight the architecture has no place for cannot come back from the file, and the file
    // that was there before stays as it was
    Map<String, float[]> extra = new LinkedHashMap<>(weights);
    extra.put("features.99.weight", new float[] {1f});
    Path lossy = Files.writeString(tmp.resolve("lossy.onnx"), "an earlier file");
    var e = assertThrows(InteropException.class, () -> OnnxExport.write(lossy, config, extra));
    assertEquals(lossy + ": written, it reads back without features.99.weight; not kept",
        e.getMessage());
    assertEquals("an earlier file", Files.readString(lossy));
    try (var left = Files.list(tmp)) {
      assertEquals(4, left.count(), "ok.onnx, saved, bare.onnx, lossy.onnx: no temporary files");
    }
  }
}
