package org.orthoinit.interop;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import org.orthoinit.model.AlexNet;
import org.orthoinit.model.Compute;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.Network;
import org.orthoinit.model.Prediction;
import org.orthoinit.util.FileTrees;
import org.orthoinit.util.Text;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.SessionFunction;
import org.tensorflow.Signature;
import org.tensorflow.TensorFlow;
import org.tensorflow.types.TFloat32;

/**
 * SavedModels for Python: an inference graph (dropout off, batch norm on its running statistics)
 * with a {@code serving_default} signature taking {@code images} float32 [N, 32, 32, 3] NHWC in
 * [0, 1] and giving {@code logits} and {@code probabilities} [N, classes] and {@code features}
 * [N, 1024] (the classifier's input, PyTorch's flatten order). The folder also holds
 * {@code assets.extra/orthoinit.json}: the architecture, where the weights came from, versions.
 */
public final class SavedModels {

  public static final String SIGNATURE = "serving_default";
  public static final String INPUT = "images";
  public static final String LOGITS = "logits";
  public static final String PROBABILITIES = "probabilities";
  public static final String FEATURES = "features";
  /** TensorFlow's folder for files of the model's owner, which loaders ignore. */
  public static final String METADATA = "assets.extra/orthoinit.json";
  /**
   * A network that is not the seed's AlexNet, as orthoinit's ONNX export of it (with the same
   * weights): how {@link #read} knows its architecture.
   */
  public static final String NETWORK = "assets.extra/network.onnx";

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT);

  /**
   * What a SavedModel holds besides the graph.
   *
   * @param model the seed's AlexNet configuration; null for another network (then {@link
   *     #NETWORK} holds it)
   * @param source where the weights came from (a run name, an ONNX file)
   * @param init how the weights started (xavier, svd, imported)
   * @param network the name of a network that is not the seed's AlexNet; null for that
   */
  public record Metadata(ModelConfig model, String init, String source, String tensorflow,
      @com.fasterxml.jackson.annotation.JsonInclude(
          com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL) String network) {
    public static Metadata of(ModelConfig model, String init, String source) {
      return new Metadata(model, init, source, TensorFlow.version(), null);
    }

    /**
     * The metadata of {@code network}: its configuration if it is the seed's AlexNet, else
     * {@code name} (its file's name).
     */
    public static Metadata of(Network network, String name, String init, String source) {
      ModelConfig config = AlexNet.recognise(network).orElse(null);
      return new Metadata(config, init, source, TensorFlow.version(),
          config == null ? name : null);
    }

    /** The name a network's file gives it: the file name without {@code .onnx}. */
    public static String nameOf(Path file) {
      return file.getFileName().toString().replaceFirst("(?i)\\.onnx$", "");
    }
  }

  /** Images an export is checked on after it is loaded back. */
  private static final int PROBE_IMAGES = 4;
  /** Same graph, same weights, another session: only the order of sums may differ. */
  private static final double LOGITS_TOLERANCE = 1e-5;

  private SavedModels() {}

  /** Seeded images in [0, 1], NHWC. */
  private static float[] probeImages() {
    java.util.Random random = new java.util.Random(PROBE_IMAGES);
    float[] x = new float[PROBE_IMAGES * Network.IMAGE_FLOATS];
    for (int i = 0; i < x.length; i++) {
      x[i] = random.nextFloat();
    }
    return x;
  }

  /**
   * Writes a SavedModel of {@code config} with {@code weights} (TensorFlow layout) to {@code dir},
   * which must not exist. It is written beside {@code dir}, loaded back and checked (weights bit
   * for bit, logits of a few images through its signature), and renamed into place.
   *
   * @throws InteropException if what was written does not load back the same; nothing is left
   */
  public static void export(Map<String, float[]> weights, Metadata metadata, Path dir)
      throws IOException, InteropException {
    export(AlexNet.of(metadata.model()), weights, metadata, dir);
  }

  /**
   * {@link #export(Map, Metadata, Path)} of any network of [N, 3, 32, 32] images; one that is not
   * the seed's AlexNet is also kept as orthoinit's ONNX export of it ({@link #NETWORK}).
   */
  public static void export(Network network, Map<String, float[]> weights, Metadata metadata,
      Path dir) throws IOException, InteropException {
    if (!network.input().equals(Network.INPUT)) {
      throw new InteropException(dir, "SavedModels are written for networks of [N, 3, 32, 32] "
          + "images; this one takes " + network.input());
    }
    Path target = dir.toAbsolutePath();
    if (Files.exists(target)) {
      throw new java.nio.file.FileAlreadyExistsException(target.toString(), null,
          "the SavedModel folder exists; remove it or choose another");
    }
    Files.createDirectories(target.getParent());
    Path tmp = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".");
    Files.delete(tmp); // the exporter makes the folder itself
    // written and checked on the CPU: nothing here needs a GPU, and a GPU's float32 differs
    try (ModelSession session = ModelSession.open(network, 0, 0, Compute.CPU)) {
      session.assign(weights);
      Operand<TFloat32> logits = session.eval().logits();
      Operand<TFloat32> probabilities = session.model().tf().withName(PROBABILITIES)
          .nn.softmax(logits);
      Signature signature = Signature.builder(SIGNATURE)
          .input(INPUT, session.model().images())
          .output(LOGITS, logits)
          .output(PROBABILITIES, probabilities)
          // an identity of its own: in some graphs (squeezenet's) the features are the logits
          .output(FEATURES, session.model().tf().withName(FEATURES)
              .identity(session.eval().features()))
          .build();
      SavedModelBundle.exporter(tmp.toString())
          .withFunction(SessionFunction.create(signature, session.session()))
          .export();
      Path meta = tmp.resolve(METADATA);
      Files.createDirectories(meta.getParent());
      JSON.writeValue(meta.toFile(), metadata);
      if (metadata.model() == null) {
        OnnxExport.write(tmp.resolve(NETWORK), network, weights);
      }
      // load what was written: the same weights bit for bit, the same logits through the
      // serving signature as from the session that wrote it
      float[] probe = probeImages();
      Prediction expected = session.predict(probe, PROBE_IMAGES);
      float[] served;
      try {
        Weights.requireSame(dir, weights, readNetwork(tmp).weights());
        served = predict(tmp, probe, PROBE_IMAGES).logits();
      } catch (InteropException e) {
        throw e.file() != null && e.file().equals(tmp) ? Weights.notKept(dir, tmp, e) : e;
      }
      double error = Weights.relativeError(served, expected.logits());
      if (!(error <= LOGITS_TOLERANCE)) {
        throw new InteropException(dir, "written, its serving signature's logits differ "
            + "from the model's by " + error + " (relative); not kept");
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      FileTrees.delete(tmp);
    }
  }

  /** Whether {@code dir} looks like a SavedModel folder. */
  public static boolean isSavedModel(Path dir) {
    return Files.isRegularFile(dir.resolve("saved_model.pb"));
  }

  /** Reads the metadata of a SavedModel written by {@link #export}. */
  public static Metadata metadata(Path dir) throws InteropException {
    Path file = dir.resolve(METADATA);
    try {
      return JSON.readValue(file.toFile(), Metadata.class);
    } catch (IOException e) {
      throw new InteropException(file, "not an orthoinit SavedModel's metadata ("
          + Text.firstLine(e) + ")");
    }
  }

  /** A SavedModel's network, its AlexNet configuration when it is one (else null), its values. */
  record Saved(Network network, ModelConfig config, Map<String, float[]> weights) {}

  /**
   * The network and variables of any SavedModel written by {@link #export}; {@link
   * ModelFiles#open} is the way in from outside.
   */
  static Saved readNetwork(Path dir) throws InteropException {
    if (!isSavedModel(dir)) {
      throw new InteropException(dir, "not a SavedModel folder (no saved_model.pb)");
    }
    ModelConfig config = metadata(dir).model();
    Network network = config != null ? AlexNet.of(config)
        : OnnxImport.read(dir.resolve(NETWORK)).network();
    java.util.List<String> names = new java.util.ArrayList<>();
    network.parameters().forEach(p -> names.add(p.name()));
    network.batchNorms().forEach(b -> {
      names.add(b.runningMean());
      names.add(b.runningVar());
    });
    try (SavedModelBundle bundle = SavedModelBundle.load(dir.toString(),
        SavedModelBundle.DEFAULT_TAG)) {
      var runner = bundle.session().runner();
      names.forEach(runner::fetch);
      Map<String, float[]> weights = new java.util.LinkedHashMap<>();
      try (Result r = runner.run()) {
        for (int i = 0; i < names.size(); i++) {
          weights.put(names.get(i), ModelSession.toArray((TFloat32) r.get(i)));
        }
      }
      return new Saved(network, config, weights);
    } catch (org.tensorflow.exceptions.TensorFlowException | IllegalArgumentException e) {
      throw new InteropException(dir, "cannot read the SavedModel's variables: " + Text.firstLine(e));
    }
  }

  /** Logits of {@code n} NHWC images through the SavedModel's {@code serving_default}. */
  public static Prediction predict(Path dir, float[] imagesNhwc, int n) throws InteropException {
    if (!isSavedModel(dir)) {
      throw new InteropException(dir, "not a SavedModel folder (no saved_model.pb)");
    }
    try (SavedModelBundle bundle = SavedModelBundle.load(dir.toString(), SavedModelBundle.DEFAULT_TAG);
        TFloat32 x = ModelSession.imagesTensor(imagesNhwc, n);
        Result r = bundle.function(SIGNATURE).call(Map.of(INPUT, x))) {
      TFloat32 logits = output(r, LOGITS, dir);
      TFloat32 features = output(r, FEATURES, dir);
      int classes = (int) logits.shape().get(1);
      return new Prediction(n, classes, ModelSession.toArray(logits),
          ModelSession.toArray(features));
    } catch (org.tensorflow.exceptions.TensorFlowException | IllegalArgumentException e) {
      throw new InteropException(dir, "cannot run the SavedModel: " + Text.firstLine(e));
    }
  }

  private static TFloat32 output(Result r, String name, Path dir) throws InteropException {
    var t = r.get(name);
    if (t.isEmpty() || !(t.get() instanceof TFloat32 f)) {
      throw new InteropException(dir, SIGNATURE + " has no float output '" + name + "'");
    }
    return f;
  }
}
