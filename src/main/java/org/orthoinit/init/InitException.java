package org.orthoinit.init;

/** An initializer refused its input or met a representation it cannot orthogonalize. */
public class InitException extends Exception {
  private static final long serialVersionUID = 1L;

  public InitException(String message) {
    super(message);
  }
}
