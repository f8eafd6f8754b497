package org.orthoinit.interop;

import java.nio.file.FileSystemException;
import java.nio.file.Path;

/**
 * A file exchanged with Python (a {@code .npy} array or an {@code .onnx} model) could not be
 * read or written.
 *
 * <p>The message is one line of the form {@code "<file>: <fault>"}, for example
 * {@code "/x/a.npy: dtype <f8, expected <f4"}, so that it can be shown to a user as is. It is
 * checked because a bad or missing file is an expected condition that callers must report, not
 * a programming error.
 */
public class InteropException extends Exception {

  private static final long serialVersionUID = 1L;

  /** The file the fault is about; null when no file is involved. */
  private final transient Path file;

  /**
   * A fault in a file.
   *
   * @param file  the file the fault is about, named first in the message
   * @param fault what is wrong with it, one line
   */
  public InteropException(Path file, String fault) {
    super(format(file, fault));
    this.file = file;
  }

  /**
   * A fault in a file caused by another exception (an I/O error, a protobuf parse error).
   *
   * @param file  the file the fault is about, named first in the message
   * @param fault what is wrong with it, one line
   * @param cause the underlying exception, kept for the stack trace
   */
  public InteropException(Path file, String fault, Throwable cause) {
    super(format(file, fault), cause);
    this.file = file;
  }

  /**
   * The file this fault is about.
   *
   * @return the file as given to the reader or writer, or null when none was involved
   */
  public Path file() {
    return file;
  }

  private static String format(Path file, String fault) {
    // A fault text from a library may contain line breaks; the message promises one line.
    String oneLine = fault == null ? "unknown fault" : fault.replaceAll("\\s*[\\r\\n]+\\s*", " ");
    return file == null ? oneLine : file + ": " + oneLine;
  }

  /**
   * Describes an I/O exception briefly: its simple class name, which says what happened
   * (NoSuchFileException, AccessDeniedException, ...), and the reason when there is one. For
   * file-system exceptions only the reason is added, because their message repeats the file
   * name that already starts the line.
   */
  static String describe(Throwable e) {
    String name = e.getClass().getSimpleName();
    String detail = e instanceof FileSystemException fse ? fse.getReason() : e.getMessage();
    return detail == null || detail.isBlank() ? name : name + ": " + detail;
  }
}
