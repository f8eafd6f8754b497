package org.orthoinit.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.orthoinit.TestImages;
import org.orthoinit.init.Xavier;
import org.orthoinit.model.AlexNet;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.Prediction;

class SavedModelsTest {

  @TempDir
  Path tmp;

  @Test
  void aSavedModelGivesWhatTheModelGivesInProcess() throws Exception {
    ModelConfig config = new ModelConfig(2, 3, true, 0.5f, 10);
    Map<String, float[]> weights = Xavier.values(AlexNet.of(config), 4);
    // running statistics other than 0 / 1, so that inference mode is visible
    weights.get("features.13.running_mean")[3] = 0.25f;
    weights.get("features.16.running_var")[5] = 2.5f;
    float[] x = TestImages.uniform(5, 8);
    Prediction expected;
    try (ModelSession s = ModelSession.open(config, 0, 0)) {
      s.assign(weights);
      expected = s.predict(x, 5);
    }
    Path dir = tmp.resolve("models").resolve("m");
    SavedModels.export(weights, SavedModels.Metadata.of(config, "xavier", "test"), dir);
    Prediction actual = SavedModels.predict(dir, x, 5);
    for (int i = 0; i < expected.logits().length; i++) {
      assertEquals(expected.logits()[i], actual.logits()[i], 1e-6);
    }
    for (int i = 0; i < expected.features().length; i++) {
      assertEquals(expected.features()[i], actual.features()[i], 1e-6);
    }
    assertEquals(config, SavedModels.metadata(dir).model());
    try (var files = Files.list(dir.getParent())) {
      assertEquals(1, files.count(), "a temp folder was left beside the SavedModel");
    }
  }

  @Test
  void anExistingFolderIsNotOverwritten() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("taken"));
    ModelConfig config = ModelConfig.of(0);
    var e = assertThrows(java.nio.file.FileAlreadyExistsException.class, () ->
        SavedModels.export(Xavier.values(AlexNet.of(config), 1),
            SavedModels.Metadata.of(config, "xavier", "test"), dir));
    assertTrue(e.getMessage().contains("exists"), e.getMessage());
    try (var files = Files.list(dir)) {
      assertFalse(files.findAny().isPresent());
    }
  }

  @Test
  void aFolderThatIsNotASavedModelIsRefused() {
    var e = assertThrows(InteropException.class, () -> SavedModels.predict(tmp, new float[3072],
        1));
    assertEquals(tmp + ": not a SavedModel folder (no saved_model.pb)", e.getMessage());
  }
}
