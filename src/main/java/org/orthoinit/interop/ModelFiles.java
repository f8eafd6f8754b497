package org.orthoinit.interop;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import org.orthoinit.model.AlexNet;
import org.orthoinit.model.ModelConfig;
import org.orthoinit.model.ModelFile;
import org.orthoinit.model.ModelSource;
import org.orthoinit.model.Network;
import org.orthoinit.model.Parameter;
import org.orthoinit.util.Digests;
import org.orthoinit.util.Text;

/** Opening a model from either of the files it may come in: FILE.onnx or a SavedModel folder. */
public final class ModelFiles {

  /**
   * A model read from a file.
   *
   * @param source the seed's AlexNet when the file holds one (recognised by its layers), else the
   *     file's own network
   * @param network its graph
   * @param weights its variables in TensorFlow's layout
   * @param init how it was initialized: a SavedModel's metadata says, an ONNX file is
   *     {@link #IMPORTED}
   */
  public record Opened(ModelSource source, Network network, Map<String, float[]> weights,
      String init) {

    /**
     * The same model with the seed's AlexNet's dropout set to {@code dropout} (a file does not
     * record it); a file's own network keeps its own.
     */
    public Opened withDropout(float dropout) {
      if (source instanceof ModelSource.Seed seed) {
        ModelConfig config = seed.config().withDropout(dropout);
        return new Opened(new ModelSource.Seed(config), AlexNet.of(config), weights, init);
      }
      return this;
    }
  }

  /** The init label of a model read from ONNX. */
  public static final String IMPORTED = "imported";

  private ModelFiles() {}

  /**
   * Reads a SavedModel folder written by orthoinit (of any network), or any ONNX graph {@link
   * OnnxImport} reads.
   *
   * @throws InteropException naming the file (and the node) and what is wrong with it
   */
  public static Opened open(Path file) throws InteropException {
    return open(file, true);
  }

  /**
   * An ONNX file whose source is always the file's network, also when it is the seed's AlexNet:
   * for a figure7 grid named after its file.
   */
  public static Opened openAsFile(Path file) throws InteropException {
    if (Files.isDirectory(file)) {
      throw new InteropException(file, "a folder; give an ONNX file");
    }
    return open(file, false);
  }

  private static Opened open(Path file, boolean recognise) throws InteropException {
    if (Files.isDirectory(file)) {
      SavedModels.Saved saved = SavedModels.readNetwork(file);
      // a SavedModel of another network keeps it as ONNX too, with the same values
      ModelSource source = saved.config() != null ? new ModelSource.Seed(saved.config())
          : new ModelSource.File(describe(file, file.resolve(SavedModels.NETWORK),
              saved.network()));
      return new Opened(source, saved.network(), saved.weights(),
          SavedModels.metadata(file).init());
    }
    OnnxImport.Imported onnx = OnnxImport.read(file);
    ModelConfig config = recognise ? AlexNet.recognise(onnx.network()).orElse(null) : null;
    ModelSource source = config != null ? new ModelSource.Seed(config)
        : new ModelSource.File(describe(file, file, onnx.network()));
    return new Opened(source, onnx.network(), onnx.weights(), IMPORTED);
  }

  /**
   * What a run of {@code network}, read from {@code file}, records of it.
   *
   * @param bytes the file whose bytes identify it: {@code file} itself, or the ONNX graph a
   *     SavedModel folder keeps (with the same values)
   */
  private static ModelFile describe(Path file, Path bytes, Network network)
      throws InteropException {
    MessageDigest sha = Digests.sha256();
    try (InputStream in = new DigestInputStream(Files.newInputStream(bytes), sha)) {
      in.transferTo(OutputStream.nullOutputStream());
    } catch (IOException e) {
      throw new InteropException(bytes, "cannot read it again: " + Text.firstLine(e));
    }
    // runs and figures are named after it: letters, digits, '.', '_' and '-' only
    String name = file.getFileName().toString().replaceFirst("(?i)\\.onnx$", "")
        .replaceAll("[^A-Za-z0-9._-]", "_");
    return new ModelFile(name, file.toString(), HexFormat.of().formatHex(sha.digest()),
        network.layers().size(),
        network.parameters().stream().mapToLong(Parameter::size).sum());
  }
}
