package org.orthoinit.experiment;

/** A results folder or an experiment's settings are not as they must be. */
public class ExperimentException extends Exception {
  private static final long serialVersionUID = 1L;

  public ExperimentException(String message) {
    super(message);
  }
}
