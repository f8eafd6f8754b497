package org.orthoinit.model;

/**
 * A layer of the network whose gradient this process's TensorFlow computes wrongly (see {@link
 * GradientCheck}), with no route around it: training on it would follow a wrong gradient.
 */
public final class GradientCheckException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public GradientCheckException(String message) {
    super(message);
  }
}
