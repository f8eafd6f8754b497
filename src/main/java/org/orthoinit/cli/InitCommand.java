package org.orthoinit.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.orthoinit.experiment.PytorchInit;
import org.orthoinit.experiment.ResultStore;
import org.orthoinit.init.SvdInitializer;
import org.orthoinit.init.SvdReport;
import org.orthoinit.interop.ImageArrays;
import org.orthoinit.model.Prediction;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The paper's initializer applied to a PyTorch model's own weights. */
@Command(name = "init", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Apply the paper's SVD initializer to a model exported from PyTorch (ONNX), on a "
        + "batch of images you give, and evaluate the result.")
final class InitCommand implements Callable<Integer> {

  /** The only method; a flag so that others can join it. */
  enum Method {
    svd
  }

  @Spec
  CommandSpec spec;

  @Option(names = "--weights", required = true, paramLabel = "IN.onnx",
      description = "A model exported by torch.onnx.export: the seed's AlexNet or any graph of "
          + "the supported layers, [N, 3, 32, 32] images in.")
  Path weights;

  @Option(names = "--method", defaultValue = "svd", paramLabel = "svd",
      description = "Initializer (default: ${DEFAULT-VALUE}).")
  Method method;

  @Option(names = "--batch", required = true, paramLabel = "B.npy",
      description = "float32 images the initializer walks the layers with (the seed uses 256 "
          + "training images); at least out_channels / 16 of them.")
  Path batch;

  @Option(names = "--layout", defaultValue = "nchw", paramLabel = "nchw|nhwc",
      description = "Axis order of the .npy images (default: ${DEFAULT-VALUE}).")
  ImageArrays.Layout layout;

  @Option(names = "--decomposition", defaultValue = "SUBSPACE",
      paramLabel = "subspace|gram_eigh|svd", description = "How P's singular structure is "
      + "computed: block subspace iteration for the kept part (falling back to the full "
      + "eigendecomposition of P^T P in float64 where it does not converge), the full "
      + "eigendecomposition of P^T P, or TensorFlow's SVD of P (default: ${DEFAULT-VALUE}).")
  SvdInitializer.Decomposition decomposition;

  @Option(names = "--predict", paramLabel = "X.npy",
      description = "Images to evaluate the initialized model on.")
  Path predict;

  @Option(names = "--out", paramLabel = "Y.npy", description = "Logits of --predict.")
  Path out;

  @Option(names = "--features-out", paramLabel = "F.npy", description = "Features of --predict.")
  Path featuresOut;

  @Option(names = "--saved-model", paramLabel = "DIR",
      description = "Write the initialized model as a SavedModel (the folder must not exist).")
  Path savedModel;

  @Option(names = "--export-onnx", paramLabel = "OUT.onnx",
      description = "Write the initialized model as ONNX: the file read, with only its weight "
          + "values replaced, so it loads by name into the PyTorch module it came from.")
  Path exportOnnx;

  @Option(names = "--report", paramLabel = "R.json",
      description = "The initializer's report: gram ratios, per-block gaps, time.")
  Path report;

  @Mixin
  DeviceOptions device;

  @Override
  public Integer call() throws Exception {
    if (predict != null && out == null) {
      throw new IllegalArgumentException("--predict needs --out for the logits");
    }
    if (predict == null && (out != null || featuresOut != null)) {
      throw new IllegalArgumentException("--out and --features-out need --predict");
    }
    Checks.writableParents(out, featuresOut, report, exportOnnx, savedModel);
    if (savedModel != null && java.nio.file.Files.exists(savedModel)) {
      throw new IllegalArgumentException("--saved-model: " + savedModel + " exists already");
    }
    ImageArrays.Batch images = ImageArrays.read(batch, layout);
    ImageArrays.Batch evaluate = predict == null ? null : ImageArrays.read(predict, layout);
    PytorchInit.Outcome done = PytorchInit.run(new PytorchInit.Options(weights, images, evaluate,
        decomposition, exportOnnx, savedModel, device.resolve(spec.commandLine().getErr())),
        new PytorchInit.Listener() {
          @Override
          public void stage(String stage) {
            spec.commandLine().getErr().println("init: " + stage);
            spec.commandLine().getErr().flush();
          }

          @Override
          public void wrote(String what, Path file) {
            spec.commandLine().getOut().println("wrote " + what + " " + file);
          }
        });
    SvdReport r = done.report();
    Prediction p = done.prediction();
    spec.commandLine().getOut().printf("gram ratio %.4f -> %.4f, %d layers rewritten in %.1f s%n",
        r.gramRatioBefore(), r.gramRatioAfter(), r.outputNorms().size(), r.seconds());
    if (!r.fallbacks().isEmpty()) {
      spec.commandLine().getOut().printf("the subspace iteration did not converge on %s: those "
          + "kernels come from the full decomposition%n", String.join(", ", r.fallbacks()));
    }
    if (report != null) {
      ResultStore.write(report, r);
    }
    if (p != null) {
      Outputs.writePrediction(spec, p, out, featuresOut);
    }
    return 0;
  }
}
