package org.orthoinit.experiment;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.orthoinit.model.Network;
import org.orthoinit.model.Parameter;
import org.orthoinit.util.Digests;

/**
 * An architecture read from an ONNX file rather than made from a {@link
 * org.orthoinit.model.ModelConfig}: what a run of it records so that its result says what was
 * trained.
 *
 * @param name the file's name without {@code .onnx}, other characters than letters, digits,
 *     {@code .}, {@code _} and {@code -} replaced by {@code _}; runs are named after it
 * @param file the path as given; not compared (the same bytes elsewhere are the same network)
 * @param sha256 of the file's bytes
 * @param layers the imported network's layers
 * @param parameters its trainable values
 */
public record ModelFile(String name, String file, String sha256, int layers, long parameters) {

  /** The same network whatever path it was read from: the file's path is a label. */
  @Override
  public boolean equals(Object o) {
    return o instanceof ModelFile m && java.util.Objects.equals(name, m.name)
        && java.util.Objects.equals(sha256, m.sha256) && layers == m.layers
        && parameters == m.parameters;
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(name, sha256, layers, parameters);
  }

  /** Describes {@code network}, read from {@code file} (an ONNX file or a SavedModel folder). */
  public static ModelFile of(Path file, Network network) throws IOException {
    MessageDigest sha = Digests.sha256();
    // a SavedModel folder of orthoinit's keeps its network as ONNX, with the same values
    Path bytes = Files.isDirectory(file) ? file.resolve(org.orthoinit.interop.SavedModels.NETWORK)
        : file;
    try (InputStream in = new DigestInputStream(Files.newInputStream(bytes), sha)) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
    }
    // runs and figures are named after it: letters, digits, '.', '_' and '-' only
    String name = file.getFileName().toString().replaceFirst("(?i)\\.onnx$", "")
        .replaceAll("[^A-Za-z0-9._-]", "_");
    return new ModelFile(name, file.toString(), HexFormat.of().formatHex(sha.digest()),
        network.layers().size(),
        network.parameters().stream().mapToLong(Parameter::size).sum());
  }
}
