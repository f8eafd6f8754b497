package org.orthoinit.init;

import org.orthoinit.model.Dims;
import org.orthoinit.model.Layer;
import org.orthoinit.model.Network;

/** What the SVD init checks before any work: that the batch can give every kernel. */
public final class SvdPreflight {

  private SvdPreflight() {}

  /**
   * Refuses a batch whose patch matrix has fewer rows (n * H * W) than a rewritten layer's
   * out_channels, since W needs that many components.
   */
  public static void checkBatch(Network network, int n) throws InitException {
    if (n < 1) {
      throw new InitException("the initialization batch is empty");
    }
    for (Layer.Conv c : network.convs()) {
      // the patch matrix has a row per (image, output position)
      Dims out = network.dims(c.name());
      long perImage = (long) out.height() * out.width();
      if (c.square() && n * perImage < c.out()) {
        throw new InitException(String.format("%s: %d images give %d x %d patch rows "
            + "(%d per image at %dx%d), fewer than its %d output channels; use at least %d images",
            c.name(), n, n * perImage, c.fanIn(), perImage, out.height(),
            out.width(), c.out(), (c.out() + perImage - 1) / perImage));
      }
    }
  }
}
