package org.orthoinit.init;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import org.orthoinit.model.ModelSession;
import org.orthoinit.model.Network;

/**
 * How a model's weights start: one small class per method, found by its id in
 * {@link Initializers}. An initializer sets every variable of a session's model (kernels,
 * biases, batch-norm parameters and running statistics), or, when {@link #keepsWeights()}, works
 * on weights already assigned. In JSON an initializer is its {@link Initializers#jsonName}.
 */
@JsonSerialize(using = Initializers.Write.class)
@JsonDeserialize(using = Initializers.Read.class)
public interface Initializer {

  /** The id in flags, file names and figures: lower case, words joined by '-' ({@code svd}). */
  String id();

  /** One line for help and tables: what the method is and where it comes from. */
  String description();

  /** How figures draw this init's curves; fixed per id, so every figure agrees. */
  Look look();

  /** Whether it reads the init batch (then {@link Context#images()} must hold 1 or more). */
  default boolean usesData() {
    return false;
  }

  /**
   * Whether it can start from weights that are already assigned (imported from ONNX, say): true
   * for those that keep the weights or rewrite only some of them.
   */
  default boolean keepsWeights() {
    return false;
  }

  /**
   * The fewest images this init needs in its batch (LSUV measures a variance: 2); 0 when it
   * reads no data.
   */
  default int minimumBatch() {
    return usesData() ? 1 : 0;
  }

  /**
   * Refuses an init batch of {@code n} images that cannot initialize {@code network}, naming
   * what it needs: before any work, so that a grid does not fail run by run. By default, fewer
   * than {@link #minimumBatch()} images.
   */
  default void checkBatch(Network network, int n) throws InitException {
    if (n < minimumBatch()) {
      throw new InitException(id() + " needs at least " + minimumBatch() + " images in its init "
          + "batch, got " + n);
    }
  }

  /** The record type of its reports, for reading run files; null if it reports nothing. */
  default Class<? extends Report> reportType() {
    return null;
  }

  /**
   * Initializes the session's model.
   *
   * @return what it did, as data for the run's JSON; null when there is nothing to say beyond
   *     its id (the data-free inits)
   * @throws InitException if the data cannot be used (naming the layer)
   */
  Report initialize(ModelSession session, Context context) throws InitException;

  /** What one initializer reports: a record, written into the run JSON under its init's id. */
  interface Report {}

  /**
   * What every initializer may use; an init's own settings (the SVD init's decomposition,
   * LSUV's tolerance) are the configured instance's, from {@link Initializers}.
   *
   * @param seed the run's weight seed
   * @param images the init batch, NHWC in [0, 1]; empty for data-free inits
   * @param n images in the batch
   * @param given the model already holds weights (see {@link #keepsWeights()})
   */
  record Context(long seed, float[] images, int n, boolean given) {}

  /**
   * A curve's look: its legend label, colour (0xRRGGBB) and marker.
   */
  record Look(String label, int rgb, Marker marker) {}

  /** The markers figures can draw. */
  enum Marker {
    SQUARE, CIRCLE, DIAMOND, TRIANGLE_UP, TRIANGLE_DOWN, CROSS, PLUS, OVAL, RECTANGLE
  }
}
