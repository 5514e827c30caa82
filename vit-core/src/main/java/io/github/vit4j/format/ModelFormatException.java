package io.github.vit4j.format;

import java.io.IOException;

/**
 * A model file that is not what it claims to be: wrong magic, truncated, a header that does not parse, a checksum
 * that does not match, tensors missing or shaped against the config. The message names the file, the tensor when
 * there is one, what was expected and what was found, and how to fix it (usually: convert the source weights
 * again).
 *
 * <p>It is an {@link IOException} so that callers who treat "could not load the model" as one case need not catch
 * anything else; catch this type to tell a bad file from a failing disk.
 */
public class ModelFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    /** An exception with a complete, user-facing message. */
    public ModelFormatException(String message) {
        super(message);
    }

    /** An exception with a complete, user-facing message and the low-level cause. */
    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
