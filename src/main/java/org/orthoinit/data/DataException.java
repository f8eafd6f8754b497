package org.orthoinit.data;

import java.nio.file.Path;

/**
 * A fault in the data on disk or in fetching it: a missing or damaged batch file, an unreadable
 * folder, a failed or corrupt download.
 *
 * <p>The message is one line meant for the user as it is: it names the file, folder or URL,
 * says what is wrong and, where there is one, what to do, e.g.
 * {@code /x/test_batch.bin: record 17 has label 12, expected 0..9}.
 */
public class DataException extends Exception {

  /**
   * @param message one line naming the file (or folder, or URL) and the fault
   */
  public DataException(String message) {
    super(message);
  }

  /**
   * @param message one line naming the file (or folder, or URL) and the fault
   * @param cause the underlying I/O failure
   */
  public DataException(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * Builds the message {@code "<where>: <fault>"}.
   *
   * @param where the file or folder at fault
   * @param fault what is wrong with it (and what to do)
   */
  public DataException(Path where, String fault) {
    super(where + ": " + fault);
  }

  /**
   * Builds the message {@code "<where>: <fault> (<cause>)"}.
   *
   * @param where the file or folder at fault
   * @param fault what is wrong with it
   * @param cause the underlying I/O failure, described in the message
   */
  public DataException(Path where, String fault, Throwable cause) {
    super(where + ": " + fault + " (" + describe(cause) + ")", cause);
  }

  /**
   * A short one-line description of an I/O failure: its type and message, since for
   * {@code NoSuchFileException} and its kin the message alone is just a path.
   */
  static String describe(Throwable cause) {
    String message = cause.getMessage();
    String type = cause.getClass().getSimpleName();
    return message == null || message.isBlank() ? type : type + ": " + message.strip().replace('\n', ' ');
  }
}
