package org.orthoinit.interop;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orthoinit.init.Xavier;
import org.orthoinit.model.Architecture;
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
    assertEquals(0.5, Weights.relativeError(new float[] {1f, 3f}, new float[] {1f, 2f}));
    assertTrue(Double.isNaN(Weights.relativeError(new float[] {Float.NaN}, new float[] {1f})));
  }

  @Test
  void onnxAndSavedModelExportsAreReadBackAndALossyOneIsDeleted() throws Exception {
    ModelConfig config = ModelConfig.of(0);
    Map<String, float[]> weights = Xavier.values(Architecture.of(config), 3);
    Path onnx = tmp.resolve("ok.onnx");
    OnnxExport.write(onnx, config, weights);
    assertTrue(Files.size(onnx) > 1_000_000);
    Path saved = tmp.resolve("saved");
    SavedModels.export(weights, SavedModels.Metadata.of(config, "xavier", "test"), saved);
    assertTrue(SavedModels.isSavedModel(saved));

    // a weight the architecture has no place for cannot come back from the file
    Map<String, float[]> extra = new LinkedHashMap<>(weights);
    extra.put("features.99.weight", new float[] {1f});
    Path lossy = tmp.resolve("lossy.onnx");
    var e = assertThrows(InteropException.class, () -> OnnxExport.write(lossy, config, extra));
    assertEquals(lossy + ": written, it reads back without features.99.weight; not kept",
        e.getMessage());
    assertFalse(Files.exists(lossy));
    try (var left = Files.list(tmp)) {
      assertEquals(2, left.count(), "only ok.onnx and saved: no temporary files");
    }
  }
}
