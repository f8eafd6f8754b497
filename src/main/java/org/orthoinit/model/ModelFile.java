package org.orthoinit.model;

import java.util.Objects;

/**
 * A network read from a file (an ONNX graph, or a SavedModel folder of orthoinit's) rather than
 * made from a {@link ModelConfig}: what a run of it records, so that its result says what was
 * trained.
 *
 * @param name the file's name without {@code .onnx}, other characters than letters, digits,
 *     {@code .}, {@code _} and {@code -} replaced by {@code _}; runs are named after it
 * @param file the path as given; not compared (the same bytes elsewhere are the same network)
 * @param sha256 of the file's bytes (a SavedModel folder's: of the ONNX graph it keeps)
 * @param layers the network's layers
 * @param parameters its trainable values
 */
public record ModelFile(String name, String file, String sha256, int layers, long parameters) {

  /** The same network whatever path it was read from: the file's path is a label. */
  @Override
  public boolean equals(Object o) {
    return o instanceof ModelFile m && Objects.equals(name, m.name)
        && Objects.equals(sha256, m.sha256) && layers == m.layers
        && parameters == m.parameters;
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, sha256, layers, parameters);
  }
}
