package org.orthoinit.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.orthoinit.interop.ImageArrays;
import org.orthoinit.interop.ModelFiles;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.Prediction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Logits and features of a batch under a PyTorch-exported model. */
@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Run a model exported from PyTorch (ONNX), or a SavedModel, on a batch of "
        + "images (.npy) and write its logits and penultimate features (.npy, float32).")
final class PredictCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--weights", required = true, paramLabel = "FILE.onnx|DIR",
      description = "A network exported to ONNX (by torch.onnx.export or orthoinit: "
          + "convolutions, pools and spatial means, batch norm, ReLU, clip, sigmoid, hard swish "
          + "and sigmoid, element-wise arithmetic, concat, channel split and shuffle, flatten, "
          + "linear layers; `orthoinit "
          + "summary --weights` lists them), "
          + "or a SavedModel folder written by orthoinit; the architecture is read from it.")
  Path weights;

  @Option(names = "--images", required = true, paramLabel = "X.npy",
      description = "float32 images in [0, 1].")
  Path images;

  @Option(names = "--layout", defaultValue = "nchw", paramLabel = "nchw|nhwc",
      description = "Axis order of --images (default: ${DEFAULT-VALUE}, PyTorch's).")
  ImageArrays.Layout layout;

  @Option(names = "--out", required = true, paramLabel = "Y.npy",
      description = "Logits, float32 [N, classes].")
  Path out;

  @Option(names = "--features-out", paramLabel = "F.npy",
      description = "Features entering the classifier (the last flatten's output; [N, 1024] "
          + "for the seed's AlexNet), float32, PyTorch's flatten order.")
  Path featuresOut;

  @Mixin
  DeviceOptions device;

  @Override
  public Integer call() throws Exception {
    Checks.writableParents(out, featuresOut);
    Prediction p;
    ModelFiles.Opened model = ModelFiles.open(weights);
    ImageArrays.Batch batch = ImageArrays.read(images, layout);
    try (ModelSession session = ModelSession.open(model.network(), 0, 0,
        device.resolve(spec.commandLine().getErr()))) {
      session.assign(model.weights());
      p = session.predict(batch.nhwc(), batch.n());
    }
    Outputs.writePrediction(spec, p, out, featuresOut);
    return 0;
  }
}
