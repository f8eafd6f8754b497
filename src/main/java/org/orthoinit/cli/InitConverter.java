package org.orthoinit.cli;

import org.orthoinit.init.Initializer;
import org.orthoinit.init.Initializers;
import picocli.CommandLine;

/** Parses {@code --init} and {@code --inits}: any registered initializer's id. */
final class InitConverter implements CommandLine.ITypeConverter<Initializer> {

  /** The ids, for help text: {@code ${COMPLETION-CANDIDATES}}. */
  static final class Ids implements Iterable<String> {
    @Override
    public java.util.Iterator<String> iterator() {
      return Initializers.all().stream().map(Initializer::id).iterator();
    }
  }

  @Override
  public Initializer convert(String value) {
    try {
      return Initializers.byId(value);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.TypeConversionException(e.getMessage());
    }
  }
}
