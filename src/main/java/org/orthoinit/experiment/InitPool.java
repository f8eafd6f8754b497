package org.orthoinit.experiment;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * Where a run's init batch is drawn from: the images it trains on ({@link #RUN}, what every
 * run did before this choice existed), or every training image of the data set ({@link #ALL}),
 * as the seed draws its 256 from all 50,000 whatever it trains on.
 */
public enum InitPool {
  RUN, ALL;

  @JsonValue
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  @JsonCreator
  public static InitPool of(String id) {
    for (InitPool p : values()) {
      if (p.id().equals(id)) {
        return p;
      }
    }
    throw new IllegalArgumentException("unknown init pool '" + id + "' (run or all)");
  }

  /** Keeps {@link #RUN} out of settings and run files, so those of earlier versions match. */
  static final class Default {
    @Override
    public boolean equals(Object o) {
      return o == null || o == RUN;
    }

    @Override
    public int hashCode() {
      return RUN.hashCode();
    }
  }
}
