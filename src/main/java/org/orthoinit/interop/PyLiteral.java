package org.orthoinit.interop;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses the small subset of Python literal syntax that appears in a {@code .npy} header:
 * dicts, tuples, lists, quoted strings, integers, True, False and None.
 *
 * <p>NumPy writes the header with {@code repr()} of a dict and reads it with
 * {@code ast.literal_eval}, so a faithful parser has to accept what Python accepts for these
 * types: any whitespace, trailing commas, either quote style, and the {@code L} suffix Python 2
 * put on longs ({@code (8L,)}). A one-element tuple needs its comma, as in Python:
 * {@code (8)} is the integer 8.
 *
 * <p>Values map to String, Long, Boolean, {@link Tuple}, List, Map (insertion order kept) and
 * {@link #NONE}.
 */
final class PyLiteral {

  /** A Python tuple; kept apart from a list because the npy shape must be a tuple. */
  record Tuple(List<Object> items) {
  }

  /** Python's None. */
  static final Object NONE = new Object() {
    @Override
    public String toString() {
      return "None";
    }
  };

  /** Raised with a message that says where parsing stopped. */
  static final class SyntaxError extends Exception {
    private static final long serialVersionUID = 1L;

    SyntaxError(String message) {
      super(message);
    }
  }

  // Nesting is shallow in any real header; the limit keeps a hostile one from overflowing the
  // stack.
  private static final int MAX_DEPTH = 32;

  private final String text;
  private int pos;

  private PyLiteral(String text) {
    this.text = text;
  }

  /**
   * Parses {@code text} as one literal, allowing whitespace around it.
   *
   * @throws SyntaxError if it is not exactly one literal of the supported kinds
   */
  static Object parse(String text) throws SyntaxError {
    PyLiteral p = new PyLiteral(text);
    Object v = p.value(0);
    p.skipSpace();
    if (p.pos != text.length()) {
      throw p.error("unexpected text after the literal");
    }
    return v;
  }

  private Object value(int depth) throws SyntaxError {
    if (depth > MAX_DEPTH) {
      throw error("nested too deeply");
    }
    skipSpace();
    if (pos >= text.length()) {
      throw error("unexpected end");
    }
    char c = text.charAt(pos);
    switch (c) {
      case '{':
        return dict(depth);
      case '(':
        return tupleOrGroup(depth);
      case '[':
        return list(depth);
      case '\'':
      case '"':
        return string();
      default:
        break;
    }
    if (c == '-' || c == '+' || Character.isDigit(c)) {
      return integer();
    }
    if (Character.isLetter(c) || c == '_') {
      int start = pos;
      while (pos < text.length()
          && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '_')) {
        pos++;
      }
      String word = text.substring(start, pos);
      // String prefixes: u'...' from Python 2 with unicode_literals, b'...' for bytes.
      if (pos < text.length() && (text.charAt(pos) == '\'' || text.charAt(pos) == '"')
          && (word.equalsIgnoreCase("u") || word.equalsIgnoreCase("b"))) {
        return string();
      }
      switch (word) {
        case "True":
          return Boolean.TRUE;
        case "False":
          return Boolean.FALSE;
        case "None":
          return NONE;
        default:
          pos = start;
          throw error("unexpected name '" + word + "'");
      }
    }
    throw error("unexpected character '" + c + "'");
  }

  private Map<Object, Object> dict(int depth) throws SyntaxError {
    pos++; // '{'
    Map<Object, Object> map = new LinkedHashMap<>();
    while (true) {
      skipSpace();
      if (peek('}')) {
        pos++;
        return Collections.unmodifiableMap(map);
      }
      Object key = value(depth + 1);
      if (!(key instanceof String)) {
        throw error("dict key is not a string");
      }
      skipSpace();
      expect(':');
      Object v = value(depth + 1);
      if (map.put(key, v) != null) {
        throw error("duplicate key '" + key + "'");
      }
      if (!commaOr('}')) {
        pos++;
        return Collections.unmodifiableMap(map);
      }
    }
  }

  private Object tupleOrGroup(int depth) throws SyntaxError {
    pos++; // '('
    List<Object> items = new ArrayList<>();
    boolean sawComma = false;
    while (true) {
      skipSpace();
      if (peek(')')) {
        pos++;
        break;
      }
      items.add(value(depth + 1));
      if (commaOr(')')) {
        sawComma = true;
      } else {
        pos++;
        break;
      }
    }
    if (items.size() == 1 && !sawComma) {
      return items.get(0); // "(8)" is a parenthesised 8, not a tuple
    }
    return new Tuple(List.copyOf(items));
  }

  private List<Object> list(int depth) throws SyntaxError {
    pos++; // '['
    List<Object> items = new ArrayList<>();
    while (true) {
      skipSpace();
      if (peek(']')) {
        pos++;
        return List.copyOf(items);
      }
      items.add(value(depth + 1));
      if (!commaOr(']')) {
        pos++;
        return List.copyOf(items);
      }
    }
  }

  /** After an item: consumes a comma and returns true, or returns false at the closer. */
  private boolean commaOr(char closer) throws SyntaxError {
    skipSpace();
    if (peek(',')) {
      pos++;
      return true;
    }
    if (peek(closer)) {
      return false;
    }
    throw error("expected ',' or '" + closer + "'");
  }

  private String string() throws SyntaxError {
    char quote = text.charAt(pos++);
    StringBuilder sb = new StringBuilder();
    while (pos < text.length()) {
      char c = text.charAt(pos++);
      if (c == quote) {
        return sb.toString();
      }
      if (c == '\n') {
        break;
      }
      if (c == '\\' && pos < text.length()) {
        char e = text.charAt(pos++);
        switch (e) {
          case 'n' -> sb.append('\n');
          case 't' -> sb.append('\t');
          case 'r' -> sb.append('\r');
          case '0' -> sb.append('\0');
          default -> sb.append(e); // \\ \' \" and anything else literally
        }
      } else {
        sb.append(c);
      }
    }
    throw error("unterminated string");
  }

  private Long integer() throws SyntaxError {
    int start = pos;
    if (peek('-') || peek('+')) {
      pos++;
    }
    int digits = pos;
    while (pos < text.length() && Character.isDigit(text.charAt(pos))) {
      pos++;
    }
    if (pos == digits) {
      throw error("expected digits");
    }
    String number = text.substring(start, pos);
    if (pos < text.length() && (text.charAt(pos) == 'L' || text.charAt(pos) == 'l')) {
      pos++; // Python 2 long suffix
    }
    if (pos < text.length() && ".eE".indexOf(text.charAt(pos)) >= 0) {
      throw error("only integers are supported");
    }
    try {
      return Long.parseLong(number.startsWith("+") ? number.substring(1) : number);
    } catch (NumberFormatException e) {
      pos = start;
      throw error("integer out of range");
    }
  }

  private void expect(char c) throws SyntaxError {
    if (!peek(c)) {
      throw error("expected '" + c + "'");
    }
    pos++;
  }

  private boolean peek(char c) {
    return pos < text.length() && text.charAt(pos) == c;
  }

  private void skipSpace() {
    while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
      pos++;
    }
  }

  private SyntaxError error(String what) {
    return new SyntaxError(what + " at character " + pos);
  }
}
