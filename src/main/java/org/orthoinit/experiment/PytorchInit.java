package org.orthoinit.experiment;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import org.orthoinit.init.InitException;
import org.orthoinit.init.SvdInitializer;
import org.orthoinit.init.SvdReport;
import org.orthoinit.interop.ImageArrays;
import org.orthoinit.interop.InteropException;
import org.orthoinit.interop.OnnxExport;
import org.orthoinit.interop.SavedModels;
import org.orthoinit.interop.OnnxImport;
import org.orthoinit.model.Compute;
import org.orthoinit.model.ConvRoutes;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.Prediction;

/**
 * The paper's initializer applied to a model exported from PyTorch (any graph {@link OnnxImport}
 * reads): evaluated, and handed back as the same ONNX file with new weight values, or as a
 * SavedModel.
 */
public final class PytorchInit {

  /**
   * What to do.
   *
   * @param weights a model as exported by torch.onnx.export
   * @param batch the images the initializer walks the layers with
   * @param evaluate images to predict after the init, or null
   * @param exportOnnx where to write the initialized model as ONNX (the file read, with only its
   *     weight values replaced), or null
   * @param savedModel where to write it as a SavedModel (must not exist), or null
   */
  public record Options(Path weights, ImageArrays.Batch batch, ImageArrays.Batch evaluate,
      SvdInitializer.Decomposition decomposition, Path exportOnnx, Path savedModel,
      Compute compute) {}

  /**
   * What it did.
   *
   * @param prediction of {@code evaluate}, or null
   */
  public record Outcome(SvdReport report, Prediction prediction) {}

  /** Hears the stages and each file as soon as it is written. */
  public interface Listener {
    void stage(String stage);

    /** {@code what} is "ONNX" or "SavedModel". */
    void wrote(String what, Path file);
  }

  private PytorchInit() {}

  /**
   * Reads the model, runs the SVD initializer on {@code batch}, predicts and writes the exports
   * asked for.
   */
  public static Outcome run(Options o, Listener listener)
      throws InteropException, InitException, IOException {
    OnnxImport.Imported model = OnnxImport.read(o.weights());
    // what init writes is trained on next: its layer shapes' gradients are checked here too
    listener.stage("checking the gradients of the network's layer shapes");
    ConvRoutes.forNetwork(model.network(), o.compute());
    try (ModelSession session = ModelSession.open(model.network(), 0, 0, o.compute())) {
      session.assign(model.weights());
      listener.stage("svd on " + o.batch().n() + " images");
      SvdReport report = new SvdInitializer(session, o.decomposition())
          .initialize(o.batch().nhwc(), o.batch().n());
      Prediction prediction = o.evaluate() == null ? null
          : session.predict(o.evaluate().nhwc(), o.evaluate().n());
      if (o.exportOnnx() != null) {
        OnnxExport.writeUpdated(o.exportOnnx(), model, session.readAll());
        listener.wrote("ONNX", o.exportOnnx());
      }
      if (o.savedModel() != null) {
        String init = "svd (" + o.decomposition().name().toLowerCase(Locale.ROOT) + " on "
            + o.batch().n() + " images)";
        SavedModels.export(model.network(), session.readAll(), SavedModels.Metadata.of(
            model.network(), SavedModels.Metadata.nameOf(o.weights()), init,
            o.weights().toString()), o.savedModel());
        listener.wrote("SavedModel", o.savedModel());
      }
      return new Outcome(report, prediction);
    }
  }
}
