package org.orthoinit.data;

import java.nio.file.Path;

/**
 * {@code Cifar10.load(args[0], TEST)} in a process of its own: prints the number of images, or
 * the refusal's message and exits 3. For the tests that must run it as another user.
 */
public final class LoadProbe {

  private LoadProbe() {}

  public static void main(String[] args) {
    try {
      System.out.println(Cifar10.load(Path.of(args[0]), Cifar10.Split.TEST).size());
    } catch (DataException e) {
      System.out.println(e.getMessage());
      System.exit(3);
    }
  }
}
