package org.orthoinit.cli;

import org.orthoinit.experiment.InitMethod;
import picocli.CommandLine;

/** Parses {@code --init}. */
final class InitConverter implements CommandLine.ITypeConverter<InitMethod> {
  @Override
  public InitMethod convert(String value) {
    try {
      return InitMethod.parse(value);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.TypeConversionException(e.getMessage());
    }
  }
}
